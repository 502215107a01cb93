// The ProsQA graph generator: Algorithm 1 of Coconut's appendix A.2 (arXiv 2412.06769), then
// the choice of root, target and negative target that Coconut's released data shows.
import { CONCEPTS, PERSONS } from "./names.js";
import type { TaskRng } from "./rng.js";

/** A ProsQA problem in Coconut's own fields: edges (a, b) mean "every a is a b". */
export interface ProsQAGraph {
  idx_to_symbol: string[];
  edges: [number, number][];
  root: number;
  target: number;
  neg_target: number;
}

/** Largest edge count kept; graphs with more are redrawn so questions have a known maximum length. */
export function maxEdges(nodes: number): number {
  return Math.ceil(2 * (nodes - 2));
}

/**
 * How graphs are drawn. Algorithm 1 as written grows a fixed number of nodes; `--graphs coconut`
 * (prosqa.ts) varies it and reweights to match the statistics of Coconut's released files.
 */
export interface GraphShape {
  /** Nodes grown by Algorithm 1 (drawn uniformly from this range) before isolated ones are dropped. */
  grownMin: number;
  grownMax: number;
  /** Draws with fewer or more edges, or more nodes kept, are redrawn (a known maximum question length). */
  minEdges: number;
  maxEdges: number;
  maxNodes: number;
  /**
   * Probability that a node whose Poisson parent count came out 0 stays parentless (else it
   * gets one parent): 1 in Algorithm 1; Coconut's files have far fewer parentless nodes (persons).
   */
  parentless: number;
  /** Mean of the Poisson parent count: 1.5 in Algorithm 1. */
  meanParents: number;
  /** Relative acceptance per shortest-path length (steps → weight), to reach a target step mix; absent: every draw kept. */
  stepWeights?: Readonly<Record<number, number>>;
}

/** Algorithm 1 with `nodes` grown nodes, as the paper describes it. */
export function algorithm1Shape(nodes: number): GraphShape {
  return { grownMin: nodes, grownMax: nodes, minEdges: 0, maxEdges: maxEdges(nodes), maxNodes: nodes, parentless: 1, meanParents: 1.5 };
}

/**
 * Algorithm 1: nodes 0 and 1 start with labels 1 and 2. Each new node draws n_in ~ Poisson(1.5)
 * parents among the non-descendants of node 1 (p = 0.35), of node 0 (p = 0.35) or all nodes
 * (p = 0.3), weighted by depth·1.5 + 1, without replacement; its label is the OR of its parents'
 * labels (bit 1: descends from node 0, bit 2: from node 1). Returns the parents of each node.
 */
function growDag(rng: TaskRng, nodes: number, parentless: number, meanParents: number): { parents: number[][]; labels: number[] } {
  const parents: number[][] = [[], []];
  const labels = [1, 2];
  const depth = [0, 0]; // shortest distance to a parentless node
  const groups: number[][] = [[], [0], [1], []];
  for (let idx = 2; idx < nodes; idx++) {
    const r = rng.float();
    let nIn = rng.poisson(meanParents);
    if (nIn === 0 && parentless < 1 && rng.float() >= parentless) nIn = 1;
    const candidates =
      r <= 0.35 ? [...groups[0], ...groups[1]] : r <= 0.7 ? [...groups[0], ...groups[2]] : Array.from({ length: idx }, (_, i) => i);
    nIn = Math.min(nIn, candidates.length);
    const chosen = weightedSample(rng, candidates, (c) => depth[c] * 1.5 + 1, nIn);
    let label = 0;
    let d = Infinity;
    for (const p of chosen) {
      label |= labels[p];
      d = Math.min(d, depth[p] + 1);
    }
    parents.push(chosen.sort((x, y) => x - y));
    labels.push(label);
    depth.push(chosen.length === 0 ? 0 : d);
    groups[label].push(idx);
  }
  return { parents, labels };
}

/** The largest step weight in [minSteps, maxSteps] (unlisted lengths weigh 1): acceptance is weight / this. */
function maxWeight(weights: Readonly<Record<number, number>>, minSteps: number, maxSteps: number): number {
  let m = 0;
  for (let s = minSteps; s <= maxSteps; s++) m = Math.max(m, weights[s] ?? 1);
  return m;
}

/** `k` distinct items drawn one at a time with probability proportional to weight. */
function weightedSample(rng: TaskRng, items: number[], weight: (x: number) => number, k: number): number[] {
  const pool = items.slice();
  const w = pool.map(weight);
  const out: number[] = [];
  for (let j = 0; j < k; j++) {
    let total = 0;
    for (const x of w) total += x;
    let u = rng.float() * total;
    let i = 0;
    while (i < pool.length - 1 && u >= w[i]) u -= w[i++];
    out.push(pool[i]);
    pool.splice(i, 1);
    w.splice(i, 1);
  }
  return out;
}

/** A ProsQA graph before naming: which nodes are persons (parentless), and the question's nodes. */
export interface ProsQAShape {
  isPerson: boolean[];
  edges: [number, number][];
  root: number;
  target: number;
  neg_target: number;
  /** Length of the shortest path root → target. */
  steps: number;
}

/**
 * One ProsQA graph shape, or undefined when this draw is unusable (the caller redraws). After
 * Algorithm 1: drop nodes with neither parents nor children; the root is node 0 or 1; the target
 * is a deepest leaf that only the root reaches, the negative target a leaf that only the other
 * start node reaches (so exactly one option is reachable from the root). Draws whose shortest
 * path falls outside [minSteps, maxSteps] are unusable.
 */
export function drawProsQAShape(rng: TaskRng, shape: GraphShape, minSteps: number, maxSteps: number): ProsQAShape | undefined {
  const nodes = shape.grownMin === shape.grownMax ? shape.grownMin : rng.int(shape.grownMin, shape.grownMax);
  const { parents, labels } = growDag(rng, nodes, shape.parentless, shape.meanParents);
  const children: number[][] = parents.map(() => []);
  parents.forEach((ps, v) => ps.forEach((p) => children[p].push(v)));
  const kept = parents.map((_, v) => v).filter((v) => v < 2 || parents[v].length > 0 || children[v].length > 0);
  const edgeCount = parents.reduce((s, ps) => s + ps.length, 0);
  const persons = kept.filter((v) => parents[v].length === 0).length;
  if (edgeCount < shape.minEdges || edgeCount > shape.maxEdges || kept.length > shape.maxNodes || persons > PERSONS.length) return undefined;

  const root = rng.int(0, 1);
  const onlyFrom = (start: number) =>
    kept.filter((v) => labels[v] === start + 1 && parents[v].length > 0 && children[v].length === 0);
  const rootLeaves = onlyFrom(root);
  const otherLeaves = onlyFrom(1 - root);
  if (rootLeaves.length === 0 || otherLeaves.length === 0) return undefined;
  const dist = distancesFrom(root, children);
  const deepest = Math.max(...rootLeaves.map((v) => dist[v]));
  if (deepest < minSteps || deepest > maxSteps) return undefined;
  if (shape.stepWeights && !(rng.float() * maxWeight(shape.stepWeights, minSteps, maxSteps) < (shape.stepWeights[deepest] ?? 1))) return undefined;
  const target = rng.choice(rootLeaves.filter((v) => dist[v] === deepest));
  const negTarget = rng.choice(otherLeaves);

  // renumber the kept nodes, keeping creation order
  const index = new Map(kept.map((v, i) => [v, i]));
  const edges: [number, number][] = [];
  for (const v of kept) for (const u of parents[v]) edges.push([index.get(u)!, index.get(v)!]);
  return {
    isPerson: kept.map((v) => parents[v].length === 0),
    edges,
    root: index.get(root)!,
    target: index.get(target)!,
    neg_target: index.get(negTarget)!,
    steps: deepest,
  };
}

/** Name a shape: parentless nodes get distinct person names, the rest distinct concept names, as in Coconut's data. */
export function nameProsQAShape(rng: TaskRng, shape: ProsQAShape): ProsQAGraph {
  const personCount = shape.isPerson.filter(Boolean).length;
  const personNames = rng.sample(PERSONS, personCount);
  const conceptNames = rng.sample(CONCEPTS, shape.isPerson.length - personCount);
  let p = 0;
  let c = 0;
  const idx_to_symbol = shape.isPerson.map((isPerson) => (isPerson ? personNames[p++] : conceptNames[c++]));
  return { idx_to_symbol, edges: shape.edges, root: shape.root, target: shape.target, neg_target: shape.neg_target };
}

/** BFS distances over child lists (Infinity where unreachable). */
function distancesFrom(start: number, children: number[][]): number[] {
  const dist = children.map(() => Infinity);
  dist[start] = 0;
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    for (const v of children[queue[i]]) {
      if (dist[v] === Infinity) {
        dist[v] = dist[queue[i]] + 1;
        queue.push(v);
      }
    }
  }
  return dist;
}

/** A shortest path root → target as a list of edges (BFS, children in index order). */
export function shortestPath(g: Pick<ProsQAGraph, "edges" | "root" | "target">): [number, number][] {
  const children = new Map<number, number[]>();
  for (const [a, b] of g.edges) children.set(a, [...(children.get(a) ?? []), b]);
  for (const list of children.values()) list.sort((x, y) => x - y);
  const from = new Map<number, number>([[g.root, -1]]);
  const queue = [g.root];
  for (let i = 0; i < queue.length && !from.has(g.target); i++) {
    for (const v of children.get(queue[i]) ?? []) {
      if (!from.has(v)) {
        from.set(v, queue[i]);
        queue.push(v);
      }
    }
  }
  if (!from.has(g.target)) throw new Error("prosqa: the target is not reachable from the root");
  const path: [number, number][] = [];
  for (let v = g.target; v !== g.root; v = from.get(v)!) path.unshift([from.get(v)!, v]);
  return path;
}
