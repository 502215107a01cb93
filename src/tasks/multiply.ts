// multiply: a × b of two n-digit numbers in the reversed-digit format of implicit-CoT work
// (least significant digit first). Question: a's digits, "*", b's digits. Gold steps, one per
// digit b_i of b: step 0 is a·b_0 (n+1 digits); step i ≥ 1 is a·b_i·10^i, then "(" the running
// sum a·(b mod 10^(i+1)) ")", each n+1+i digits, as in iCoT's data. Answer: the product's 2n
// digits (zero-padded). Difficulty n. `meta` holds a and b as JSON numbers (exact: at most 15
// digits), though their product can pass 2^53: recompute it with big integers.
import { defineTask } from "./define-task.js";
import { checkRange } from "./options.js";
import type { Sampler } from "./splits.js";
import type { Example, IntRange, Limits, Split, Task } from "./task.js";
import { Vocab } from "./vocab.js";

export interface MultiplyOptions {
  trainDigits: IntRange;
  valDigits: IntRange;
  testDigits: IntRange;
}

export interface MultiplyMeta {
  a: number;
  b: number;
}

const MAX_DIGITS = 15;
const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

function resolveOptions(given: Partial<MultiplyOptions> = {}): MultiplyOptions {
  const why = "operands must stay exact as JSON numbers";
  const trainDigits = checkRange("--train-digits", given.trainDigits ?? { min: 4, max: 4 }, 1, MAX_DIGITS, why);
  const valDigits = checkRange("--val-digits", given.valDigits ?? trainDigits, 1, MAX_DIGITS, why);
  const testDigits = checkRange("--test-digits", given.testDigits ?? trainDigits, 1, MAX_DIGITS, why);
  return { trainDigits, valDigits, testDigits };
}

const vocab = () => new Vocab([...DIGITS, "*", "(", ")"]);

function limits(o: MultiplyOptions): Limits {
  const n = Math.max(o.trainDigits.max, o.valDigits.max, o.testDigits.max);
  // the last step of n digits: a·b_(n-1)·10^(n-1) and the running sum, 2n digits each, plus "(" ")"
  return { maxQuestionLength: 2 * n + 1, maxAnswerLength: 2 * n, maxSteps: n, maxStepLength: n === 1 ? 2 : 4 * n + 2 };
}

const problemKey = (m: MultiplyMeta) => `${m.a}*${m.b}`;

/** Decimal digits of x, least significant first, zero-padded to `width`. */
function reversedDigits(x: bigint, width: number): string[] {
  return x.toString().padStart(width, "0").split("").reverse();
}

function build(m: MultiplyMeta, v: Vocab): Example<MultiplyMeta> {
  const n = String(m.a).length;
  const a = BigInt(m.a);
  const bDigits = reversedDigits(BigInt(m.b), n);
  const steps: string[][] = [];
  const lines: string[] = [];
  let sum = 0n;
  bDigits.forEach((d, i) => {
    const partial = a * BigInt(d) * 10n ** BigInt(i);
    sum += partial;
    const width = n + 1 + i;
    const step = i === 0 ? reversedDigits(partial, width) : [...reversedDigits(partial, width), "(", ...reversedDigits(sum, width), ")"];
    steps.push(step);
    lines.push(step.join(" "));
  });
  const answer = reversedDigits(sum, 2 * n);
  const question = [...reversedDigits(a, n), "*", ...bDigits];
  const text = `${m.a} × ${m.b} = ${sum}\nquestion (reversed digits): ${question.join(" ")}\nsteps: ${lines.join(" + ")}\nanswer: ${answer.join(" ")}`;
  return { question: v.encode(question), answer: v.encode(answer), steps: steps.map((s) => v.encode(s)), difficulty: n, text, meta: m };
}

function sampler(o: MultiplyOptions, split: Split): Sampler<MultiplyMeta, MultiplyMeta> {
  const v = vocab();
  const range = o[`${split}Digits`];
  const nDigit = (rng: { int(lo: number, hi: number): number }, digits: number) => {
    let x = rng.int(1, 9);
    for (let i = 1; i < digits; i++) x = x * 10 + rng.int(0, 9);
    return x;
  };
  let count = 0;
  for (let d = range.min; d <= range.max; d++) count += (9 * 10 ** (d - 1)) ** 2;
  return {
    draw: (rng) => {
      const digits = rng.int(range.min, range.max);
      return { a: nDigit(rng, digits), b: nDigit(rng, digits) };
    },
    key: problemKey,
    build: (m) => build(m, v),
    problemCount: count,
  };
}

export const multiply: Task<MultiplyOptions, MultiplyMeta> = defineTask({
  name: "multiply",
  description: "a × b of two n-digit numbers, digits reversed, partial products as steps (implicit-CoT format)",
  optionSpecs: [
    { key: "trainDigits", flag: "--train-digits", kind: "range", description: `digits per operand in train questions, 1..${MAX_DIGITS} (default 4)` },
    { key: "valDigits", flag: "--val-digits", kind: "range", description: "digits per operand in val questions (default: the train range)" },
    { key: "testDigits", flag: "--test-digits", kind: "range", description: "digits per operand in test questions (default: the train range)" },
  ],
  resolveOptions,
  vocab,
  limits,
  sampler,
  problemKey,
});
