// Evaluation of a supervised recipe: greedy answers in fixed-size batches (one jit), graded by
// the task's exact grader; accuracy overall and per difficulty. For recipes that choose their
// steps per example: steps used per difficulty and their rank correlation with difficulty; for
// recipes that decode after every block of thoughts: the accuracy of each block's answer, and
// the oracle halting rule on the same chain (the fewest steps that lose nothing against the last
// block): a hindsight lower bound on the steps, since it reads the grade, which no head can.
import { mean } from "../common/mean.js";
import { spearman } from "../common/rank-correlation.js";
import { jit, type Array, type OwnedFunction } from "../engine/jax.js";
import { ref as refTree, type Tree } from "../engine/tree.js";
import type { LoopedReasoner } from "../models/looped.js";
import type { Reasoner } from "../models/reasoner.js";
import type { Example, Limits, Task } from "../tasks/index.js";
import { promptGrid } from "../recipes/framing.js";
import type { SupervisedRecipe } from "../recipes/recipe.js";
import { tokens } from "../recipes/supervised-parts.js";

export interface Evaluation {
  n: number;
  accuracy: number;
  /** Fraction of greedy outputs with an answer to read (a token chain closed by `<eot> <ans>`, an answer before `<eos>`); the rest grade 0 as malformed. */
  wellFormed: number;
  /** difficulty → { n, accuracy[, stepsUsed, stepsHistogram][, blockAccuracy, oracleSteps] } */
  byDifficulty: Record<string, { n: number; accuracy: number; stepsUsed?: number; stepsHistogram?: Record<string, number>; blockAccuracy?: number[]; oracleSteps?: number }>;
  /** Mean latent steps used per example, for recipes that choose it per example (`stepsOf`). */
  stepsUsed?: number;
  /** Spearman's correlation of steps used with difficulty over the examples (`stepsOf`); null when either is constant. */
  stepsSpearman?: number | null;
  /** The same against the steps each question really needs, for tasks that know it (`Task.stepsNeeded`). */
  stepsSpearmanNeeded?: number | null;
  /** Accuracy of the answer decoded after block n = 1 … N, for recipes that decode after every block (`blockAnswersOf`). */
  blockAccuracy?: number[];
  /**
   * Recipes that decode after every block: the oracle halting rule, which stops each example at the
   * first block whose answer grades as well as the last block's (the full chain's accuracy at the
   * fewest steps this chain allows): its mean steps and their Spearman with difficulty.
   */
  oracle?: { stepsUsed: number; stepsSpearman: number | null };
}

export type Predictor<P extends Tree> = OwnedFunction<(params: P, prompt: Array) => Array>;

/** A jitted predictor (params, prompts [B, P]) → decoded tokens; dispose when done. */
export function makePredictor<P extends Tree>(recipe: SupervisedRecipe, reasoner: Reasoner<P>, limits: Limits): Predictor<P> {
  return jit((params: P, prompt: Array) => recipe.predict(reasoner, params, prompt, limits)) as unknown as Predictor<P>;
}

/**
 * Accuracy of `params` on `examples`. The last batch is filled up with repeats of the first
 * example (fixed shapes: no retrace) whose results are ignored. Borrows params.
 */
export async function evaluate<P extends Tree>(
  predictor: Predictor<P>,
  recipe: SupervisedRecipe,
  task: Task,
  params: P,
  examples: readonly Example[],
  limits: Limits,
  batchSize: number,
  /** Filled with each example's answer and readable token chain ([] when the recipe has none), in order. */
  outputs?: { answers: number[][]; chains: number[][] },
): Promise<Evaluation> {
  const scores: number[] = [];
  let wellFormed = 0;
  const steps: number[] = [];
  const blockScores: number[][] = []; // [example][block]
  for (let start = 0; start < examples.length; start += batchSize) {
    const chunk = examples.slice(start, start + batchSize);
    const filled = [...chunk, ...globalThis.Array.from({ length: batchSize - chunk.length }, () => examples[0])];
    const decoded = await predictor(refTree(params), tokens(promptGrid(filled, limits))).data();
    const width = decoded.length / batchSize;
    chunk.forEach((e, i) => {
      const row = decoded.subarray(i * width, (i + 1) * width);
      const answer = recipe.answerOf(row);
      scores.push(task.grade(e, answer));
      if (answer.length > 0) wellFormed++;
      outputs?.answers.push(answer);
      outputs?.chains.push(recipe.chainOf ? recipe.chainOf(row) : []);
      if (recipe.stepsOf) steps.push(recipe.stepsOf(row));
      if (recipe.blockAnswersOf) blockScores.push(recipe.blockAnswersOf(row).map((a) => task.grade(e, a)));
    });
  }
  const needed = recipe.stepsOf && task.stepsNeeded ? examples.map((e) => task.stepsNeeded!(e)) : undefined;
  const { n, accuracy, ...rest } = summarize(examples, scores, recipe.stepsOf ? steps : undefined, recipe.blockAnswersOf ? blockScores : undefined, recipe.stepsPerBlock ?? 1, needed);
  return { n, accuracy, wellFormed: examples.length ? wellFormed / examples.length : 1, ...rest };
}

/** The oracle's steps for one example: (first block scoring at least the last block's score) × steps per block. */
export function oracleSteps(blockScores: readonly number[], stepsPerBlock: number): number {
  const last = blockScores[blockScores.length - 1];
  return (blockScores.findIndex((s) => s >= last) + 1) * stepsPerBlock;
}

function summarize(examples: readonly Example[], scores: number[], steps?: number[], blockScores?: number[][], stepsPerBlock = 1, needed?: number[]): Omit<Evaluation, "wellFormed"> {
  const groups = new Map<number, number[]>();
  examples.forEach((e, i) => groups.set(e.difficulty, [...(groups.get(e.difficulty) ?? []), i]));
  const perBlock = (ids: number[]) => blockScores![0].map((_, n) => mean(ids.map((i) => blockScores![i][n])));
  const all = examples.map((_, i) => i);
  const oracle = blockScores?.length ? blockScores.map((b) => oracleSteps(b, stepsPerBlock)) : undefined;
  const extras = (ids: number[]) => ({
    ...(steps ? { stepsUsed: mean(ids.map((i) => steps[i])), stepsHistogram: histogram(ids.map((i) => steps[i])) } : {}),
    ...(blockScores?.length ? { blockAccuracy: perBlock(ids) } : {}),
  });
  const byDifficulty = Object.fromEntries(
    [...groups.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([d, ids]) => [String(d), { n: ids.length, accuracy: mean(ids.map((i) => scores[i])), ...extras(ids), ...(oracle ? { oracleSteps: mean(ids.map((i) => oracle[i])) } : {}) }]),
  );
  const difficulty = examples.map((e) => e.difficulty);
  const rho = steps ? spearman(difficulty, steps) : undefined;
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    n: scores.length,
    accuracy: mean(scores),
    byDifficulty,
    ...extras(all),
    ...(rho === undefined ? {} : { stepsSpearman: finite(rho) }),
    ...(steps && needed ? { stepsSpearmanNeeded: finite(spearman(needed, steps)) } : {}),
    ...(oracle ? { oracle: { stepsUsed: mean(oracle), stepsSpearman: finite(spearman(difficulty, oracle)) } } : {}),
  };
}

/** Fraction of the values equal to each distinct value, in increasing order: { "2": 0.25, "6": 0.75 }. */
function histogram(xs: number[]): Record<string, number> {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return Object.fromEntries([...counts.entries()].sort((a, b) => a[0] - b[0]).map(([x, c]) => [String(x), c / xs.length]));
}

/**
 * Accuracy (overall and per difficulty) of a looped model at each depth r in `depths`: one
 * predictor per r (the same parameters). Borrows `params`.
 */
export async function evaluateAtDepths<P extends Tree>(
  base: LoopedReasoner,
  depths: readonly number[],
  recipe: SupervisedRecipe,
  task: Task,
  params: P,
  examples: readonly Example[],
  limits: Limits,
  batchSize: number,
): Promise<(Evaluation & { recurrence: number })[]> {
  const out: (Evaluation & { recurrence: number })[] = [];
  for (const r of depths) {
    const predictor = makePredictor(recipe, base.atDepth(r) as never, limits);
    try {
      out.push({ recurrence: r, ...(await evaluate(predictor, recipe, task, params as never, examples, limits, batchSize)) });
    } finally {
      predictor.dispose();
    }
  }
  return out;
}
