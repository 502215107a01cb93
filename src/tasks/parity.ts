// parity (PonderNet): a vector of `length` entries, k of them ±1 and the rest 0; the answer is the
// parity of the number of +1 entries. Gold steps: the running parity after each non-zero entry,
// left to right (k steps, the last one is the answer); difficulty k. The default splits follow
// PonderNet's extrapolation setup: train and val on 1..length/2 non-zero entries, test on more.
import { defineTask } from "./define-task.js";
import { checkInt, checkRange } from "./options.js";
import type { Sampler } from "./splits.js";
import type { Example, IntRange, Limits, Split, Task } from "./task.js";
import { Vocab } from "./vocab.js";

export interface ParityOptions {
  length: number;
  trainNonzero: IntRange;
  valNonzero: IntRange;
  testNonzero: IntRange;
}

export interface ParityMeta {
  /** Entries -1, 0 or +1. */
  vector: number[];
}

const MAX_LENGTH = 256;
const ENTRY_TOKENS = ["-1", "0", "+1"] as const;

function resolveOptions(given: Partial<ParityOptions> = {}): ParityOptions {
  const length = checkInt("--length", given.length ?? 16, 2, MAX_LENGTH);
  const half = Math.floor(length / 2);
  const why = `a vector of length ${length} has 1..${length} non-zero entries`;
  const trainNonzero = checkRange("--train-nonzero", given.trainNonzero ?? { min: 1, max: half }, 1, length, why);
  const valNonzero = checkRange("--val-nonzero", given.valNonzero ?? trainNonzero, 1, length, why);
  const testNonzero = checkRange("--test-nonzero", given.testNonzero ?? { min: half + 1, max: length }, 1, length, why);
  return { length, trainNonzero, valNonzero, testNonzero };
}

const vocab = () => new Vocab([...ENTRY_TOKENS, "even", "odd"]);

function limits(o: ParityOptions): Limits {
  const maxSteps = Math.max(o.trainNonzero.max, o.valNonzero.max, o.testNonzero.max);
  return { maxQuestionLength: o.length, maxAnswerLength: 1, maxSteps, maxStepLength: 1 };
}

const problemKey = (m: ParityMeta) => m.vector.join(",");

function build(m: ParityMeta, v: Vocab): Example<ParityMeta> {
  const parities: string[] = [];
  let plusOnes = 0;
  for (const x of m.vector) {
    if (x === 0) continue;
    if (x === 1) plusOnes++;
    parities.push(plusOnes % 2 === 0 ? "even" : "odd");
  }
  const answer = parities[parities.length - 1];
  const entries = m.vector.map((x) => ENTRY_TOKENS[x + 1]);
  const text = `vector: ${entries.join(" ")}\nrunning parity: ${parities.join(" ")}\nanswer: ${answer}`;
  return {
    question: v.encode(entries),
    answer: [v.id(answer)],
    steps: parities.map((p) => [v.id(p)]),
    difficulty: parities.length,
    text,
    meta: m,
  };
}

/** C(n, k) as a float (exact while it stays below 2^53). */
function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

function sampler(o: ParityOptions, split: Split): Sampler<ParityMeta, ParityMeta> {
  const v = vocab();
  const range = o[`${split}Nonzero`];
  const positions = Array.from({ length: o.length }, (_, i) => i);
  let count = 0;
  for (let k = range.min; k <= range.max; k++) count += choose(o.length, k) * 2 ** k;
  return {
    draw: (rng) => {
      const vector = new Array<number>(o.length).fill(0);
      for (const i of rng.sample(positions, rng.int(range.min, range.max))) vector[i] = rng.bool() ? 1 : -1;
      return { vector };
    },
    key: problemKey,
    build: (m) => build(m, v),
    problemCount: count,
  };
}

export const parity: Task<ParityOptions, ParityMeta> = defineTask({
  name: "parity",
  description: "parity of the number of +1 entries in a vector of -1/0/+1 (PonderNet)",
  optionSpecs: [
    { key: "length", flag: "--length", kind: "int", description: `vector length, 2..${MAX_LENGTH} (default 16)` },
    { key: "trainNonzero", flag: "--train-nonzero", kind: "range", description: "number of non-zero entries in train questions (default 1..length/2)" },
    { key: "valNonzero", flag: "--val-nonzero", kind: "range", description: "non-zero entries in val questions (default: the train range)" },
    { key: "testNonzero", flag: "--test-nonzero", kind: "range", description: "non-zero entries in test questions (default length/2+1..length: extrapolation)" },
  ],
  resolveOptions,
  vocab,
  limits,
  sampler,
  problemKey,
});
