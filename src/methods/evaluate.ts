// Evaluation of a supervised recipe: greedy answers in fixed-size batches (one jit), graded by
// the task's exact grader; accuracy overall and per difficulty.
import { jit, type Array, type OwnedFunction } from "../engine/jax.js";
import { ref as refTree, type Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import type { Example, Limits, Task } from "../tasks/index.js";
import { promptGrid } from "./framing.js";
import type { SupervisedRecipe } from "./recipe.js";
import { tokens } from "./supervised-parts.js";

export interface Evaluation {
  n: number;
  accuracy: number;
  /** difficulty → { n, accuracy[, stepsUsed] } */
  byDifficulty: Record<string, { n: number; accuracy: number; stepsUsed?: number }>;
  /** Mean latent steps used per example, for recipes that choose it per example (`stepsOf`). */
  stepsUsed?: number;
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
  const steps: number[] = [];
  for (let start = 0; start < examples.length; start += batchSize) {
    const chunk = examples.slice(start, start + batchSize);
    const filled = [...chunk, ...globalThis.Array.from({ length: batchSize - chunk.length }, () => examples[0])];
    const decoded = await predictor(refTree(params), tokens(promptGrid(filled, limits))).data();
    const width = decoded.length / batchSize;
    chunk.forEach((e, i) => {
      const row = decoded.subarray(i * width, (i + 1) * width);
      const answer = recipe.answerOf(row);
      scores.push(task.grade(e, answer));
      outputs?.answers.push(answer);
      outputs?.chains.push(recipe.chainOf ? recipe.chainOf(row) : []);
      if (recipe.stepsOf) steps.push(recipe.stepsOf(row));
    });
  }
  return summarize(examples, scores, recipe.stepsOf ? steps : undefined);
}

function summarize(examples: readonly Example[], scores: number[], steps?: number[]): Evaluation {
  const groups = new Map<number, number[]>();
  examples.forEach((e, i) => groups.set(e.difficulty, [...(groups.get(e.difficulty) ?? []), i]));
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const byDifficulty = Object.fromEntries(
    [...groups.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([d, ids]) => [
        String(d),
        { n: ids.length, accuracy: mean(ids.map((i) => scores[i])), ...(steps ? { stepsUsed: mean(ids.map((i) => steps[i])) } : {}) },
      ]),
  );
  return { n: scores.length, accuracy: mean(scores), byDifficulty, ...(steps ? { stepsUsed: mean(steps) } : {}) };
}


