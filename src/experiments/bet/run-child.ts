// One run of a bet, in a child process of its own (forked by runner.ts): trains the run whose
// resolved config (JSON) is argv[2] into the directory argv[3], resuming it if it is already there,
// and reports progress to the parent over IPC. It exits when the parent goes away.
import { startEngine } from "../../engine/backend.js";
import { RunDir, resolveRunConfig } from "../../runs/index.js";
import { RUN_METHOD_SPECS, trainRun } from "../../runs/train-run.js";

export type ChildMessage =
  | { type: "step"; step: number; total: number | null }
  | { type: "done"; steps: number }
  | { type: "error"; message: string };

const send = (m: ChildMessage) => new Promise<void>((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));

process.on("disconnect", () => process.exit(1));

const [configJson, out] = process.argv.slice(2);
try {
  await startEngine("wasm");
  const config = resolveRunConfig(JSON.parse(configJson), { methods: RUN_METHOD_SPECS });
  let lastSent = 0;
  const summary = await trainRun(config, () => RunDir.create(out, config), {
    onStep(log, total) {
      const now = Date.now();
      if (now - lastSent > 500 || log.step === total) {
        lastSent = now;
        void send({ type: "step", step: log.step, total });
      }
    },
  });
  await send({ type: "done", steps: Number(summary.steps) });
  process.exit(0);
} catch (err) {
  await send({ type: "error", message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
