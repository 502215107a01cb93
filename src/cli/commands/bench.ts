// `neuralese bench`: one JSON line per configuration on stdout.
import { Command, Option } from "commander";
import { BACKENDS, type Backend } from "../../engine/backend.js";
import { startBackend } from "../engine.js";
import { BENCH_WORKLOADS, GENERATION_BENCHES, runBench } from "../../experiments/bench.js";
import { UserError, positiveInt, oneOf } from "../errors.js";

export function benchCommand(): Command {
  const names = [...Object.keys(BENCH_WORKLOADS), ...Object.keys(GENERATION_BENCHES)];
  return new Command("bench")
    .description("time jitted training steps (forward + backward + AdamW); prints one JSON line per configuration")
    .option("--only <names>", `comma-separated configurations (default: all of ${names.join(", ")})`)
    .option("--steps <n>", "timed steps per configuration (median reported; at least 20)", positiveInt("--steps"), 20)
    .option("--warmup <n>", "untimed steps first (the first compiles)", positiveInt("--warmup"), 3)
    .addOption(new Option("--backend <name>", "jax-js backend").argParser(oneOf("--backend", BACKENDS)).default("wasm"))
    .action(async (opts: { only?: string; steps: number; warmup: number; backend: Backend }) => {
      const chosen = opts.only ? opts.only.split(",").map((s) => s.trim()) : names;
      for (const n of chosen) {
        if (!names.includes(n)) throw new UserError(`--only: unknown configuration "${n}"`, `choose from ${names.join(", ")}`);
      }
      if (opts.steps < 20) throw new UserError(`--steps must be at least 20 for a stable median, got ${opts.steps}`);
      await startBackend(opts.backend);
      for (const n of chosen) {
        const r = await runBench(n, { steps: opts.steps, warmup: opts.warmup });
        console.log(JSON.stringify(r));
      }
    });
}
