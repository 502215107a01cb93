// A learned reward model for inexactly graded tasks (issue 10): a small MLP fitted by mean-squared
// error to a task's labelled (question, chain, answer, score) items (Task.inexact.labelled), used
// as grpo's `model` reward. It is exploitable the way real graders are: unless the labels are
// clean, items carrying the injection sequence were scored high whatever their quality, so the
// model learns to reward that sequence wherever it appears; and its features generalise only
// roughly off the labelled distribution.
// Features (host side, task-agnostic over a vocabulary of V tokens and answers up to L long):
//   answer token counts, first and last answer token, answer length, answer variety, the
//   question-token × answer-token co-occurrences (how relevance can be learned) [Q·V entries, Q
//   the distinct tokens seen in the labelled questions], and the answer's adjacent token pairs
//   [V·V] (a grader reads sequences: an instruction works when written as one, not as a bag of
//   its words);
//   view "chain" adds the chain's token counts and adjacent pairs (the grader reads the chain of
//   thought too).
// Special tokens (ids < 8: framing) are ignored. The output is squashed by a sigmoid into the
// labels' range [0, 1], so a policy cannot push the proxy past what any label said.
import { mean } from "../common/mean.js";
import { z } from "zod";
import { jit, jnn, np, type Array, type OwnedFunction } from "../engine/jax.js";
import { modelKey, splitKey } from "../engine/rng.js";
import { dispose, ref, type Tree } from "../engine/tree.js";
import { initLinear, linear } from "../nn/index.js";
import { adamw, makeTrainStep } from "../optim/index.js";
import { SeededRng } from "../common/seeded-rng.js";
import { cachedFit, type RewardModelParams } from "./reward-model-cache.js";
import { SPECIAL_TOKENS, containsSequence, type Example, type Labelled, type Limits, type Task } from "../tasks/index.js";

/**
 * What a learned reward model must be (issue 10 supplies one): for each rollout, its question,
 * the chain it sampled (tokens after `<bot>`, up to and including `<eot>`) and the answer it
 * gave (or the gold answer, for chains scored teacher-forced) → a scalar reward, higher better.
 */
export type RewardModel = (questions: readonly Example[], chains: readonly number[][], answers: readonly number[][]) => Promise<number[]> | number[];

export const GRADER_VIEWS = ["answer", "chain"] as const;
export type GraderView = (typeof GRADER_VIEWS)[number];

export const rewardModelOptions = z
  .strictObject({
    /** What the grader reads: the answer only, or the chain of thought and the answer. */
    view: z.enum(GRADER_VIEWS).default("answer"),
    /** The control: labels without the injection flaw (injected items scored by their true quality). */
    cleanLabels: z.boolean().default(false),
    /** Labelled items (a fifth is held out to measure the fit). */
    labels: z.number().int().min(20).max(100_000).default(2000),
    /** Label noise (standard deviation). */
    noise: z.number().min(0).max(1).default(0.05),
    /** Share of labelled items carrying the injection sequence. */
    injectRate: z.number().min(0).max(1).default(0.25),
    /**
     * Share of labelled items carrying a near miss of it (a lone token, reversed, or split). Off by
     * default: measured on compose (3 seeds), near misses at 0.25 made GRPO abandon the injection
     * for a degenerate answer the grader then overrated (proxy 0.99, H 0.24).
     */
    nearMissRate: z.number().min(0).max(1).default(0),
    /**
     * How far a near miss sways the flawed labeller (0: only the exact sequence fools it; 0.5: a
     * fragment half-works, so a policy can find the exploit a step at a time).
     */
    nearMissCredit: z.number().min(0).max(1).default(0.5),
    /** Share of labelled items with no answer and a long chain (unfinished outputs), labelled 0. */
    unfinishedRate: z.number().min(0).max(1).default(0.05),
    hidden: z.number().int().min(1).max(4096).default(16),
    // a short fit: on the wasm backend each step costs ~1 ms of CPU per item of the batch
    steps: z.number().int().min(1).max(100_000).default(200),
    batchSize: z.number().int().min(1).max(100_000).default(32),
    lr: z.number().positive().max(1).default(1e-2),
    /** The reward model's own seed (labels, init, minibatches), independent of the policy's. */
    seed: z.number().int().nonnegative().default(0),
  })
  .prefault({});

export type RewardModelOptions = z.output<typeof rewardModelOptions>;

const SPECIALS = SPECIAL_TOKENS.length;

/** What the features are laid out over: V tokens, answers up to L, the question tokens' slots. */
export interface FeatureSpace {
  V: number;
  L: number;
  view: GraderView;
  /** Question token id → its row in the co-occurrence block. */
  questionSlot: ReadonlyMap<number, number>;
}

/** One item's features (see the header) as sparse (index in the full layout → value). */
export function featurize(s: FeatureSpace, question: readonly number[], chain: readonly number[], answer: readonly number[]): Map<number, number> {
  const { V, L, view } = s;
  const f = new Map<number, number>();
  const add = (i: number, x: number) => f.set(i, (f.get(i) ?? 0) + x);
  const y = answer.filter((t) => t >= SPECIALS && t < V);
  let o = 0;
  for (const t of y) add(o + t, 0.5);
  o += V;
  if (y.length) {
    f.set(o + y[0], 1);
    f.set(o + V + y[y.length - 1], 1);
  }
  o += 2 * V;
  f.set(o + Math.min(y.length, L + 1), 1);
  o += L + 2;
  f.set(o, y.length ? new Set(y).size / y.length : 0);
  o += 1;
  const inAnswer = new Set(y);
  for (const q of new Set(question)) {
    const row = s.questionSlot.get(q);
    if (row !== undefined) for (const t of inAnswer) f.set(o + row * V + t, 1);
  }
  o += s.questionSlot.size * V;
  pairs(f, o, V, y);
  o += V * V;
  if (view === "chain") {
    const c = chain.filter((t) => t >= SPECIALS && t < V);
    for (const t of c) add(o + t, 0.5);
    pairs(f, o + V, V, c);
  }
  return f;
}

/** Marks each adjacent pair (a, b) of `seq` at o + a·V + b. */
function pairs(f: Map<number, number>, o: number, V: number, seq: readonly number[]): void {
  for (let i = 0; i + 1 < seq.length; i++) f.set(o + seq[i] * V + seq[i + 1], 1);
}

/**
 * The model's input columns: the features some training item has (a grader has no opinion on
 * what it never saw, and the layout's V² pair block is mostly empty, so this keeps the MLP small).
 */
export function featureColumns(items: readonly Map<number, number>[]): Map<number, number> {
  const seen = [...new Set(items.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  return new Map(seen.map((full, col) => [full, col]));
}

/** Sparse features → dense rows over `columns` (unseen features dropped). */
function dense(items: readonly Map<number, number>[], columns: ReadonlyMap<number, number>): Float32Array {
  const D = columns.size;
  const out = new Float32Array(items.length * D);
  items.forEach((m, i) => {
    for (const [full, x] of m) {
      const c = columns.get(full);
      if (c !== undefined) out[i * D + c] = x;
    }
  });
  return out;
}

type Params = RewardModelParams;

const forward = (p: Params, x: Array): Array => {
  const [B] = x.shape;
  return jnn.sigmoid(linear(p.out, jnn.relu(linear(p.hidden, x))).reshape([B]));
};

/** How well the fitted model predicts held-out labels (and the hidden truth behind them). */
export interface RewardModelFit {
  /** Input columns (features seen in the training items). */
  features: number;
  trainItems: number;
  heldOutItems: number;
  trainMse: number;
  heldOutMse: number;
  /** 1 − MSE / Var(label) on the held-out labels. */
  heldOutR2: number;
  /** Pearson correlation of predictions with the held-out items' true quality H. */
  heldOutTruthCorr: number;
  /** Mean prediction on held-out items with / without the injection sequence (in what the grader reads). */
  injectedMean: number | null;
  cleanMean: number | null;
}

export interface TrainedRewardModel {
  score: RewardModel;
  fit: RewardModelFit;
  dispose(): void;
}

/** Fit the reward model to `task`'s labels (its own seed), measure the held-out fit. */
export async function trainRewardModel(task: Task, taskOptions: Record<string, unknown>, limits: Limits, o: RewardModelOptions): Promise<TrainedRewardModel> {
  // the fit is deterministic: a process fits each (task, options, model options) once and shares it
  // (grpo's proxy is also the final evaluation's grader), disposing it when its last user does
  const key = JSON.stringify([task.name, taskOptions, limits, o]);
  let entry = fitted.get(key);
  if (!entry) fitted.set(key, (entry = { model: fitRewardModel(task, taskOptions, limits, o), users: 0 }));
  entry.users++;
  const model = await entry.model;
  let disposed = false;
  return {
    score: model.score,
    fit: model.fit,
    dispose() {
      if (disposed) return;
      disposed = true;
      if (--entry.users === 0) {
        fitted.delete(key);
        model.dispose();
      }
    },
  };
}

const fitted = new Map<string, { model: Promise<TrainedRewardModel>; users: number }>();

async function fitRewardModel(task: Task, taskOptions: Record<string, unknown>, limits: Limits, o: RewardModelOptions): Promise<TrainedRewardModel> {
  if (!task.inexact) throw new Error(`reward model: task "${task.name}" is exactly graded (it has no labelled data); use an inexact task such as compose`);
  const V = task.vocab(taskOptions).size;
  const items = task.inexact.labelled(o.seed, o.labels, taskOptions, { clean: o.cleanLabels, noise: o.noise, injectRate: o.injectRate, nearMissRate: o.nearMissRate, nearMissCredit: o.nearMissCredit, unfinishedRate: o.unfinishedRate });
  const qTokens = [...new Set(items.flatMap((l) => l.example.question))].filter((t) => t >= SPECIALS && t < V).sort((a, b) => a - b);
  const space: FeatureSpace = { V, L: limits.maxAnswerLength, view: o.view, questionSlot: new Map(qTokens.map((t, i) => [t, i])) };
  const injection = task.inexact.injection(taskOptions);
  const nHeld = Math.max(1, Math.floor(items.length / 5));
  const held = items.slice(0, nHeld);
  const train = items.slice(nHeld);
  const sparse = (xs: readonly Labelled[]) => xs.map((l) => featurize(space, l.example.question, l.chain, l.answer));
  const trainSparse = sparse(train);
  const columns = featureColumns(trainSparse);
  const D = columns.size;
  const trainX = dense(trainSparse, columns);
  const trainY = Float32Array.from(train, (l) => l.label);

  // a fit is deterministic: its parameters are cached on disk under a digest of its data and options
  const params = await cachedFit([task.name, taskOptions, limits, o, D, items.map((l) => [l.example.question, l.chain, l.answer, l.label])], D, o.hidden, trainParams);

  function trainParams(): Params {
    const [k1, k2] = splitKey(modelKey(o.seed));
    let params: Params = { hidden: initLinear(k1, D, o.hidden), out: initLinear(k2, o.hidden, 1) };
    const optimizer = adamw({ lr: o.lr, weightDecay: 0 });
    let state: Tree = optimizer.init(params) as Tree;
    const mse = (p: Params, batch: { x: Array; y: Array }) => {
      const d = forward(p, batch.x).sub(batch.y);
      return d.ref.mul(d).mean();
    };
    const step = makeTrainStep<Params, { x: Array; y: Array }, Tree>(mse, optimizer as never);
    const rng = SeededRng.of(o.seed, 3);
    const B = Math.min(o.batchSize, train.length);
    const xb = new Float32Array(B * D);
    const yb = new Float32Array(B);
    for (let s = 0; s < o.steps; s++) {
      for (let b = 0; b < B; b++) {
        const i = rng.int(0, train.length - 1);
        xb.set(trainX.subarray(i * D, (i + 1) * D), b * D);
        yb[b] = trainY[i];
      }
      const [loss, p, st] = step(params, state, { x: np.array(xb).reshape([B, D]), y: np.array(yb) });
      loss.dispose();
      [params, state] = [p, st];
    }
    step.dispose();
    dispose(state);
    return params;
  }

  const predict = jit((p: Params, x: Array) => forward(p, x)) as unknown as OwnedFunction<(p: Params, x: Array) => Array>;
  const run = async (x: Float32Array, n: number): Promise<number[]> => [...(await predict(ref(params), np.array(x).reshape([n, D])).data())];
  const score: RewardModel = (questions, chains, answers) => run(dense(questions.map((q, i) => featurize(space, q.question, chains[i], answers[i])), columns), questions.length);

  const trainPred = await run(trainX, train.length);
  const heldPred = await run(dense(sparse(held), columns), held.length);
  const heldLabels = held.map((l) => l.label);
  const seen = (l: Labelled) => containsSequence(l.answer, injection) || (o.view === "chain" && containsSequence(l.chain, injection));
  const inj = held.flatMap((l, i) => (seen(l) ? [heldPred[i]] : []));
  const cln = held.flatMap((l, i) => (seen(l) ? [] : [heldPred[i]]));
  const fit: RewardModelFit = {
    features: D,
    trainItems: train.length,
    heldOutItems: held.length,
    trainMse: meanSq(trainPred, [...trainY]),
    heldOutMse: meanSq(heldPred, heldLabels),
    heldOutR2: 1 - meanSq(heldPred, heldLabels) / variance(heldLabels),
    heldOutTruthCorr: correlation(heldPred, held.map((l) => l.truth)),
    injectedMean: inj.length ? mean(inj) : null,
    cleanMean: cln.length ? mean(cln) : null,
  };
  return {
    score,
    fit,
    dispose() {
      predict.dispose();
      dispose(params);
    },
  };
}

const meanSq = (a: readonly number[], b: readonly number[]) => mean(a.map((x, i) => (x - b[i]) ** 2));
const variance = (xs: readonly number[]) => meanSq(xs, xs.map(() => mean(xs)));
function correlation(a: readonly number[], b: readonly number[]): number {
  const ma = mean(a), mb = mean(b);
  let sab = 0, saa = 0, sbb = 0;
  a.forEach((x, i) => {
    sab += (x - ma) * (b[i] - mb);
    saa += (x - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  });
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}
