// prosqa: Coconut's ProsQA (arXiv 2412.06769, appendix A.2). A random DAG of "every a is a b"
// facts; the question asks whether the root is a A or a B, where exactly one of the two is
// reachable from it. Tokens: each fact as two name tokens (subject, object) in shuffled order,
// then <sep>, the root and the two options in random order. Answer: the reachable option. Gold
// steps: a shortest path root → target, one fact (two tokens) per step; difficulty = its length.
// Default sizes are small for CPU training; `--graphs coconut` draws graphs with the statistics of
// Coconut's released files (14–28 nodes, 16–54 edges, 3–6 steps in their mix; README table).
import { CONCEPTS, PERSONS } from "./names.js";
import { checkChoice, checkInt, checkRange } from "./options.js";
import { algorithm1Shape, drawProsQAShape, nameProsQAShape, shortestPath, type GraphShape, type ProsQAGraph, type ProsQAShape } from "./prosqa-graph.js";
import { defineTask } from "./define-task.js";
import type { Sampler } from "./splits.js";
import { TaskOptionError, type Example, type IntRange, type Limits, type Split, type Task } from "./task.js";
import { SPECIAL, Vocab } from "./vocab.js";

export type { ProsQAGraph } from "./prosqa-graph.js";
export type ProsQAMeta = ProsQAGraph;

export const PROSQA_GRAPHS = ["algorithm1", "coconut"] as const;
export type ProsQAGraphs = (typeof PROSQA_GRAPHS)[number];

export interface ProsQAOptions {
  /** algorithm1: Algorithm 1 grown to `nodes`; coconut: graphs with the statistics of Coconut's files (`nodes` is fixed). */
  graphs: ProsQAGraphs;
  /** Nodes grown by Algorithm 1 before isolated ones are dropped (coconut: the largest graph kept). */
  nodes: number;
  trainSteps: IntRange;
  valSteps: IntRange;
  testSteps: IntRange;
}

const MIN_NODES = 6;
const MAX_NODES = CONCEPTS.length + 2; // every node but the two start nodes may need a concept name

/**
 * `--graphs coconut`, fitted to Coconut's validation and test files together (README, "ProsQA at
 * Coconut's size"): 17–29 nodes grown with Poisson(1.7) parents, a drawn 0 parents kept with
 * probability 0.2 (the files have ~2.5 persons per graph), at most 28 nodes and 16–54 edges kept, and
 * shortest paths of 3–6 steps thinned by the step weights to the files' 41/44/13/2% mix.
 */
const COCONUT: GraphShape = { grownMin: 17, grownMax: 29, maxNodes: 28, minEdges: 16, maxEdges: 54, parentless: 0.2, meanParents: 1.7, stepWeights: { 3: 0.57, 4: 1, 5: 0.86, 6: 0.68 } };
const COCONUT_STEPS: IntRange = { min: 3, max: 6 };

function resolveOptions(given: Partial<ProsQAOptions> = {}): ProsQAOptions {
  const graphs = checkChoice("--graphs", given.graphs ?? "algorithm1", PROSQA_GRAPHS);
  if (graphs === "coconut" && given.nodes !== undefined && given.nodes !== COCONUT.maxNodes) {
    throw new TaskOptionError("--nodes", `--nodes does not apply with --graphs coconut, which draws graphs of up to ${COCONUT.maxNodes} nodes like Coconut's files`, "leave out --nodes, or --graphs coconut");
  }
  const nodes = graphs === "coconut" ? COCONUT.maxNodes : checkInt("--nodes", given.nodes ?? 12, MIN_NODES, MAX_NODES);
  const why = `a path in a graph of ${nodes} nodes has 1..${nodes - 2} steps; raise --nodes for longer paths`;
  const trainSteps = checkRange("--train-steps", given.trainSteps ?? (graphs === "coconut" ? COCONUT_STEPS : { min: 2, max: 4 }), 1, nodes - 2, why);
  const valSteps = checkRange("--val-steps", given.valSteps ?? trainSteps, 1, nodes - 2, why);
  const testSteps = checkRange("--test-steps", given.testSteps ?? trainSteps, 1, nodes - 2, why);
  return { graphs, nodes, trainSteps, valSteps, testSteps };
}

/** How this configuration draws its graphs. */
function graphShape(o: ProsQAOptions): GraphShape {
  return o.graphs === "algorithm1" ? algorithm1Shape(o.nodes) : COCONUT;
}

/** Person names, then concept names: the same vocabulary for every size, and for Coconut's files. */
export const prosqaVocab = () => new Vocab([...PERSONS, ...CONCEPTS]);

function limits(o: ProsQAOptions): Limits {
  const maxSteps = Math.max(o.trainSteps.max, o.valSteps.max, o.testSteps.max);
  return { maxQuestionLength: 2 * graphShape(o).maxEdges + 4, maxAnswerLength: 1, maxSteps, maxStepLength: 2 };
}

/** Each name's number in the vocabulary order: keys built from numbers sort fast (keys are computed per draw). */
const NAME_CODE = new Map<string, number>([...PERSONS, ...CONCEPTS].map((name, i) => [name, i]));

function problemKey(g: ProsQAMeta): string {
  const code = g.idx_to_symbol.map((name) => {
    const c = NAME_CODE.get(name);
    if (c === undefined) throw new Error(`prosqa: unknown name "${name}"`);
    return c;
  });
  const facts = Int32Array.from(g.edges, ([a, b]) => code[a] * 64 + code[b]).sort(); // 64 > number of names
  const options = [code[g.target], code[g.neg_target]].sort((x, y) => x - y);
  return `${code[g.root]}|${facts.join(",")}|${options.join(",")}`;
}

/** Coconut's sentence for a fact: persons are named, concepts quantified. */
export function factSentence(subject: string, object: string): string {
  return (PERSONS as readonly string[]).includes(subject) ? `${subject} is a ${object}.` : `Every ${subject} is a ${object}.`;
}

/**
 * The example for graph `g` shown with its facts in `factOrder` and the options in `optionOrder`,
 * with gold steps `path`. Shared by the generator and the reader of Coconut's JSON.
 */
export function prosqaExample(
  g: ProsQAGraph,
  factOrder: readonly [number, number][],
  optionOrder: readonly [number, number],
  path: readonly [number, number][],
  v: Vocab,
): Example<ProsQAMeta> {
  const name = (i: number) => g.idx_to_symbol[i];
  const id = (i: number) => v.id(name(i));
  const question = [...factOrder.flatMap(([a, b]) => [id(a), id(b)]), SPECIAL.separator, id(g.root), id(optionOrder[0]), id(optionOrder[1])];
  const facts = factOrder.map(([a, b]) => factSentence(name(a), name(b)));
  const ask = `Is ${name(g.root)} a ${name(optionOrder[0])} or ${name(optionOrder[1])}?`;
  const steps = path.map(([a, b]) => factSentence(name(a), name(b)));
  const text = `${[...facts, ask].join(" ")}\nsteps: ${steps.join(" ")}\nanswer: ${name(g.root)} is a ${name(g.target)}.`;
  return {
    question,
    answer: [id(g.target)],
    steps: path.map(([a, b]) => [id(a), id(b)]),
    difficulty: path.length,
    text,
    meta: g,
  };
}

interface Drawn {
  shape: ProsQAShape;
  graph: ProsQAGraph;
  factOrder: [number, number][];
  optionOrder: [number, number];
}

function sampler(o: ProsQAOptions, split: Split): Sampler<Drawn, ProsQAMeta> {
  const v = prosqaVocab();
  const range = o[`${split}Steps`];
  const shape = graphShape(o);
  return {
    draw: (rng) => {
      const drawn = drawProsQAShape(rng, shape, range.min, range.max);
      if (!drawn) return undefined;
      const optionOrder: [number, number] = rng.bool() ? [drawn.target, drawn.neg_target] : [drawn.neg_target, drawn.target];
      return { shape: drawn, graph: nameProsQAShape(rng, drawn), factOrder: rng.shuffle(drawn.edges), optionOrder };
    },
    rename: (d, rng) => ({ ...d, graph: nameProsQAShape(rng, d.shape) }),
    key: (d) => problemKey(d.graph),
    build: (d) => prosqaExample(d.graph, d.factOrder, d.optionOrder, shortestPath(d.shape), v),
  };
}

export const prosqa: Task<ProsQAOptions, ProsQAMeta> = defineTask({
  name: "prosqa",
  description: "is the root a A or a B? graph reachability over random DAGs of facts (Coconut's ProsQA)",
  optionSpecs: [
    { key: "graphs", flag: "--graphs", kind: "choice", choices: PROSQA_GRAPHS, description: "coconut: graphs with the statistics of Coconut's released files (14–28 nodes, 16–54 edges, 3–6 steps; --nodes fixed); algorithm1: Algorithm 1 grown to --nodes (default algorithm1)" },
    { key: "nodes", flag: "--nodes", kind: "int", description: `graph size grown by Coconut's Algorithm 1, ${MIN_NODES}..${MAX_NODES} (default 12)` },
    { key: "trainSteps", flag: "--train-steps", kind: "range", description: "shortest-path length (steps) of train questions (default 2-4)" },
    { key: "valSteps", flag: "--val-steps", kind: "range", description: "steps of val questions (default: the train range)" },
    { key: "testSteps", flag: "--test-steps", kind: "range", description: "steps of test questions (default: the train range)" },
  ],
  resolveOptions,
  vocab: prosqaVocab,
  limits,
  sampler,
  problemKey,
  sizes: (e) => graphSizes(e.meta),
});

/** A graph's nodes, edges and persons (nodes without parents). */
export function graphSizes(g: ProsQAGraph): { nodes: number; edges: number; persons: number } {
  const hasParent = new Set(g.edges.map(([, b]) => b));
  return { nodes: g.idx_to_symbol.length, edges: g.edges.length, persons: g.idx_to_symbol.length - hasParent.size };
}
