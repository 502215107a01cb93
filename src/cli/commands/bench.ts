// `neuralese bench`: one JSON line per configuration on stdout.
import { Command, Option } from "commander";
import { BACKENDS, type Backend } from "../../engine/backend.js";
import { startBackend } from "../engine.js";
import { BENCH_WORKLOADS, GENERATION_BENCHES, GPU_BENCH_WORKLOADS, runBench } from "../../experiments/bench/index.js";
import { UserError, positiveInt, oneOf } from "../errors.js";

export function benchCommand(): Command {
  const names = [...Object.keys(BENCH_WORKLOADS), ...Object.keys(GENERATION_BENCHES)];
  const gpuNames = Object.keys(GPU_BENCH_WORKLOADS);
  return new Command("bench")
    .description("time jitted training steps (forward + backward + AdamW); prints one JSON line per configuration (compile_ms: the first step, ms_per_step: the median)")
    .option("--only <names>", `comma-separated configurations (default: all of ${names.join(", ")}; GPU sizes: ${gpuNames.join(", ")})`)
    .option("--gpu-sizes", "also run the GPU-sized configurations (width 256-512, 128-token sequences, batch 256; tens of seconds a step on wasm)")
    .option("--steps <n>", "timed steps per configuration (median reported; at least 20, or 5 when only GPU-size configurations run)", positiveInt("--steps"), 20)
    .option("--warmup <n>", "untimed steps first (the first compiles)", positiveInt("--warmup"), 3)
    .addOption(new Option("--backend <name>", "jax-js backend").argParser(oneOf("--backend", BACKENDS)).default("wasm"))
    .action(async (opts: { only?: string; steps: number; warmup: number; backend: Backend; gpuSizes?: boolean }) => {
      const known = [...names, ...gpuNames];
      const chosen = opts.only ? opts.only.split(",").map((s) => s.trim()) : opts.gpuSizes ? known : names;
      for (const n of chosen) {
        if (!known.includes(n)) throw new UserError(`--only: unknown configuration "${n}"`, `choose from ${known.join(", ")}`);
      }
      // GPU-sized steps take tens of seconds on wasm: 5 timed steps are allowed when only those run
      const minSteps = chosen.every((n) => gpuNames.includes(n)) ? 5 : 20;
      if (opts.steps < minSteps) throw new UserError(`--steps must be at least ${minSteps} for a stable median, got ${opts.steps}`, "GPU-size configurations alone allow --steps 5");
      await startBackend(opts.backend);
      for (const n of chosen) {
        const r = await runBench(n, { steps: opts.steps, warmup: opts.warmup });
        console.log(JSON.stringify(r));
      }
    });
}
