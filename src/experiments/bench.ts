// `neuralese bench`: times jitted training steps (forward + backward + AdamW) of fixed
// configurations. Speed is measured here and reported as figures, never asserted in tests.
import { jit, np, random, type Array } from "../engine/jax.js";
import { activeAdapter, activeBackend, type GpuAdapterInfo } from "../engine/backend.js";
import { modelKey, splitKey, DataRng } from "../engine/rng.js";
import { type Flops, transformerFlops, gruFlops, matmulFlops, addFlops, withBackward } from "../engine/flops.js";
import { count, dispose, ref, type Tree } from "../engine/tree.js";
import { initTransformer, transformerLogits, crossEntropy, initGru, gruCell, initEmbedding, embed, initLinear, linear } from "../nn/index.js";
import { adamw, makeTrainStep, makeTrainStepFromGradients } from "../optim/index.js";
import { transformerReasoner, type TransformerParams } from "../models/index.js";
import { latentChainValueAndGrad } from "../reasoning/index.js";
import { sampleDecode } from "../trainers/policy-gradient.js";
import { SPECIAL } from "../tasks/vocab.js";
import { esOptions, esTrainer } from "../trainers/es.js";
import { initParams, recipeFor } from "../trainers/index.js";
import { makeReasoner } from "../models/index.js";
import { getTask } from "../tasks/index.js";
import { SeededRng } from "../common/seeded-rng.js";
import { sampleRecurrence } from "../trainers/depth-trainer.js";
import { makeSupervisedStep } from "../trainers/supervised-step.js";
import type { LoopedReasoner } from "../models/index.js";

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

interface Workload {
  name: string;
  /** FLOPs of one training step (forward + backward). */
  flops: Flops;
  params: Tree;
  /** The loss, differentiated by valueAndGrad; or, for custom backward passes, `lossAndGrads`. */
  loss?: (params: Tree, tokens: Array) => Array;
  lossAndGrads?: (params: Tree, tokens: Array) => { loss: Array; grads: Tree };
  /** Forward-only workloads (sampling): timed as one jit of `forward(params, tokens)`, no update. */
  forward?: (params: Tree, tokens: Array) => Array;
  batch: number;
  seq: number;
  vocab: number;
}

const VOCAB = 32;

function transformerWorkload(dim: number, layers: number, batch: number, seq: number): () => Workload {
  return () => transformerWorkloadOf(dim, layers, batch, seq);
}

function transformerWorkloadOf(dim: number, layers: number, batch: number, seq: number): Workload {
  const cfg = { vocab: VOCAB, dim, layers, heads: 4, maxLen: seq, mlpRatio: 4 };
  return {
    name: `transformer-d${dim}-l${layers}-b${batch}-t${seq}`,
    flops: transformerFlops({ ...cfg, oneHotEmbedding: true }, batch, seq), // nn's embedding is a one-hot matmul
    params: initTransformer(modelKey(0), cfg) as unknown as Tree,
    // next-token cross-entropy on every position: predict tokens[t+1] from tokens[..t]
    loss: (p, tokens) => {
      const logits = transformerLogits(p as never, tokens.ref, cfg);
      return crossEntropy(logits, np.roll(tokens, -1, 1));
    },
    batch,
    seq,
    vocab: VOCAB,
  };
}

function gruWorkload(hidden: number, batch: number, seq: number): () => Workload {
  return () => gruWorkloadOf(hidden, batch, seq);
}

function gruWorkloadOf(hidden: number, batch: number, seq: number): Workload {
  const [k1, k2, k3] = splitKey(modelKey(0), 3);
  const params = { embed: initEmbedding(k1, VOCAB, hidden), cell: initGru(k2, hidden, hidden), head: initLinear(k3, hidden, VOCAB) };
  const flops = addFlops(
    gruFlops(hidden, hidden, batch, seq),
    withBackward(seq * (matmulFlops(batch, VOCAB, hidden) + matmulFlops(batch, hidden, VOCAB))), // one-hot embedding, head
  );
  return {
    name: `gru-h${hidden}-b${batch}-t${seq}`,
    flops,
    params: params as unknown as Tree,
    loss: (p0, tokens) => {
      const p = p0 as unknown as typeof params;
      // Embed each step's tokens (integer slices, no gradient): slicing a differentiable [B,T,H]
      // activation per step makes jax-js's backward pass several times slower.
      const columns = tokens.ref.transpose([1, 0]); // [T,B]
      let h = np.zeros([batch, hidden]);
      const states: Array[] = [];
      for (let t = 0; t < seq; t++) {
        h = gruCell(p.cell, h, embed(p.embed, columns.ref.slice(t)));
        states.push(h.ref);
      }
      columns.dispose();
      h.dispose();
      return crossEntropy(linear(p.head, np.stack(states, 1)), np.roll(tokens, -1, 1));
    },
    batch,
    seq,
    vocab: VOCAB,
  };
}

/**
 * The continuous-thought transformer reasoner (src/models/transformer.ts): read a question of 24
 * tokens in one chunk, K = 6 latent steps, then decode `<ans>` and take the cross-entropy of its
 * logits against a 1-token answer; gradient by full BPTT or gradient-normalised BPTT (chained
 * vjps). Tokens [64, 25]: the question, then the answer. The GPU sizes change width, batch and
 * question length.
 */
function neuraleseWorkload(gradNorm: boolean, size = { dim: 128, batch: 64, question: 24 }): () => Workload {
  return () => {
    const { dim, batch, question } = size;
    const latentSteps = 6;
    const reasoner = transformerReasoner({ model: "transformer", vocab: VOCAB, dim, layers: 2, heads: 4, maxLen: question + latentSteps + 1 });
    // What is computed: the question chunk, K single positions, the answer position (with the
    // head), each attending over all maxLen cache slots (reasoner.positionFlops).
    const f = reasoner.positionFlops;
    const flops = withBackward(batch * (question * f.read + latentSteps * f.think + f.decode));
    return {
      name: `neuralese-transformer-d${dim}-l2-b${batch}-k6${question === 24 ? "" : `-q${question}`}${gradNorm ? "-gradnorm" : ""}`,
      flops,
      params: reasoner.init(modelKey(0)),
      lossAndGrads: (p, tokens) => {
        const prompt = tokens.ref.slice([], [0, question]);
        const answer = tokens.slice([], question);
        const readout = (params: TransformerParams, state: Parameters<typeof reasoner.decode>[1]) => {
          const [logits, end] = reasoner.decode(params, state, np.full([batch, 1], SPECIAL.answer, { dtype: np.int32 }));
          dispose([end.latent, end.carry]);
          return crossEntropy(logits.reshape([batch, VOCAB]), answer);
        };
        const c = latentChainValueAndGrad(reasoner, p as TransformerParams, prompt, readout, { latentSteps, gradNorm });
        dispose([c.aux, c.stepGradNorms, c.latentNorms]);
        return { loss: c.loss, grads: c.grads };
      },
      batch,
      seq: question + 1,
      vocab: VOCAB,
    };
  };
}

/**
 * GRPO's sampling (src/trainers/policy-gradient.ts): read a prompt of 8 tokens, then sample 16
 * tokens one at a time at temperature 1 over the reasoner's fixed-shape KV cache, the whole
 * loop in one jit (the engine notes measured 74 ms for this shape). Forward FLOPs only.
 */
function grpoSampleWorkload(): Workload {
  const [batch, prompt, steps] = [64, 8, 16];
  const reasoner = transformerReasoner({ model: "transformer", vocab: VOCAB, dim: 128, layers: 2, heads: 4, maxLen: prompt + steps });
  const f = reasoner.positionFlops;
  return {
    name: "grpo-sample-b64-t16",
    flops: { forward: batch * (prompt * f.read + steps * f.decode), backward: 0 },
    params: reasoner.init(modelKey(0)),
    forward: (p, tokens) => {
      const state = reasoner.read(p as TransformerParams, reasoner.start(batch), tokens.ref.slice([], [0, prompt]));
      const first = tokens.slice([], prompt);
      return sampleDecode(reasoner, p as TransformerParams, state, first, steps, random.key(1), 1);
    },
    batch,
    seq: prompt + 1,
    vocab: VOCAB,
  };
}

export const BENCH_WORKLOADS: Record<string, () => Workload> = {
  "grpo-sample-b64-t16": grpoSampleWorkload,
  "transformer-d128-l2-b32-t32": transformerWorkload(128, 2, 32, 32),
  "gru-h128-b64-t32": gruWorkload(128, 64, 32),
  "neuralese-transformer-d128-l2-b64-k6": neuraleseWorkload(false),
  "neuralese-transformer-d128-l2-b64-k6-gradnorm": neuraleseWorkload(true),
};

/**
 * The sizes a GPU is for: width 256–512, ProsQA-length sequences (~128 tokens), batch 256. Run only
 * when asked (--gpu-sizes, or by name with --only): on wasm each step is 0.3–1.5 TFLOP, tens of seconds.
 */
export const GPU_BENCH_WORKLOADS: Record<string, () => Workload> = {
  "transformer-d256-l4-b256-t128": transformerWorkload(256, 4, 256, 128),
  "transformer-d512-l2-b256-t128": transformerWorkload(512, 2, 256, 128),
  "gru-h256-b256-t128": gruWorkload(256, 256, 128),
  "neuralese-transformer-d256-l2-b256-k6-q120": neuraleseWorkload(false, { dim: 256, batch: 256, question: 120 }),
};

export interface EsBenchResult {
  name: string;
  backend: string;
  /** The WebGPU adapter (vendor, architecture, description, fallback), on the webgpu backend. */
  adapter?: GpuAdapterInfo;
  /** Median ms per generation (population members evaluated + estimate + update) with 1 and 2 workers. */
  ms_per_generation_1_worker: number;
  ms_per_generation_2_workers: number;
  /** Generations per second with 2 workers over with 1 (the issue targets >= 1.6). */
  throughput_ratio: number;
  /**
   * CPU ms (all threads of the process) per generation with 1 and 2 workers: on a shared machine
   * wall times say little, while equal CPU per generation means the work splits without overhead.
   */
  cpu_ms_per_generation_1_worker: number;
  cpu_ms_per_generation_2_workers: number;
  member_evals_per_s_2_workers: number;
  steps: number;
  params: number;
}

/**
 * ES generations on the pointer-chase pilot's model (transformer d64 l2, K = 4 neuralese chain,
 * pointer-chase defaults): population 32, batch 64, evaluated in-process (1 worker) and across 2
 * worker threads. Worker start-up and compilation fall in the untimed warm-up generations.
 */
async function esBench(name: string, opts: { steps: number; warmup: number }): Promise<EsBenchResult> {
  const task = getTask("pointer-chase");
  const taskOptions = {};
  const limits = task.limits(taskOptions);
  const [K, B, population] = [4, 64, 32];
  const data = task.generate(0, "train", B * (opts.warmup + opts.steps), taskOptions);
  const ms: number[] = [];
  const cpu: number[] = [];
  let nParams = 0;
  for (const workers of [1, 2]) {
    const options = esOptions.parse({ population, workers });
    const recipe = recipeFor("es", K, options);
    const reasoner = makeReasoner({ model: "transformer", vocab: task.vocab(taskOptions).size, dim: 64, layers: 2, heads: 4, maxLen: recipe.sequenceLength(limits) });
    const params = initParams(recipe, reasoner, modelKey(0));
    nParams = count(params);
    const optimizer = adamw({ lr: 1e-3 });
    const trainer = esTrainer({ task, taskOptions, limits, reasoner, recipe, optimizer, batchSize: B, latentSteps: K, seed: 0, options, params });
    const times: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i < opts.warmup + opts.steps; i++) {
      const [t0, c0] = [performance.now(), process.cpuUsage()];
      await trainer.step(data.slice(i * B, (i + 1) * B), i);
      const c = process.cpuUsage(c0);
      if (i >= opts.warmup) {
        times.push(performance.now() - t0);
        cpus.push((c.user + c.system) / 1000);
      }
    }
    trainer.dispose();
    ms.push(median(times));
    cpu.push(median(cpus));
  }
  return {
    name,
    ...onDevice(),
    ms_per_generation_1_worker: round(ms[0], 1),
    ms_per_generation_2_workers: round(ms[1], 1),
    throughput_ratio: round(ms[0] / ms[1], 2),
    cpu_ms_per_generation_1_worker: round(cpu[0], 1),
    cpu_ms_per_generation_2_workers: round(cpu[1], 1),
    member_evals_per_s_2_workers: round((population * 1000) / ms[1], 1),
    steps: opts.steps,
    params: nParams,
  };
}

/** Benchmarks that time something other than one training step (ES generations). */
export const GENERATION_BENCHES: Record<string, (name: string, opts: { steps: number; warmup: number }) => Promise<EsBenchResult | LoopedBenchResult>> = {
  "es-population32": esBench,
  "looped-step": (name, opts) => loopedStepBench(name, opts),
};

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Time `steps` jitted AdamW steps after `warmup` untimed ones; fresh random tokens each step. */
export async function runBench(name: string, opts: { steps: number; warmup: number }): Promise<BenchResult | EsBenchResult | LoopedBenchResult> {
  if (GENERATION_BENCHES[name]) return GENERATION_BENCHES[name](name, opts);
  const make = BENCH_WORKLOADS[name] ?? GPU_BENCH_WORKLOADS[name];
  if (!make) throw new Error(`no bench configuration "${name}"`);
  const w = make();
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
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  const flops = w.flops.forward + w.flops.backward;
  return {
    name,
    ...onDevice(),
    ms_per_step: round(median, 2),
    gflops_per_s: round(flops / (median * 1e6), 2),
    steps: times.length,
    compile_ms: round(compileMs, 0),
    ms_min: round(sorted[0], 2),
    ms_max: round(sorted[sorted.length - 1], 2),
    params: nParams,
  };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** Where a bench ran: the backend and, on webgpu, the adapter. */
const onDevice = (): { backend: string; adapter?: GpuAdapterInfo } => {
  const adapter = activeAdapter();
  return { backend: activeBackend(), ...(adapter ? { adapter } : {}) };
};

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
async function loopedStepBench(name: string, opts: { steps: number; warmup: number }): Promise<LoopedBenchResult> {
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
