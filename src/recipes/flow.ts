// flow: latent flow reasoning, the method the essay describes (it cites arXiv 2601.09260, which is
// itself about discrete tokens; this is the essay's continuous version, not that paper's method).
// A latent z is moved by a learned velocity field toward where the true answer is more likely:
//   encoder   read <bos> q <bot> → z₀ = the reasoner's latent there (what neuralese's first thought reads)
//   flow      z_{t+1} = z_t + Δ·clip(v_θ(z_t, z₀, t)),  t = 0 … T−1   (T = the run's latentSteps)
//   decoder   p(y | x, z): one latent step fed z, then <eot> <ans> a₁…a_n teacher-forced, over the
//             question's carry (the transformer's KV cache; a one-layer gru/lstm carries x in z only)
// v_θ is a small MLP over [z, z₀ (stop-gradient), a learned step embedding] (src/reasoning/flow.ts),
// parameters of its own next to the reasoner's: params = { reasoner, velocity }.
// Training objective (`objective`), all in one jitted step:
//   - "regress" (default): the decoder (and encoder) by cross-entropy at z_T; the velocity by
//     regression ‖v_θ(z_t) − ĝ_t‖² onto ĝ_t = ∇_z log p(y* | x, z_t) / ‖·‖, a stop-gradient
//     target taken with the current decoder, along the field's own trajectory (z_t held fixed).
//   - "improve": the velocity by maximising log p(y* | x, z_t + Δ·clip(v)) − log p(y* | x, z_t)
//     at each step (z_t and the decoder held fixed; the second term is a constant);
//     the decoder by cross-entropy at z_T as above.
//   - "bptt" (the control): cross-entropy at z_T backpropagated through the whole flow, the
//     encoder and the decoder, like neuralese's chain.
//   In "regress" and "improve" z_T reaches the cross-entropy as z₀ + sg(z_T − z₀) (straight
//   through): the encoder learns from the answer as if the flow were the identity, and the
//   velocity learns from its own objective only. The velocity loss is the mean over steps, weighted
//   by `velocityWeight` against the cross-entropy.
// Step diagnostics (metrics.jsonl): logProbAlong, the batch mean of log p(y* | x, z_t) (answer
// tokens and <eos>) — regress: t = 0 … T; improve: t = 0 … T under the frozen decoder, then z_T
// again from the cross-entropy pass; bptt: z_T only; cosineToTarget (regress): cos(v, ĝ) per step;
// speed: mean ‖v‖ before the clip; crossEntropy. `neuralese eval` adds the held-out profile.
// At inference y* is unknown: only v_θ moves z. Training charges what it runs (`trainingCharge`):
// the velocity net's FLOPs and, for "regress"/"improve", a decoder pass with an input-only backward
// at every flow step (src/trainers/flow-trainer.ts).
import { jit, lax, np, type Array, type OwnedFunction } from "../engine/jax.js";
import { valueAndGradNestedAux } from "../engine/vjp.js";
import { splitKey } from "../engine/rng.js";
import { dispose, ref as refTree, type Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";
import { ascentDirection, disposeState, flowStep, floatDtype, initVelocity, rowCosine, sequenceLogProb, stopGradientTree, vectorOf, velocity, velocityFlops, type Velocity } from "../reasoning/index.js";
import type { Example, Limits, Task } from "../tasks/index.js";
import { answerLoss } from "./answer-loss.js";
import type { BudgetCharge } from "../engine/flops.js";
import { answerFromDecoded, answerWidth, promptWidth } from "./framing.js";
import type { Batch, StepOutput, SupervisedRecipe } from "./recipe.js";
import { greedyAnswer, promptAnswerBatch, readEot, withBot } from "./supervised-parts.js";

export const FLOW_OBJECTIVES = ["regress", "improve", "bptt"] as const;
export type FlowObjective = (typeof FLOW_OBJECTIVES)[number];

export interface FlowOptions {
  /** T, the number of flow steps. */
  flowSteps: number;
  objective: FlowObjective;
  /** Δ: the longest move of z in one step (v is clipped to unit norm). */
  stepSize: number;
  /** Width of the velocity MLP's hidden layer; null: 2·dim. */
  velocityHidden: number | null;
  /** Weight of the velocity loss against the cross-entropy ("regress", "improve"). */
  velocityWeight: number;
}

export type FlowParams<P extends Tree = Tree> = { reasoner: P; velocity: Velocity };

export interface FlowRecipe extends SupervisedRecipe {
  readonly options: FlowOptions;
  /** What one training step on `batch` examples really runs (flowTrainer charges it). */
  trainingCharge(reasoner: Reasoner<Tree>, limits: Limits, batch: number): Omit<BudgetCharge, "steps" | "wallMs">;
}

const hiddenOf = (o: FlowOptions, dim: number) => o.velocityHidden ?? 2 * dim;

/** `<bos> q <bot>` read from the empty state: the encoder. Consumes `prompt`. */
export function encode<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array): ReasonerState {
  return reasoner.read(p, reasoner.start(prompt.shape[0], { dtype: floatDtype(p) }), withBot(prompt));
}

/** The state the answer is decoded from: z fed as one latent step after the question, then <eot>. Borrows `enc`, consumes `z`. */
function decoderState<P extends Tree>(reasoner: Reasoner<P>, p: P, enc: ReasonerState, z: Array): ReasonerState {
  return readEot(reasoner, p, reasoner.think(p, { latent: z, carry: refTree(enc.carry), position: enc.position }));
}

/** Teacher-forced answer logits [B, n, V] of p(y | x, z). Borrows `enc` and the batch, consumes `z`. */
function decoderLogits<P extends Tree>(reasoner: Reasoner<P>, p: P, enc: ReasonerState, z: Array, batch: Batch): Array {
  const [logits, end] = reasoner.decode(p, decoderState(reasoner, p, enc, z), batch.answerIn.ref);
  disposeState(end);
  return logits;
}

/** log p(y* | x, z) per example [B]. Borrows `enc` and the batch, consumes `z`. */
export function answerLogProb<P extends Tree>(reasoner: Reasoner<P>, p: P, enc: ReasonerState, z: Array, batch: Batch): Array {
  return sequenceLogProb(decoderLogits(reasoner, p, enc, z, batch), batch.answerTarget.ref, batch.answerMask.ref);
}

/** z₀ → z_T by the field alone (inference); returns every z_t (t = 0 … T). Borrows `v`, consumes `z0`. */
function rollout(v: Velocity, z0: Array, o: FlowOptions): Array[] {
  const zs = [z0];
  for (let t = 0; t < o.flowSteps; t++) {
    const z = zs[t];
    zs.push(flowStep(z.ref, velocity(v, z.ref, zs[0].ref, t), o.stepSize));
  }
  return zs;
}

export function flow(o: FlowOptions): FlowRecipe {
  const T = o.flowSteps;
  if (!(Number.isInteger(T) && T >= 0)) throw new Error(`flow: flowSteps must be an integer >= 0, got ${T}`);
  // <bos> q <bot> | one latent step | <eot> | <ans> a₁…a_n
  const sequenceLength = (l: Limits) => promptWidth(l) + 1 + 1 + 1 + answerWidth(l);

  function lossAndGrad<P extends Tree>(reasoner: Reasoner<P>, params: P, batch: Batch): StepOutput {
    const loss = (p: FlowParams<P>): [Array, Record<string, Array>] => {
      const enc = encode(reasoner, p.reasoner, batch.prompt.ref);
      const z0 = enc.latent;
      const summary = lax.stopGradient(z0.ref);
      const frozen = o.objective === "bptt" ? null : { p: stopGradientTree(p.reasoner), enc: { ...enc, latent: summary.ref, carry: stopGradientTree(enc.carry) } };
      const frozenLogProb = (z: Array) => answerLogProb(reasoner, frozen!.p, frozen!.enc, z, batch);
      let z = o.objective === "bptt" ? z0.ref : summary.ref;
      const velocityLosses: Array[] = [];
      const logProbs: Array[] = [];
      const cosines: Array[] = [];
      const speeds: Array[] = [];
      if (o.objective === "improve") logProbs.push(lax.stopGradient(frozenLogProb(z.ref).mean()));
      for (let t = 0; t < T; t++) {
        const v = velocity(p.velocity, z.ref, summary.ref, t);
        speeds.push(lax.stopGradient(np.sqrt(np.square(v.ref).sum(-1)).mean()));
        if (o.objective === "regress") {
          const target = ascentDirection(frozenLogProb, z.ref);
          logProbs.push(target.logProb.mean());
          target.gradNorm.dispose();
          cosines.push(lax.stopGradient(rowCosine(v.ref, target.direction.ref).mean()));
          velocityLosses.push(np.square(v.ref.sub(target.direction)).sum(-1).mean());
          z = lax.stopGradient(flowStep(z, v, o.stepSize));
        } else if (o.objective === "improve") {
          const next = flowStep(z, v, o.stepSize);
          const lp = frozenLogProb(next.ref);
          logProbs.push(lax.stopGradient(lp.ref.mean()));
          velocityLosses.push(lp.mean().neg());
          z = lax.stopGradient(next);
        } else {
          z = flowStep(z, v, o.stepSize);
        }
      }
      // regress/improve: straight through, z₀ + sg(z_T − z₀)
      const zT = o.objective === "bptt" ? z : z0.ref.add(z.sub(summary.ref));
      const logits = decoderLogits(reasoner, p.reasoner, enc, zT, batch);
      const finalLogProb = lax.stopGradient(sequenceLogProb(logits.ref, batch.answerTarget.ref, batch.answerMask.ref));
      const { loss: ce, correct } = answerLoss(logits, batch.answerTarget.ref, batch.answerMask.ref);
      logProbs.push(finalLogProb.mean());
      let total = ce.ref;
      if (velocityLosses.length) total = total.add(velocityLosses.reduce((a, b) => a.add(b)).mul(o.velocityWeight / T));
      z0.dispose();
      summary.dispose();
      dispose(enc.carry);
      if (frozen) {
        dispose(frozen.p);
        disposeState(frozen.enc);
      }
      const dtype = ce.dtype;
      const vec = (xs: Array[]) => vectorOf(xs, dtype);
      return [total, { correct, crossEntropy: lax.stopGradient(ce), logProbAlong: vec(logProbs), cosineToTarget: vec(cosines), speed: vec(speeds) }];
    };
    // the targets take a gradient inside the loss: valueAndGrad's aux would come out broken (engine/vjp.ts)
    const [[total, aux], grads] = valueAndGradNestedAux(loss as never, params as never) as unknown as [[Array, Record<string, Array>], Tree];
    dispose([batch.prompt, batch.answerIn, batch.answerTarget, batch.answerMask]);
    const { correct, ...diagnostics } = aux;
    return { loss: total, correct, grads, diagnostics };
  }

  function trainingCharge(reasoner: Reasoner<Tree>, limits: Limits, B: number): Omit<BudgetCharge, "steps" | "wallMs"> {
    const pf = reasoner.positionFlops;
    const nEnc = promptWidth(limits) + 1;
    const nDec = 2 + answerWidth(limits);
    const E = nEnc * pf.read;
    const D = pf.think + pf.read + answerWidth(limits) * pf.decode;
    const V = velocityFlops(reasoner.config.dim, hiddenOf(o, reasoner.config.dim));
    // every recipe charges a full backward as 2× its forward; a backward to z alone (the targets
    // of "regress", the decoder seen by "improve") computes no weight gradients: 1× its forward
    const perExample =
      o.objective === "bptt"
        ? { fwdTok: nEnc + nDec, bwdTok: nEnc + nDec, fwd: E + D + T * V, bwd: 2 * (E + D + T * V) }
        : o.objective === "regress"
          ? { fwdTok: nEnc + (T + 1) * nDec, bwdTok: nEnc + (T + 1) * nDec, fwd: E + (T + 1) * D + T * V, bwd: 2 * (E + D + T * V) + T * D }
          : // improve: + a forward at z₀ for the log p diagnostic
            { fwdTok: nEnc + (T + 2) * nDec, bwdTok: nEnc + (T + 1) * nDec, fwd: E + (T + 2) * D + T * V, bwd: 2 * (E + D + T * V) + T * D };
    return {
      examples: B,
      forwardTokens: B * perExample.fwdTok,
      backwardTokens: B * perExample.bwdTok,
      flops: { forward: B * perExample.fwd, backward: B * perExample.bwd },
    };
  }

  return {
    name: "flow",
    options: o,
    init(reasoner: Reasoner<Tree>, key: Array): FlowParams {
      const [kr, kv] = splitKey(key);
      const dim = reasoner.config.dim;
      return { reasoner: reasoner.init(kr), velocity: initVelocity(kv, dim, T, hiddenOf(o, dim)) };
    },
    sequenceLength,
    frame: promptAnswerBatch,
    lossAndGrad,
    predict<P extends Tree>(reasoner: Reasoner<P>, params: P, prompt: Array, limits: Limits) {
      const p = params as unknown as FlowParams<P>;
      const enc = encode(reasoner, p.reasoner, prompt);
      const zs = rollout(p.velocity, enc.latent, o);
      const zT = zs.pop()!;
      dispose(zs);
      const out = greedyAnswer(reasoner, p.reasoner, decoderState(reasoner, p.reasoner, enc, zT), limits);
      dispose(enc.carry);
      return out;
    },
    answerOf: answerFromDecoded,
    // one inference pass; training runs more (trainingCharge)
    positions: (l: Limits) => ({ read: promptWidth(l) + 2, think: 1, decode: answerWidth(l) }),
    trainingCharge,
  };
}

/** Along the flow on held-out questions: what z_t (t = 0 … T) gives. */
export interface FlowProfile {
  n: number;
  /** Mean log p(y* | x, z_t) per t. */
  logProbAlong: number[];
  /** Greedy accuracy when decoding from z_t, per t (the last is the recipe's own answer). */
  accuracyAlong: number[];
  /** Fraction of questions whose log p(y* | x, z_{t+1}) > log p(y* | x, z_t), per step t. */
  risingAt: number[];
  /** Fraction of questions with log p(y* | x, z_T) > log p(y* | x, z₀). */
  rising: number;
}

type Profiler = OwnedFunction<(params: Tree, batch: Batch) => [Array, Array]>;

/** Jitted: (params, batch) → (log p(y* | x, z_t) [T+1, B], greedy answers from each z_t [T+1, B, n]). */
export function makeFlowProfiler(recipe: FlowRecipe, reasoner: Reasoner<Tree>, limits: Limits): Profiler {
  const o = recipe.options;
  return jit((params: Tree, batch: Batch) => {
    const p = params as FlowParams;
    const enc = encode(reasoner, p.reasoner, batch.prompt.ref);
    const zs = rollout(p.velocity, enc.latent, o);
    const logProbs = zs.map((z) => answerLogProb(reasoner, p.reasoner, enc, z.ref, batch));
    const answers = zs.map((z) => greedyAnswer(reasoner, p.reasoner, decoderState(reasoner, p.reasoner, enc, z), limits));
    dispose(enc.carry);
    dispose(batch);
    return [np.stack(logProbs), np.stack(answers)];
  }) as unknown as Profiler;
}

/** The flow profile of `params` on `examples` (batches filled up as in evaluate). Borrows params. */
export async function flowProfile(
  recipe: FlowRecipe,
  reasoner: Reasoner<Tree>,
  task: Task,
  params: Tree,
  examples: readonly Example[],
  limits: Limits,
  batchSize: number,
): Promise<FlowProfile> {
  const T = recipe.options.flowSteps;
  const profiler = makeFlowProfiler(recipe, reasoner, limits);
  const logProb: number[][] = [];
  const right: number[][] = [];
  try {
    for (let start = 0; start < examples.length; start += batchSize) {
      const chunk = examples.slice(start, start + batchSize);
      const filled = [...chunk, ...globalThis.Array.from({ length: batchSize - chunk.length }, () => examples[0])];
      const [lp, answers] = profiler(refTree(params), promptAnswerBatch(filled, limits));
      const [lps, toks] = [await lp.data(), await answers.data()];
      const width = toks.length / ((T + 1) * batchSize);
      chunk.forEach((e, i) => {
        logProb.push(globalThis.Array.from({ length: T + 1 }, (_, t) => lps[t * batchSize + i]));
        right.push(globalThis.Array.from({ length: T + 1 }, (_, t) => task.grade(e, answerFromDecoded(toks.subarray((t * batchSize + i) * width, (t * batchSize + i + 1) * width)))));
      });
    }
  } finally {
    profiler.dispose();
  }
  const n = logProb.length;
  const meanOf = (f: (i: number) => number) => globalThis.Array.from({ length: n }, (_, i) => f(i)).reduce((a, b) => a + b, 0) / Math.max(n, 1);
  return {
    n,
    logProbAlong: globalThis.Array.from({ length: T + 1 }, (_, t) => meanOf((i) => logProb[i][t])),
    accuracyAlong: globalThis.Array.from({ length: T + 1 }, (_, t) => meanOf((i) => right[i][t])),
    risingAt: globalThis.Array.from({ length: T }, (_, t) => meanOf((i) => Number(logProb[i][t + 1] > logProb[i][t]))),
    rising: meanOf((i) => Number(logProb[i][T] > logProb[i][0])),
  };
}
