// pointer-chase: follow a random function f over S symbols for h hops. The question gives f as
// the sequence f(0)..f(S-1) (layout "array") or as shuffled (i, f(i)) pairs (layout "pairs",
// which needs content-based lookup and is much harder to learn), then <sep>, the start symbol s
// and a hop-count token. Answer f^h(s); gold steps f(s), f²(s), …, f^h(s); difficulty h.
import { defineTask } from "./define-task.js";
import { checkChoice, checkInt, checkRange, rangeValues } from "./options.js";
import type { Sampler } from "./splits.js";
import type { Example, IntRange, Limits, Split, Task } from "./task.js";
import { SPECIAL, Vocab } from "./vocab.js";

export const LAYOUTS = ["array", "pairs"] as const;
export type Layout = (typeof LAYOUTS)[number];

export interface PointerChaseOptions {
  /** Table size S (symbols 0..S-1). */
  symbols: number;
  layout: Layout;
  /** Hop-count tokens h1..h{maxHops} exist in the vocabulary; every split's hops must fit. */
  maxHops: number;
  trainHops: IntRange;
  valHops: IntRange;
  testHops: IntRange;
}

export interface PointerChaseMeta {
  /** table[i] = f(i). */
  table: number[];
  start: number;
  hops: number;
  layout: Layout;
  /** For layout "pairs": the order in which the (i, f(i)) pairs appear. */
  pairOrder?: number[];
}

const MAX_SYMBOLS = 64;
const MAX_HOPS = 64;

function resolveOptions(given: Partial<PointerChaseOptions> = {}): PointerChaseOptions {
  const symbols = checkInt("--symbols", given.symbols ?? 8, 2, MAX_SYMBOLS);
  const layout = checkChoice("--layout", given.layout ?? "array", LAYOUTS);
  const maxHops = checkInt("--max-hops", given.maxHops ?? 8, 1, MAX_HOPS);
  const why = `the vocabulary has hop tokens for 1..${maxHops} only; raise --max-hops (at most ${MAX_HOPS})`;
  const trainHops = checkRange("--train-hops", given.trainHops ?? { min: 1, max: Math.min(4, maxHops) }, 1, maxHops, why);
  const valHops = checkRange("--val-hops", given.valHops ?? trainHops, 1, maxHops, why);
  const testHops = checkRange("--test-hops", given.testHops ?? trainHops, 1, maxHops, why);
  return { symbols, layout, maxHops, trainHops, valHops, testHops };
}

function vocab(o: PointerChaseOptions): Vocab {
  const symbols = Array.from({ length: o.symbols }, (_, i) => String(i));
  const hops = Array.from({ length: o.maxHops }, (_, i) => `h${i + 1}`);
  return new Vocab([...symbols, ...hops]);
}

function limits(o: PointerChaseOptions): Limits {
  const tableLength = o.layout === "array" ? o.symbols : 2 * o.symbols;
  const maxSteps = Math.max(o.trainHops.max, o.valHops.max, o.testHops.max);
  return { maxQuestionLength: tableLength + 3, maxAnswerLength: 1, maxSteps, maxStepLength: 1 };
}

function problemKey(m: PointerChaseMeta): string {
  return `${m.table.join(",")}|${m.start}|${m.hops}`;
}

/** f(s), f²(s), …, f^h(s). */
function chase(table: readonly number[], start: number, hops: number): number[] {
  const out: number[] = [];
  let x = start;
  for (let i = 0; i < hops; i++) out.push((x = table[x]));
  return out;
}

/** Hops until the chain stops moving: the first hop k landing on a fixed point (f(x) = x) answers every h ≥ k. */
export function hopsNeeded(m: PointerChaseMeta): number {
  const chain = chase(m.table, m.start, m.hops);
  const fixed = chain.findIndex((x) => m.table[x] === x);
  return fixed === -1 ? m.hops : fixed + 1;
}

function build(m: PointerChaseMeta, o: PointerChaseOptions, v: Vocab): Example<PointerChaseMeta> {
  const sym = (s: number) => v.id(String(s));
  const tableTokens =
    m.layout === "array" ? m.table.map(sym) : (m.pairOrder ?? []).flatMap((i) => [sym(i), sym(m.table[i])]);
  const question = [...tableTokens, SPECIAL.separator, sym(m.start), v.id(`h${m.hops}`)];
  const chain = chase(m.table, m.start, m.hops);
  const answer = chain[chain.length - 1];
  const table =
    m.layout === "array" ? m.table.join(" ") : (m.pairOrder ?? []).map((i) => `${i}→${m.table[i]}`).join(" ");
  const text = `f: ${table} | start ${m.start} | ${m.hops} hops\nsteps: ${chain.join(" ")}\nanswer: ${answer}`;
  return { question, answer: [sym(answer)], steps: chain.map((s) => [sym(s)]), difficulty: m.hops, text, meta: m };
}

function sampler(o: PointerChaseOptions, split: Split): Sampler<PointerChaseMeta, PointerChaseMeta> {
  const v = vocab(o);
  const hops = o[`${split}Hops`];
  const S = o.symbols;
  return {
    draw: (rng) => {
      const table = Array.from({ length: S }, () => rng.int(0, S - 1));
      const m: PointerChaseMeta = { table, start: rng.int(0, S - 1), hops: rng.int(hops.min, hops.max), layout: o.layout };
      if (o.layout === "pairs") m.pairOrder = rng.shuffle(rangeValues({ min: 0, max: S - 1 }));
      return m;
    },
    key: problemKey,
    build: (m) => build(m, o, v),
    problemCount: S ** (S + 1) * (hops.max - hops.min + 1),
  };
}

export const pointerChase: Task<PointerChaseOptions, PointerChaseMeta> = defineTask({
  name: "pointer-chase",
  description: "follow a random function f over S symbols for h hops: answer f^h(s)",
  optionSpecs: [
    { key: "symbols", flag: "--symbols", kind: "int", description: `table size S, 2..${MAX_SYMBOLS} (default 8)` },
    { key: "layout", flag: "--layout", kind: "choice", choices: LAYOUTS, description: 'table given as "array" f(0)..f(S-1) or shuffled "pairs" (i, f(i)) (default array)' },
    { key: "maxHops", flag: "--max-hops", kind: "int", description: `largest hop count the vocabulary can express, 1..${MAX_HOPS} (default 8)` },
    { key: "trainHops", flag: "--train-hops", kind: "range", description: "hop range of train questions (default 1-4)" },
    { key: "valHops", flag: "--val-hops", kind: "range", description: "hop range of val questions (default: the train range)" },
    { key: "testHops", flag: "--test-hops", kind: "range", description: "hop range of test questions, e.g. 1-8 to measure extrapolation (default: the train range)" },
  ],
  resolveOptions,
  vocab,
  limits,
  sampler,
  problemKey,
  stepsNeeded: (example) => hopsNeeded(example.meta),
});
