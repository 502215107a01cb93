// Summary numbers of a set of examples: lengths against the configuration's limits, and the
// difficulty histogram (what `neuralese data <task> --stats` prints).
import type { Example, Limits } from "./task.js";

export interface LengthStats {
  min: number;
  mean: number;
  max: number;
}

export interface ExampleStats {
  n: number;
  vocabSize: number;
  limits: Limits;
  questionLength: LengthStats;
  answerLength: LengthStats;
  steps: LengthStats;
  stepLength: LengthStats;
  /** difficulty → count, in increasing difficulty. */
  difficulty: Record<string, number>;
  /** The task's own problem sizes (Task.sizes), e.g. a graph's nodes and edges. */
  sizes?: Record<string, LengthStats>;
}

export function exampleStats(examples: readonly Example[], vocabSize: number, limits: Limits, sizesOf?: (e: Example) => Record<string, number>): ExampleStats {
  const histogram = new Map<number, number>();
  for (const e of examples) histogram.set(e.difficulty, (histogram.get(e.difficulty) ?? 0) + 1);
  const difficulty: Record<string, number> = {};
  for (const d of [...histogram.keys()].sort((a, b) => a - b)) difficulty[String(d)] = histogram.get(d)!;
  return {
    n: examples.length,
    vocabSize,
    limits,
    questionLength: lengths(examples.map((e) => e.question.length)),
    answerLength: lengths(examples.map((e) => e.answer.length)),
    steps: lengths(examples.map((e) => e.steps.length)),
    stepLength: lengths(examples.flatMap((e) => e.steps.map((s) => s.length))),
    difficulty,
    ...(sizesOf && examples.length > 0 ? { sizes: sizeStats(examples.map(sizesOf)) } : {}),
  };
}

function sizeStats(rows: Record<string, number>[]): Record<string, LengthStats> {
  return Object.fromEntries(Object.keys(rows[0]).map((k) => [k, lengths(rows.map((r) => r[k]))]));
}

function lengths(xs: readonly number[]): LengthStats {
  if (xs.length === 0) return { min: 0, mean: 0, max: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const x of xs) {
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
  }
  return { min, mean: Math.round((sum / xs.length) * 100) / 100, max };
}
