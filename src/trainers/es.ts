// es: evolution strategies (Salimans et al. 2017) on a supervised recipe's loss, no
// backpropagation. Each generation: `population` members θ ± σε_j in antithetic pairs, all scored
// on the same minibatch by the recipe's forward pass (fitness = −CE of the answer, or accuracy),
// centred-rank shaping, then the run's optimizer (clip, AdamW) steps on the estimate
// ĝ = −Σ_j (w⁺_j − w⁻_j) ε_j / (population·σ) (+ weightDecay·θ). ε_j is regenerated from a per-pair
// key, so no copy of the population is kept. Members are evaluated in-process (workers = 1) or
// across worker threads, each its own jax-js instance; the result is bit-identical either way.
import { availableParallelism } from "node:os";
import { z } from "zod";
import { activeBackend } from "../engine/backend.js";
import { jit, np, type Array, type OwnedFunction } from "../engine/jax.js";
import { flatten, ref, zip, type Tree } from "../engine/tree.js";
import { createWorkerPool, type WorkerPool } from "../engine/worker-pool.js";
import { makeGuardedTrainStep } from "../optim/index.js";
import {
  concatLeaves,
  ES_RECIPES,
  layoutOf,
  makeEstimator,
  makePairEvaluator,
  pairCoefficients,
  pairKey,
  splitVector,
  toHost,
  type EsSpec,
  type HostBatch,
  type PairEvaluator,
} from "./es-members.js";
import type { EsWorkerRequest } from "./es-worker.js";
import { forwardFlopsPerExample } from "./supervised-trainer.js";
import { passCharge, type MethodTrainer, type TrainerSetup } from "./trainer.js";
import { scalar, stateTrainer, trainerState } from "./trainer-state.js";
import { mean } from "../common/mean.js";

export const esOptions = z.strictObject({
  /** Noise scale of the perturbations θ ± σε. */
  sigma: z.number().positive().default(0.02),
  /** Members per generation, in antithetic pairs (so even). */
  population: z
    .number()
    .int()
    .min(2)
    .default(32)
    .refine((n) => n % 2 === 0, { message: "population must be even (members come in antithetic pairs θ ± σε); use e.g. 32" }),
  /** L2 coefficient added to the estimate (on top of the optimizer's own AdamW decay). */
  weightDecay: z.number().nonnegative().default(0),
  /** What a member maximises: minus the answer cross-entropy, or teacher-forced accuracy. */
  fitness: z.enum(["loss", "accuracy"]).default("loss"),
  /** Whose forward pass is evaluated (and evaluated by the run): neuralese, or a control without latent feedback. */
  recipe: z.enum(ES_RECIPES).default("neuralese"),
  /** Worker threads evaluating members (1: in-process; 0: one per core). */
  workers: z.number().int().nonnegative().default(1),
});
export type EsOptions = z.infer<typeof esOptions>;

/** Members a generation evaluates, split into contiguous runs of pairs, one per worker. */
export const chunks = (pairs: number, workers: number): [number, number][] =>
  globalThis.Array.from({ length: workers }, (_, w) => [Math.floor((w * pairs) / workers), Math.floor(((w + 1) * pairs) / workers)]);

export function esTrainer(setup: TrainerSetup): MethodTrainer {
  const o = esOptions.parse(setup.options);
  const { recipe, reasoner, optimizer, limits, seed } = setup;
  if (setup.latentSteps === undefined) throw new Error("es: the trainer setup lacks latentSteps (the run config's model.latentSteps)");
  const spec: EsSpec = { reasoner: reasoner.config, recipe: o.recipe, latentSteps: setup.latentSteps };
  const workers = o.workers === 0 ? availableParallelism() : o.workers;
  const pairs = o.population / 2;
  const state = trainerState(setup.params, optimizer);
  const trees = state.trees;
  let forwardPasses = 0;
  const [, rebuild] = flatten(trees.params);
  const layout = layoutOf(trees.params);
  const estimator = makeEstimator(layout.size);
  const flat = jit((p: Tree) => concatLeaves(p)) as OwnedFunction<(p: Tree) => Array>;
  // the run optimizer's guarded step on ĝ (+ L2): a non-finite estimate or fitness skips the update
  type EsBatch = { estimate: Array; loss: Array };
  const update = makeGuardedTrainStep<Tree, EsBatch, Tree, Record<string, never>>((p, b) => {
    let grads = rebuild(splitVector(b.estimate, layout) as never) as Tree;
    if (o.weightDecay > 0) grads = zip((g, w) => g.add(w.mul(o.weightDecay)), grads, ref(p));
    return { loss: b.loss, grads, metrics: {} };
  }, optimizer);

  const positions = recipe.positions(limits);
  const tokensPerExample = positions.read + positions.think + positions.decode;
  const forwardPerExample = forwardFlopsPerExample(setup);

  // where members are evaluated: in this thread, or a pool started on the first generation
  let local: PairEvaluator | undefined;
  let pool: Promise<WorkerPool> | undefined;
  let shared: SharedArrayBuffer | undefined;
  const evaluate = async (theta: Float32Array, batch: HostBatch, keys: [number, number][]): Promise<Float32Array> => {
    if (workers === 1) {
      local ??= makePairEvaluator(spec);
      return local.evaluate(theta, batch, keys, o.sigma);
    }
    pool ??= createWorkerPool(workers, new URL("./es-worker.ts", import.meta.url), { backend: activeBackend(), init: { spec } });
    const p = await pool;
    shared ??= new SharedArrayBuffer(4 * layout.size);
    new Float32Array(shared).set(theta);
    const parts = await Promise.all(
      chunks(keys.length, workers).map(([a, b], w) =>
        b > a ? p.call<Float32Array>(w, { theta: shared!, batch, keys: keys.slice(a, b), sigma: o.sigma } satisfies EsWorkerRequest) : new Float32Array(0),
      ),
    );
    return Float32Array.from(parts.flatMap((part) => [...part]));
  };

  return stateTrainer(state, {
    restoreExtra: (extra) => void (forwardPasses = Number(extra.memberForwardPasses ?? 0)),
    extra: () => ({ memberForwardPasses: forwardPasses }),
    async step(examples, step) {
      const B = examples.length;
      const batch = await toHost(recipe.frame(examples, limits));
      const theta = (await flat(ref(trees.params)).data()) as Float32Array;
      const keys = globalThis.Array.from({ length: pairs }, (_, j) => pairKey(seed, step, j));
      const r = await evaluate(theta, batch, keys);
      // members in order [+0, −0, +1, −1, ...]
      const losses = Float64Array.from({ length: o.population }, (_, m) => r[4 * (m >> 1) + (m & 1)]);
      const accs = Float64Array.from({ length: o.population }, (_, m) => r[4 * (m >> 1) + 2 + (m & 1)]);
      const fitness = o.fitness === "loss" ? losses.map((l) => -l) : accs;
      const finite = losses.every(Number.isFinite);
      const meanLoss = finite ? mean([...losses]) : NaN;
      const estimate = finite ? estimator.estimate(keys, pairCoefficients(fitness, o.sigma)) : np.zeros([layout.size]);
      const [lossArray, , health] = state.advance(update(trees.params, trees.optimizer, { estimate, loss: np.array(meanLoss, { dtype: np.float32 }) }));
      lossArray.dispose();
      const [gradNorm, applied] = await Promise.all([scalar(health.gradNorm), scalar(health.applied)]);
      forwardPasses += o.population * B;
      return {
        loss: meanLoss,
        accuracy: mean([...accs]),
        gradNorm,
        applied: applied === 1,
        charge: { examples: B, ...passCharge(o.population * B * tokensPerExample, o.population * B * forwardPerExample, false) },
        diagnostics: {
          /** mean loss and accuracy are over the members; the spread says how much σ moves the loss */
          memberLossMin: Math.min(...losses),
          memberLossMax: Math.max(...losses),
          memberForwardPasses: forwardPasses,
        },
      };
    },
    dispose() {
      update.dispose();
      flat.dispose();
      estimator.dispose();
      local?.dispose();
      void pool?.then((p) => p.close());
    },
  });
}
