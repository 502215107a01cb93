// prontoqa: k-hop deduction over a fictional ontology, in the spirit of ProntoQA (Saparov & He).
// Two disjoint chains: the queried person e is a c_0, every c_i is a c_(i+1), and c_(k-1) has a
// property P (or its negation); a decoy person e' sits on a chain d_0..d_(k-1) of the same length
// whose last concept has the opposite of P, so matching on P alone is a coin flip. `distractors`
// extra rules give chain concepts other, unused properties. The question asks "e is P?" or
// "e is not P?"; the answer is true or false.
// Tokens: every rule is three tokens (subject, relation, object) with relation "is-a", "is" or
// "is-not"; the rules in random order, then <sep> and the query (entity, "is"/"is-not", P).
// Gold steps: the rules applied, in order (c_0 is-a c_1, …, c_(k-1) is P): k steps; difficulty k.
import { CONCEPTS, PERSONS, PROPERTIES } from "./names.js";
import { defineTask } from "./define-task.js";
import { checkInt, checkRange } from "./options.js";
import type { TaskRng } from "./rng.js";
import type { Sampler } from "./splits.js";
import type { Example, IntRange, Limits, Split, Task } from "./task.js";
import { SPECIAL, Vocab } from "./vocab.js";

export interface ProntoQAOptions {
  trainHops: IntRange;
  valHops: IntRange;
  testHops: IntRange;
  distractors: number;
}

export type Relation = "is-a" | "is" | "is-not";
export type Rule = [subject: string, relation: Relation, object: string];

export interface ProntoQAMeta {
  /** All rules, in the order the question states them (facts about persons included). */
  rules: Rule[];
  query: { entity: string; property: string; negated: boolean };
}

const MAX_HOPS = Math.floor(CONCEPTS.length / 2); // two chains of distinct concepts
const MAX_DISTRACTORS = PROPERTIES.length - 1;

function resolveOptions(given: Partial<ProntoQAOptions> = {}): ProntoQAOptions {
  const why = `two chains of hops concepts each must fit in ${CONCEPTS.length} concept names`;
  const trainHops = checkRange("--train-hops", given.trainHops ?? { min: 1, max: 5 }, 1, MAX_HOPS, why);
  const valHops = checkRange("--val-hops", given.valHops ?? trainHops, 1, MAX_HOPS, why);
  const testHops = checkRange("--test-hops", given.testHops ?? trainHops, 1, MAX_HOPS, why);
  const distractors = checkInt("--distractors", given.distractors ?? 2, 0, MAX_DISTRACTORS);
  return { trainHops, valHops, testHops, distractors };
}

const RELATIONS: readonly Relation[] = ["is-a", "is", "is-not"];
const vocab = () => new Vocab([...PERSONS, ...CONCEPTS, ...PROPERTIES, ...RELATIONS, "true", "false"]);

function limits(o: ProntoQAOptions): Limits {
  const k = Math.max(o.trainHops.max, o.valHops.max, o.testHops.max);
  const rules = 2 * (k + 1) + o.distractors;
  return { maxQuestionLength: 3 * rules + 4, maxAnswerLength: 1, maxSteps: k, maxStepLength: 3 };
}

function problemKey(m: ProntoQAMeta): string {
  const q = m.query;
  return `${m.rules.map((r) => r.join(" ")).sort().join(",")}|${q.entity} ${q.negated ? "is-not" : "is"} ${q.property}`;
}

/** The problem's structure; names are drawn separately so a draw can be renamed cheaply. */
interface Shape {
  hops: number;
  positive: boolean; // does c_(k-1) have P (else not P)
  negated: boolean; // does the query ask "is not P"
  distractorAt: number[]; // concept index in [0, 2·hops) of each distractor rule
  distractorPositive: boolean[];
  ruleOrder: number[]; // permutation of the rules
}

interface Named {
  shape: Shape;
  persons: string[]; // e, e'
  concepts: string[]; // c_0..c_(k-1), d_0..d_(k-1)
  properties: string[]; // P, then one per distractor
}

function drawShape(rng: TaskRng, hops: IntRange, distractors: number): Shape {
  const k = rng.int(hops.min, hops.max);
  const ruleCount = 2 * (k + 1) + distractors;
  return {
    hops: k,
    positive: rng.bool(),
    negated: rng.bool(),
    distractorAt: Array.from({ length: distractors }, () => rng.int(0, 2 * k - 1)),
    distractorPositive: Array.from({ length: distractors }, () => rng.bool()),
    ruleOrder: rng.shuffle(Array.from({ length: ruleCount }, (_, i) => i)),
  };
}

function name(rng: TaskRng, shape: Shape): Named {
  return {
    shape,
    persons: rng.sample(PERSONS, 2),
    concepts: rng.sample(CONCEPTS, 2 * shape.hops),
    properties: rng.sample(PROPERTIES, 1 + shape.distractorAt.length),
  };
}

/** Rules in canonical order (main chain, decoy chain, distractors) and the gold path. */
function rulesOf(d: Named): { rules: Rule[]; path: Rule[] } {
  const { hops: k, positive } = d.shape;
  const c = d.concepts.slice(0, k);
  const dc = d.concepts.slice(k);
  const [e, decoy] = d.persons;
  const P = d.properties[0];
  const chain = (person: string, cs: string[], has: boolean): Rule[] => [
    [person, "is-a", cs[0]],
    ...cs.slice(1).map((x, i): Rule => [cs[i], "is-a", x]),
    [cs[k - 1], has ? "is" : "is-not", P],
  ];
  const main = chain(e, c, positive);
  const extra = d.shape.distractorAt.map((at, i): Rule => [d.concepts[at], d.shape.distractorPositive[i] ? "is" : "is-not", d.properties[i + 1]]);
  return { rules: [...main, ...chain(decoy, dc, !positive), ...extra], path: main.slice(1) };
}

function build(d: Named, v: Vocab): Example<ProntoQAMeta> {
  const { rules, path } = rulesOf(d);
  const ordered = d.shape.ruleOrder.map((i) => rules[i]);
  const query = { entity: d.persons[0], property: d.properties[0], negated: d.shape.negated };
  const answer = d.shape.positive !== d.shape.negated ? "true" : "false";
  const queryTokens = [query.entity, query.negated ? "is-not" : "is", query.property];
  const text = `${ordered.map(sentence).join(" ")} True or false: ${sentence([query.entity, queryTokens[1] as Relation, query.property])}\nsteps: ${path.map(sentence).join(" ")}\nanswer: ${answer}`;
  return {
    question: [...v.encode(ordered.flat()), SPECIAL.separator, ...v.encode(queryTokens)],
    answer: [v.id(answer)],
    steps: path.map((r) => v.encode(r)),
    difficulty: d.shape.hops,
    text,
    meta: { rules: ordered, query },
  };
}

function sentence([s, rel, o]: Rule): string {
  const subject = (PERSONS as readonly string[]).includes(s) ? s : `Every ${s}`;
  return rel === "is-a" ? `${subject} is a ${o}.` : `${subject} is ${rel === "is-not" ? "not " : ""}${o}.`;
}

function sampler(o: ProntoQAOptions, split: Split): Sampler<Named, ProntoQAMeta> {
  const v = vocab();
  const hops = o[`${split}Hops`];
  return {
    draw: (rng) => name(rng, drawShape(rng, hops, o.distractors)),
    rename: (d, rng) => name(rng, d.shape),
    key: (d) => problemKey({ rules: rulesOf(d).rules, query: { entity: d.persons[0], property: d.properties[0], negated: d.shape.negated } }),
    build: (d) => build(d, v),
  };
}

export const prontoqa: Task<ProntoQAOptions, ProntoQAMeta> = defineTask({
  name: "prontoqa",
  description: "k-hop deduction over a fictional ontology: is the person P? true or false (ProntoQA-style)",
  optionSpecs: [
    { key: "trainHops", flag: "--train-hops", kind: "range", description: `rules to chain in train questions, 1..${MAX_HOPS} (default 1-5)` },
    { key: "valHops", flag: "--val-hops", kind: "range", description: "hops of val questions (default: the train range)" },
    { key: "testHops", flag: "--test-hops", kind: "range", description: "hops of test questions (default: the train range)" },
    { key: "distractors", flag: "--distractors", kind: "int", description: `extra property rules on chain concepts, 0..${MAX_DISTRACTORS} (default 2)` },
  ],
  resolveOptions,
  vocab,
  limits,
  sampler,
  problemKey,
});
