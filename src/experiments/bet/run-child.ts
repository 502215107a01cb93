// One run of a bet, in a child process of its own (forked by runner.ts): trains the run whose
// resolved config (JSON) is argv[2] into the directory argv[3], resuming it if it is already there,
// then, where argv[4] asks for it (JSON {n, split} or null), inspects its chain (DIR/inspect.json).
// argv[5] (JSON, optional; a queue worker's): {initDir, shipCheckpoints}: where the init run's files
// really are, and whether to pause after each checkpoint until the parent has shipped it.
// Reports progress to the parent over IPC; exits when the parent goes away.
import { join } from "node:path";
import { pathExists } from "../../common/path-exists.js";
import { startEngine } from "../../engine/backend.js";
import { inspectable, inspectRun, INSPECT_FILE } from "../monitor/inspect.js";
import { RunDir, resolveRunConfig } from "../../runs/index.js";
import { RUN_METHOD_SPECS, trainRun } from "../../runs/train-run.js";
import type { MonitorSpec } from "./spec.js";

export type ChildMessage =
  | { type: "step"; step: number; total: number | null }
  | { type: "checkpoint"; step: number }
  | { type: "done"; steps: number }
  | { type: "error"; message: string };

const send = (m: ChildMessage) => new Promise<void>((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));

/** What the parent sends: a shipped checkpoint (training goes on). */
export type ParentMessage = { type: "shipped"; step: number };

export interface ChildOptions {
  initDir?: string;
  shipCheckpoints?: boolean;
}

process.on("disconnect", () => process.exit(1));

const [configJson, out, monitorJson, optionsJson] = process.argv.slice(2);
const options = JSON.parse(optionsJson ?? "{}") as ChildOptions;
const shipped = (step: number) =>
  new Promise<void>((resolve) => {
    const on = (m: ParentMessage) => {
      if (m.type === "shipped" && m.step === step) {
        process.off("message", on);
        resolve();
      }
    };
    process.on("message", on);
    void send({ type: "checkpoint", step });
  });
try {
  const config = resolveRunConfig(JSON.parse(configJson), { methods: RUN_METHOD_SPECS });
  await startEngine(config.backend);
  let lastSent = 0;
  const summary = await trainRun(config, () => RunDir.create(out, config), {
    ...(options.initDir ? { initDir: options.initDir } : {}),
    ...(options.shipCheckpoints ? { onCheckpoint: shipped } : {}),
    onStep(log, total) {
      const now = Date.now();
      if (now - lastSent > 500 || log.step === total) {
        lastSent = now;
        void send({ type: "step", step: log.step, total });
      }
    },
  });
  const monitor = JSON.parse(monitorJson ?? "null") as MonitorSpec | null;
  if (monitor && inspectable(config) && !(await pathExists(join(out, INSPECT_FILE)))) {
    await inspectRun(out, { n: monitor.n, split: monitor.split, show: 0 });
  }
  await send({ type: "done", steps: Number(summary.steps) });
  process.exit(0);
} catch (err) {
  await send({ type: "error", message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
