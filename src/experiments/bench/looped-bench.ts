// The looped model's training step at several depths: one jit per depth against one unrolled to the cap.
import type { GpuAdapterInfo } from "../../engine/backend.js";
import { modelKey } from "../../engine/rng.js";
import { count, dispose, type Tree } from "../../engine/tree.js";
import { adamw } from "../../optim/index.js";
import { recipeFor } from "../../trainers/index.js";
import { makeReasoner, type LoopedReasoner } from "../../models/index.js";
import { getTask } from "../../tasks/index.js";
import { SeededRng } from "../../common/seeded-rng.js";
import { sampleRecurrence } from "../../trainers/depth-trainer.js";
import { makeSupervisedStep } from "../../trainers/supervised-step.js";
import { median, onDevice, round, type BenchOptions } from "./measure.js";

export interface LoopedBenchResult {
  name: string;
  backend: string;
  /** The WebGPU adapter (vendor, architecture, description, fallback), on the webgpu backend. */
  adapter?: GpuAdapterInfo;
  /** Median ms of one training step (direct recipe, AdamW) at each timed depth r, k = backpropDepth. */
  ms_per_step_at_r: Record<string, number>;
  /** Median CPU ms (user + system, this process) of one step at each timed r: steadier than wall time on a shared machine. */
  cpu_ms_per_step_at_r: Record<string, number>;
  /** First call (trace + compile + run) at each timed r. */
  compile_ms_at_r: Record<string, number>;
  mean_recurrence: number;
  max_recurrence: number;
  /** One jit per r (what the trainer does): E over Huginn's Λ of the step time (wall, and CPU), linear in r between the timed depths. */
  per_r_jit_expected_ms: number;
  per_r_jit_expected_cpu_ms: number;
  /** One jit unrolled to max r with masking would run max iterations forward and k backward at least: the step time at r = max (wall, and CPU). */
  unrolled_max_lower_bound_ms: number;
  unrolled_max_lower_bound_cpu_ms: number;
  /** Compiling every r up to max once, interpolated from the timed depths (per-r caching's one-off cost). */
  per_r_jit_total_compile_ms: number;
  steps: number;
  params: number;
}

/**
 * The looped model's training step on pointer-chase (1–4 hops; d64, prelude 1, core 1, coda 1,
 * 4 heads; direct; batch 64; mean r 5, cap 15, k 4) at several depths: whether one jit per r
 * (the depth trainer) or one step unrolled to the cap with masking is cheaper per step.
 */
export async function loopedStepBench(name: string, opts: BenchOptions): Promise<LoopedBenchResult> {
  const task = getTask("pointer-chase");
  const taskOptions = { trainHops: { min: 1, max: 4 } };
  const limits = task.limits(taskOptions);
  const [B, mean, max, k] = [64, 5, 15, 4];
  const recipe = recipeFor("direct", 0, {});
  const base = makeReasoner({
    model: "looped", vocab: task.vocab(taskOptions).size, dim: 64, layers: 1, heads: 4, maxLen: recipe.sequenceLength(limits),
    looped: { prelude: 1, coda: 1, recurrence: mean, backpropDepth: k },
  }) as unknown as LoopedReasoner;
  const data = task.generate(0, "train", B * (opts.warmup + opts.steps), taskOptions);
  const depths = [1, 2, 4, 8, max];
  const ms: Record<string, number> = {};
  const cpuMs: Record<string, number> = {};
  const compile: Record<string, number> = {};
  let nParams = 0;
  for (const r of depths) {
    const cpus: number[] = [];
    const optimizer = adamw({ lr: 1e-3 });
    const reasoner = base.atDepth(r, k);
    let params = reasoner.init(modelKey(0)) as Tree;
    nParams = count(params);
    let state = optimizer.init(params) as Tree;
    const step = makeSupervisedStep<Tree, Tree>(recipe, reasoner as never, optimizer as never);
    const times: number[] = [];
    for (let i = 0; i < opts.warmup + opts.steps; i++) {
      const batch = recipe.frame(data.slice(i * B, (i + 1) * B), limits);
      const [t0, c0] = [performance.now(), process.cpuUsage()];
      const [loss, p2, s2, metrics, health] = step(params, state as never, batch);
      await loss.data();
      const c = process.cpuUsage(c0);
      dispose([metrics.accuracy, health.gradNorm, health.applied, ...Object.values(metrics.diagnostics)] as never);
      [params, state] = [p2 as Tree, s2 as Tree];
      if (i === 0) compile[r] = round(performance.now() - t0, 0);
      if (i >= opts.warmup) {
        times.push(performance.now() - t0);
        cpus.push((c.user + c.system) / 1000);
      }
    }
    step.dispose();
    dispose([params, state]);
    ms[r] = round(median(times), 1);
    cpuMs[r] = round(median(cpus), 1);
  }
  // piecewise-linear in r between the timed depths
  const at = (table: Record<string, number>, r: number) => {
    const i = Math.max(1, depths.findIndex((d) => d >= r));
    const [a, b] = [depths[i - 1], depths[i]];
    return table[a] + ((table[b] - table[a]) * (r - a)) / (b - a);
  };
  const rng = SeededRng.of(0);
  const draws = globalThis.Array.from({ length: 20_000 }, () => sampleRecurrence(rng, mean, max));
  const expected = (table: Record<string, number>) => round(draws.reduce((s, r) => s + at(table, r), 0) / draws.length, 1);
  const totalCompile = globalThis.Array.from({ length: max }, (_, i) => at(compile, i + 1)).reduce((a, b) => a + b, 0);
  return {
    name,
    ...onDevice(),
    ms_per_step_at_r: ms,
    cpu_ms_per_step_at_r: cpuMs,
    compile_ms_at_r: compile,
    mean_recurrence: mean,
    max_recurrence: max,
    per_r_jit_expected_ms: expected(ms),
    per_r_jit_expected_cpu_ms: expected(cpuMs),
    unrolled_max_lower_bound_ms: ms[max],
    unrolled_max_lower_bound_cpu_ms: cpuMs[max],
    per_r_jit_total_compile_ms: round(totalCompile, 0),
    steps: opts.steps,
    params: nParams,
  };
}
