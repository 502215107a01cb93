// `neuralese bench`: times jitted training steps (forward + backward + AdamW) of fixed
// configurations, ES generations and the looped model's depths. Speed is measured here and
// reported as figures, never asserted in tests.
import { esBench, type EsBenchResult } from "./es-bench.js";
import { loopedStepBench, type LoopedBenchResult } from "./looped-bench.js";
import type { BenchOptions } from "./measure.js";
import { stepBench, type BenchResult } from "./step-bench.js";
import { BENCH_WORKLOADS, GPU_BENCH_WORKLOADS } from "./workloads.js";

export { BENCH_WORKLOADS, GPU_BENCH_WORKLOADS, type BenchResult, type EsBenchResult, type LoopedBenchResult };

/** Benchmarks that time something other than one training step (ES generations, looped depths). */
export const GENERATION_BENCHES: Record<string, (name: string, opts: BenchOptions) => Promise<EsBenchResult | LoopedBenchResult>> = {
  "es-population32": esBench,
  "looped-step": loopedStepBench,
};

/** Time `steps` steps of the named configuration after `warmup` untimed ones. */
export async function runBench(name: string, opts: BenchOptions): Promise<BenchResult | EsBenchResult | LoopedBenchResult> {
  if (GENERATION_BENCHES[name]) return GENERATION_BENCHES[name](name, opts);
  const make = BENCH_WORKLOADS[name] ?? GPU_BENCH_WORKLOADS[name];
  if (!make) throw new Error(`no bench configuration "${name}"`);
  return stepBench(name, make(), opts);
}
