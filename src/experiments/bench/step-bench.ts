// One configuration's training step timed: compile (the first call), then the median of the timed steps.
import { jit, np, type Array } from "../../engine/jax.js";
import type { GpuAdapterInfo } from "../../engine/backend.js";
import { DataRng } from "../../engine/rng.js";
import { count, dispose, ref, type Tree } from "../../engine/tree.js";
import { adamw, makeTrainStep, makeTrainStepFromGradients } from "../../optim/index.js";
import { median, onDevice, round, type BenchOptions } from "./measure.js";
import type { Workload } from "./workloads.js";

export interface BenchResult {
  name: string;
  backend: string;
  /** The WebGPU adapter (vendor, architecture, description, fallback), on the webgpu backend. */
  adapter?: GpuAdapterInfo;
  ms_per_step: number;
  gflops_per_s: number;
  steps: number;
  compile_ms: number;
  ms_min: number;
  ms_max: number;
  params: number;
}

/** Time `steps` jitted AdamW steps after `warmup` untimed ones; fresh random tokens each step. */
export async function stepBench(name: string, w: Workload, opts: BenchOptions): Promise<BenchResult> {
  const optimizer = adamw({ lr: 1e-3 });
  type Step = ((params: Tree, state: Tree, tokens: Array) => [Array, Tree, Tree]) & { dispose(): void };
  const forward = w.forward ? (jit(w.forward) as unknown as ((p: Tree, tokens: Array) => Array) & { dispose(): void }) : null;
  const step = (w.lossAndGrads
    ? makeTrainStepFromGradients((p: Tree, tokens: Array) => ({ ...w.lossAndGrads!(p, tokens), metrics: {} }), optimizer)
    : makeTrainStep(w.loss!, optimizer)) as unknown as Step;
  let params = w.params;
  let state: Tree = optimizer.init(params);
  const nParams = count(params);
  const data = new DataRng(1);
  const batchTokens = () =>
    np.array(Int32Array.from({ length: w.batch * w.seq }, () => data.int(0, w.vocab - 1)), { dtype: np.int32 }).reshape([w.batch, w.seq]);

  const times: number[] = [];
  let compileMs = 0;
  for (let i = 0; i < opts.warmup + opts.steps; i++) {
    const tokens = batchTokens();
    const t0 = performance.now();
    if (forward) {
      await forward(ref(params), tokens).data();
    } else {
      const [loss, p2, s2]: [Array, Tree, Tree] = step(params, state, tokens);
      await loss.data(); // the only good sync point
      [params, state] = [p2, s2];
    }
    const ms = performance.now() - t0;
    if (i === 0) compileMs = ms;
    if (i >= opts.warmup) times.push(ms);
  }
  dispose(params);
  dispose(state);
  step.dispose();
  forward?.dispose();
  const sorted = times.slice().sort((a, b) => a - b);
  const ms = median(times);
  const flops = w.flops.forward + w.flops.backward;
  return {
    name,
    ...onDevice(),
    ms_per_step: round(ms, 2),
    gflops_per_s: round(flops / (ms * 1e6), 2),
    steps: times.length,
    compile_ms: round(compileMs, 0),
    ms_min: round(sorted[0], 2),
    ms_max: round(sorted[sorted.length - 1], 2),
    params: nParams,
  };
}
