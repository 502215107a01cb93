// halting: neuralese with a learned number of thoughts (PonderNet, or ACT). Up to N blocks of c
// continuous thoughts; after each block n a halting head on the latent gives λ_n = sigmoid(w·h_n + b),
// and the answer is decoded from that point:
//   read <bos> q <bot>  →  (think ×c → λ_n, read <eot> → decode <ans> a₁…a_m) for n = 1 … N
// Training (fixed shapes: all N blocks unrolled, plain BPTT through the whole chain): the per-step
// answer losses L_n (per-example mean CE of the answer tokens) weighted by the halting
// distribution — PonderNet: Σ p_n L_n + β·KL(p ‖ geometric(λ_p)); ACT: Σ p_n L_n + τ·(N(t) + R).
// Inference: every block's answer is decoded greedily, the halting step is chosen per example
// ("sample": a Bernoulli(λ_n) draw at each step, from a fixed key so evaluation is repeatable;
// "threshold": the first step whose cumulative halting mass reaches `threshold`), and that step's
// answer is returned with every block's answer (per-block accuracy, `blockAnswersOf`) and the
// latent steps used (n·c) in the row's last column (`stepsOf`).
// The maths lives in src/reasoning/halting.ts. The halting head's parameters sit beside the
// reasoner's: params = { model, halt: { w [dim], b [] } }; b starts at logit(λ_p) and w at 0, so the
// initial halting distribution is the prior.
import { jnn, np, random, type Array, type DType } from "../engine/jax.js";
import { dispose, type Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";
import { oneHot } from "../nn/index.js";
import {
  actLoss,
  haltAtThreshold,
  haltBySampling,
  haltStepNumber,
  ponderNetDistribution,
  ponderNetLoss,
} from "../reasoning/halting.js";
import { disposeState, refState } from "../reasoning/index.js";
import type { Limits } from "../tasks/index.js";
import { answerFromDecoded, answerWidth, promptWidth } from "./framing.js";
import type { Batch, SupervisedRecipe } from "./recipe.js";
import { greedyAnswer, promptAnswerBatch, readEot, withBot } from "./supervised-parts.js";
import { valueAndGradAux } from "../engine/vjp.js";

export interface HaltingOptions {
  rule: "pondernet" | "act";
  /** N, the most blocks; null: latentSteps / blockSize (if given, N·c must equal latentSteps). */
  maxSteps: number | null;
  /** c, latent steps per block (the halting head looks after every block). */
  blockSize: number;
  /** PonderNet: weight of KL(p ‖ geometric(λ_p)). */
  beta: number;
  /** PonderNet: the geometric prior's halting probability per step. */
  lambdaP: number;
  /** ACT: halt once the cumulative halting mass reaches 1 − ε. */
  epsilon: number;
  /** ACT: weight of the ponder cost N(t) + R. */
  tau: number;
  inference: "sample" | "threshold";
  /** Cumulative halting mass that stops inference ("threshold"); null: 0.5 (PonderNet), 1 − ε (ACT). */
  threshold: number | null;
  /** Seed of the fixed key for "sample" inference. */
  sampleSeed: number;
}

export type HaltHead = { w: Array; b: Array };
export type HaltingParams<P extends Tree> = { model: P; halt: HaltHead };

/** The number of blocks N a config describes. */
export function haltingBlocks(latentSteps: number, opts: Pick<HaltingOptions, "maxSteps" | "blockSize">): number {
  const c = opts.blockSize;
  if (opts.maxSteps !== null && opts.maxSteps * c !== latentSteps) {
    throw new Error(`halting: method.options.maxSteps ${opts.maxSteps} × blockSize ${c} must equal --latent-steps ${latentSteps} (the most latent steps); set --latent-steps ${opts.maxSteps * c}`);
  }
  if (latentSteps % c !== 0 || latentSteps < c) {
    throw new Error(`halting: --latent-steps ${latentSteps} is not a positive multiple of method.options.blockSize ${c}`);
  }
  return latentSteps / c;
}

/** Per-example mean cross-entropy over the masked answer positions [B], and exact-match correctness [B]. Consumes all three. */
export function perExampleAnswerLoss(logits: Array, targets: Array, mask: Array): { loss: Array; correct: Array } {
  const V = logits.shape[logits.ndim - 1];
  const dtype = logits.dtype;
  const predicted = np.argmax(logits.ref, -1).astype(np.int32);
  const m = mask.astype(dtype);
  const wrong = np.notEqual(predicted, targets.ref).astype(dtype).mul(m.ref).sum(-1);
  const correct = np.equal(wrong, 0).astype(dtype);
  // log p(target) as logSoftmax · oneHot: the gather's gradient throws under jit (nn/loss.ts)
  const ce = jnn.logSoftmax(logits, -1).mul(oneHot(targets, V, dtype)).sum(-1).neg();
  return { loss: ce.mul(m.ref).sum(-1).div(np.maximum(m.sum(-1), 1e-9)), correct };
}

const haltLogit = (head: HaltHead, latent: Array): Array => np.matmul(latent, head.w.ref).add(head.b.ref); // [B]

/**
 * Read `<bos> q <bot>`, then N blocks of c thoughts; after each block its halting logit and
 * `answer` of the state fed `<eot>`. Returns the logits z [B, N] and each block's answer. Borrows
 * params, consumes `prompt`.
 */
function unrollBlocks<P extends Tree, T>(reasoner: Reasoner<P>, params: HaltingParams<P>, prompt: Array, N: number, c: number, answer: (s: ReasonerState) => T): [Array, T[]] {
  const p = params.model;
  let state = reasoner.read(p, reasoner.start(prompt.shape[0], { dtype: params.halt.w.dtype }), withBot(prompt));
  const zs: Array[] = [];
  const answers: T[] = [];
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < c; k++) state = reasoner.think(p, state);
    zs.push(haltLogit(params.halt, state.latent.ref));
    answers.push(answer(readEot(reasoner, p, refState(state))));
  }
  disposeState(state);
  return [np.stack(zs, 1), answers];
}

export interface HaltingForward {
  /** Scalar training loss. */
  loss: Array;
  /** [B] expected teacher-forced correctness under the halting weights. */
  correct: Array;
  /** [N] batch mean of the halting weights p_n. */
  haltDistribution: Array;
  /** [1] batch mean of the expected latent steps Σ_n p_n·n·c. */
  expectedSteps: Array;
  /** [1] PonderNet: mean KL; ACT: mean ponder cost. */
  regulariser: Array;
}

/** The halting loss of one batch (jit-traceable). Borrows params, consumes the batch. */
export function haltingForward<P extends Tree>(reasoner: Reasoner<P>, params: HaltingParams<P>, batch: Batch, latentSteps: number, opts: HaltingOptions): HaltingForward {
  const N = haltingBlocks(latentSteps, opts);
  const c = opts.blockSize;
  const dtype = params.halt.w.dtype;
  const [z, blocks] = unrollBlocks(reasoner, params, batch.prompt, N, c, (s) => {
    const [logits, end] = reasoner.decode(params.model, s, batch.answerIn.ref);
    disposeState(end);
    return perExampleAnswerLoss(logits, batch.answerTarget.ref, batch.answerMask.ref);
  });
  dispose([batch.answerIn, batch.answerTarget, batch.answerMask]);
  const L = np.stack(blocks.map((b) => b.loss), 1);
  const out = opts.rule === "pondernet" ? ponderNetLoss(z, L, opts) : actLoss(z, L, opts);
  const reg = opts.rule === "pondernet" ? (out as ReturnType<typeof ponderNetLoss>).kl : (out as ReturnType<typeof actLoss>).ponderCost;
  if (opts.rule === "act") (out as ReturnType<typeof actLoss>).halt.dispose();
  const weights = out.p;
  const correct = weights.ref.mul(np.stack(blocks.map((b) => b.correct), 1)).sum(1);
  const stepsOfBlock = np.arange(1, N + 1).astype(dtype).mul(c).reshape([1, N]);
  const expectedSteps = weights.ref.mul(stepsOfBlock).sum(1).mean().reshape([1]);
  return { loss: out.loss, correct, haltDistribution: weights.mean(0), expectedSteps, regulariser: reg.reshape([1]) };
}

export function halting(latentSteps: number, opts: HaltingOptions): SupervisedRecipe {
  const N = haltingBlocks(latentSteps, opts);
  const c = opts.blockSize;
  const K = N * c;
  const threshold = opts.threshold ?? (opts.rule === "pondernet" ? 0.5 : 1 - opts.epsilon);
  // block n reads <eot> and decodes its answer right after its n·c thoughts; the last block needs the most positions
  const sequenceLength = (l: Limits) => promptWidth(l) + 1 + K + 1 + answerWidth(l);
  return {
    name: "halting",
    init(reasoner: Reasoner<Tree>, key: Array): Tree {
      const model = reasoner.init(key);
      const dtype: DType = np.float32;
      const prior = Math.log(opts.lambdaP / (1 - opts.lambdaP));
      return { model, halt: { w: np.zeros([reasoner.config.dim], { dtype }), b: np.array(prior, { dtype }) } };
    },
    reasonerKey: "model",
    sequenceLength,
    frame: promptAnswerBatch,
    lossAndGrad<P extends Tree>(reasoner: Reasoner<P>, params: P, batch: Batch) {
      const [[loss, aux], grads] = valueAndGradAux((q: P): [Array, Omit<HaltingForward, "loss">] => {
        const { loss, ...aux } = haltingForward(reasoner, q as unknown as HaltingParams<P>, batch, latentSteps, opts);
        return [loss, aux];
      }, params);
      return {
        loss,
        correct: aux.correct,
        grads,
        diagnostics: { haltDistribution: aux.haltDistribution, expectedSteps: aux.expectedSteps, [opts.rule === "pondernet" ? "kl" : "ponderCost"]: aux.regulariser },
      };
    },
    predict<P extends Tree>(reasoner: Reasoner<P>, params: P, prompt: Array, limits: Limits) {
      const q = params as unknown as HaltingParams<P>;
      const B = prompt.shape[0];
      const dtype = q.halt.w.dtype;
      const [z, answers] = unrollBlocks(reasoner, q, prompt, N, c, (s) => greedyAnswer(reasoner, q.model, s, limits));
      let halt: Array;
      if (opts.inference === "sample") {
        const u = random.uniform(random.key(opts.sampleSeed), [B, N]).astype(dtype);
        halt = haltBySampling(jnn.sigmoid(z), u);
      } else if (opts.rule === "pondernet") {
        const dist = ponderNetDistribution(z);
        dist.logP.dispose();
        halt = haltAtThreshold(dist.p, threshold);
      } else {
        halt = haltAtThreshold(jnn.sigmoid(z), threshold);
      }
      // the chosen block's answer: Σ_n halt_n · answer_n (token ids are exact in float)
      const all = np.stack(answers, 1).astype(dtype); // [B, N, W]
      const W = all.shape[2];
      const chosen = all.ref.mul(halt.ref.reshape([B, N, 1])).sum(1);
      const steps = haltStepNumber(halt).mul(c).reshape([B, 1]);
      // row: the chosen answer [W], every block's answer [N·W] (per-block accuracy), the steps used
      return np.concatenate([chosen, all.reshape([B, N * W]), steps], 1).astype(np.int32);
    },
    answerOf: (row) => answerFromDecoded(globalThis.Array.from(row).slice(0, (row.length - 1) / (N + 1))),
    stepsOf: (row) => row[row.length - 1],
    stepsPerBlock: c,
    blockAnswersOf: (row) => {
      const W = (row.length - 1) / (N + 1);
      return globalThis.Array.from({ length: N }, (_, n) => answerFromDecoded(globalThis.Array.from(row).slice((n + 1) * W, (n + 2) * W)));
    },
    // training reads the prompt, <bot>, and <eot> after each block; decodes the answer after each block
    positions: (l: Limits) => ({ read: promptWidth(l) + 1 + N, think: K, decode: N * answerWidth(l) }),
  };
}
