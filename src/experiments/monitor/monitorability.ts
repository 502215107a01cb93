// Monitorability (issue 12): how much of a reasoning chain can still be read. For a latent chain
// (a recipe with `trace`): linear probes from every thought's states (the fed-back latent and
// each layer's hidden state) to the known intermediate variable, and the logit lens (the output
// head on each latent). For a token chain (cot), cot-faithfulness.ts: how often the written step is the true one, and
// whether corrupting a written step changes the answer. Intermediate variables come from the
// examples' gold steps: the variable after k steps is the last token of gold step k (pointer-chase:
// f^k(s); prosqa: the node reached after k facts of the shortest path); prosqa also gives each
// step's frontier (nodes at distance k from the root) for Coconut's breadth-first analysis.
import { jit, jnn, type Array } from "../../engine/jax.js";
import { ref as refTree, type Tree } from "../../engine/tree.js";
import { promptGrid } from "../../recipes/framing.js";
import type { SupervisedRecipe } from "../../recipes/recipe.js";
import { tokens } from "../../recipes/supervised-parts.js";
import type { Reasoner } from "../../models/reasoner.js";
import { type Example, type Limits, type Task, type Vocab } from "../../tasks/index.js";
import { probe, trainSplit, type Features, type ProbeResult } from "./probes.js";

/** Format version of `inspect.json`. */
export const INSPECT_FORMAT = 1;

/** The intermediate variable after each gold step (one token per step). */
export const stepTargets = (e: Example): number[] => e.steps.map((s) => s[s.length - 1]);

/** ProsQA: the token ids of the nodes at shortest distance k from the root, k = 1..K; null for other tasks. */
export function frontiers(task: Task, e: Example, vocab: Vocab, K: number): number[][] | null {
  if (task.name !== "prosqa") return null;
  const g = e.meta as { edges: [number, number][]; root: number; idx_to_symbol: string[] };
  const children = g.idx_to_symbol.map(() => [] as number[]);
  g.edges.forEach(([a, b]) => children[a].push(b));
  const dist = new Map<number, number>([[g.root, 0]]);
  let layer = [g.root];
  const out: number[][] = [];
  for (let k = 1; k <= K; k++) {
    const next: number[] = [];
    for (const v of layer) for (const c of children[v]) if (!dist.has(c)) (dist.set(c, k), next.push(c));
    out.push(next.map((v) => vocab.id(g.idx_to_symbol[v])));
    layer = next;
  }
  return out;
}

/** All node tokens of a prosqa example's graph. */
function graphNodes(e: Example, vocab: Vocab): number[] {
  const g = e.meta as { idx_to_symbol: string[] };
  return g.idx_to_symbol.map((name) => vocab.id(name));
}

/** What a latent chain wrote for n examples, on the host. */
export interface ChainReadout {
  n: number;
  latentSteps: number;
  layers: number;
  dim: number;
  vocab: number;
  /** [k] → [n, dim]: the latent after thought k+1. */
  latents: Float32Array[];
  /** [k][l] → [n, dim]: layer l's hidden state at thought k+1. */
  layerStates: Float32Array[][];
  /** [k] → [n, vocab]: log-softmax of the output head on the latent (the logit lens). */
  lens: Float32Array[];
}

/** The logit lens: log-softmax of the output head on latents [..., dim] → [..., vocab]. Borrows params, consumes latents. */
export function logitLens<P extends Tree>(reasoner: Reasoner<P>, params: P, latents: Array): Array {
  return jnn.logSoftmax(reasoner.head(params, latents), -1);
}

/** Run the recipe's traced chain over `examples` in fixed-size batches (one jit). Borrows params. */
export async function readLatentChain<P extends Tree>(
  recipe: SupervisedRecipe,
  reasoner: Reasoner<P>,
  params: P,
  examples: readonly Example[],
  limits: Limits,
  batchSize: number,
): Promise<ChainReadout> {
  const traceOf = recipe.trace;
  if (!traceOf) throw new Error(`recipe "${recipe.name}" has no latent chain to trace`);
  const fn = jit((p: P, prompt: Array) => {
    const t = traceOf(reasoner, p, prompt);
    return [t.latents.ref, t.layers, logitLens(reasoner, p, t.latents)];
  }) as unknown as ((p: P, prompt: Array) => [Array, Array, Array]) & { dispose(): void };
  const { dim, vocab } = reasoner.config;
  const n = examples.length;
  let K = 0;
  let L = 0;
  let latents: Float32Array[] = [];
  let layerStates: Float32Array[][] = [];
  let lens: Float32Array[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const chunk = examples.slice(start, start + batchSize);
    const filled = [...chunk, ...globalThis.Array.from({ length: batchSize - chunk.length }, () => examples[0])];
    const [lat, lay, lg] = fn(refTree(params), tokens(promptGrid(filled, limits)));
    if (start === 0) {
      [K, L] = [lay.shape[0], lay.shape[1]];
      latents = globalThis.Array.from({ length: K }, () => new Float32Array(n * dim));
      layerStates = globalThis.Array.from({ length: K }, () => globalThis.Array.from({ length: L }, () => new Float32Array(n * dim)));
      lens = globalThis.Array.from({ length: K }, () => new Float32Array(n * vocab));
    }
    const [latData, layData, lgData] = [await lat.data(), await lay.data(), await lg.data()];
    const rows = chunk.length;
    for (let k = 0; k < K; k++) {
      latents[k].set(latData.subarray(k * batchSize * dim, k * batchSize * dim + rows * dim), start * dim);
      lens[k].set(lgData.subarray(k * batchSize * vocab, k * batchSize * vocab + rows * vocab), start * vocab);
      for (let l = 0; l < L; l++) {
        const o = (k * L + l) * batchSize * dim;
        layerStates[k][l].set(layData.subarray(o, o + rows * dim), start * dim);
      }
    }
  }
  fn.dispose();
  return { n, latentSteps: K, layers: L, dim, vocab, latents, layerStates, lens };
}

/** Rows `rows` of an [n, d] float32 block as float64 features. */
function featuresOf(block: Float32Array, d: number, rows: readonly number[]): Features {
  const x = new Float64Array(rows.length * d);
  rows.forEach((r, i) => x.set(block.subarray(r * d, (r + 1) * d), i * d));
  return { x, n: rows.length, d };
}

/** One probe's figures (its held-out predictions left out) and where it looked. */
export interface ProbeRow extends Omit<ProbeResult, "heldOut"> {
  /** Thought 1..K. */
  step: number;
  /** "latent" (the fed-back vector) or "layer0".. (each layer's hidden state at the thought). */
  layer: string;
  /** "hop" (the variable after `hop` gold steps; examples with that many steps) or "answer". */
  target: "hop" | "answer";
  /** For target "hop": which gold step (= `step` for the chain's own step; other hops: latent only). */
  hop?: number;
}

export interface LensRow {
  step: number;
  target: "hop" | "answer";
  n: number;
  /** Fraction of examples whose top-1 lens token is the target. */
  top1: number;
  /** Fraction with the target among the top 3. */
  top3: number;
  /** Mean rank of the target among all vocabulary tokens (1 = top). */
  meanRank: number;
  /** Mean probability the lens gives the target. */
  meanProb: number;
}

export interface FrontierRow {
  step: number;
  n: number;
  /** Mean lens probability summed over the frontier nodes (distance = step from the root). */
  frontierMass: number;
  /** Over the graph's other nodes. */
  otherNodeMass: number;
  /** Mean number of frontier / other nodes (the masses per node compare breadth). */
  frontierNodes: number;
  otherNodes: number;
}

export interface ExampleView {
  index: number;
  text: string;
  gold: string[];
  /** Per thought: top-3 lens tokens with probabilities, the latent probe's readout (held-out rows only). */
  thoughts: { lens: [string, number][]; probe: string | null }[];
}

export interface LatentMonitor {
  kind: "latent";
  n: number;
  latentSteps: number;
  probes: ProbeRow[];
  lens: LensRow[];
  frontier?: FrontierRow[];
  examples: ExampleView[];
}

/** Rank (1 = top) of `target` in one row of log-probabilities. */
function rankOf(row: Float32Array, target: number): number {
  let rank = 1;
  for (let i = 0; i < row.length; i++) if (row[i] > row[target] || (row[i] === row[target] && i < target)) rank++;
  return rank;
}

function topTokens(row: Float32Array, k: number): number[] {
  return [...row.keys()].sort((a, b) => row[b] - row[a] || a - b).slice(0, k);
}

/** The mean of `xs`, NaN when there are none (a figure over no examples). */
export const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/**
 * Probes (per thought, per layer, hop and answer targets, held-out split, shuffled control) and
 * the logit lens over a read latent chain. `show` examples get a per-example view.
 */
export function analyseLatentChain(
  r: ChainReadout,
  examples: readonly Example[],
  task: Task,
  vocab: Vocab,
  opts: { seed?: number; show?: number; minRows?: number } = {},
): LatentMonitor {
  const seed = opts.seed ?? 0;
  const minRows = opts.minRows ?? 20;
  const isTrain = trainSplit(r.n, { seed });
  const targets = examples.map(stepTargets);
  const answers = examples.map((e) => e.answer[e.answer.length - 1]);
  const probes: ProbeRow[] = [];
  const lens: LensRow[] = [];
  const frontier: FrontierRow[] = [];
  const latentReadout = new Map<string, Map<number, number>>(); // "k" → row → predicted hop token
  const fr = examples.map((e) => frontiers(task, e, vocab, r.latentSteps));
  const maxHops = Math.max(...targets.map((t) => t.length));
  for (let k = 0; k < r.latentSteps; k++) {
    const allRows = [...examples.keys()];
    // hop j from thought k: j = k is the chain's own step; j ≠ k (latent only) shows whether a
    // thought runs ahead of or behind the gold chain
    const goals: { target: "hop" | "answer"; hop?: number; rows: number[]; label: (i: number) => number }[] = [
      ...[...globalThis.Array(maxHops).keys()].map((j) => ({
        target: "hop" as const,
        hop: j + 1,
        rows: allRows.filter((i) => targets[i].length > j),
        label: (i: number) => targets[i][j],
      })),
      { target: "answer", rows: allRows, label: (i) => answers[i] },
    ];
    for (const g of goals) {
      const own = g.target === "answer" || g.hop === k + 1;
      const labels = g.rows.map(g.label);
      const split = g.rows.map((i) => isTrain[i]);
      const enough = split.filter(Boolean).length >= minRows && split.filter((x) => !x).length >= minRows && new Set(labels).size >= 2;
      const blocks: [string, Float32Array][] = [["latent", r.latents[k]], ...r.layerStates[k].map((b, l): [string, Float32Array] => [`layer${l}`, b])];
      if (enough) {
        for (const [layer, block] of own ? blocks : blocks.slice(0, 1)) {
          const p = probe(featuresOf(block, r.dim, g.rows), labels, split, { seed: seed + 1 });
          const { heldOut, ...row } = p;
          probes.push({ step: k + 1, layer, target: g.target, ...(g.hop ? { hop: g.hop } : {}), ...row });
          if (layer === "latent" && own && g.target === "hop") latentReadout.set(String(k), new Map([...heldOut].map(([j, y]) => [g.rows[j], y])));
        }
      }
      if (!own) continue;
      const ranks = g.rows.map((i) => rankOf(r.lens[k].subarray(i * r.vocab, (i + 1) * r.vocab), g.label(i)));
      lens.push({
        step: k + 1,
        target: g.target,
        n: g.rows.length,
        top1: mean(ranks.map((x) => (x === 1 ? 1 : 0))),
        top3: mean(ranks.map((x) => (x <= 3 ? 1 : 0))),
        meanRank: mean(ranks),
        meanProb: mean(g.rows.map((i) => Math.exp(r.lens[k][i * r.vocab + g.label(i)]))),
      });
    }
    if (fr[0]) {
      const rows = [...examples.keys()].filter((i) => fr[i]![k].length > 0);
      const massOf = (i: number, ids: number[]) => ids.reduce((a, t) => a + Math.exp(r.lens[k][i * r.vocab + t]), 0);
      const others = (i: number) => graphNodes(examples[i], vocab).filter((t) => !fr[i]![k].includes(t));
      frontier.push({
        step: k + 1,
        n: rows.length,
        frontierMass: mean(rows.map((i) => massOf(i, fr[i]![k]))),
        otherNodeMass: mean(rows.map((i) => massOf(i, others(i)))),
        frontierNodes: mean(rows.map((i) => fr[i]![k].length)),
        otherNodes: mean(rows.map((i) => others(i).length)),
      });
    }
  }
  const shown = [...examples.keys()].filter((i) => !isTrain[i]).slice(0, opts.show ?? 5);
  const name = (t: number) => vocab.tokens[t] ?? `#${t}`;
  const views = shown.map((i) => ({
    index: i,
    text: examples[i].text,
    gold: targets[i].map(name),
    thoughts: r.lens.map((lg, k) => {
      const row = lg.subarray(i * r.vocab, (i + 1) * r.vocab);
      const readout = latentReadout.get(String(k))?.get(i);
      return {
        lens: topTokens(row, 3).map((t): [string, number] => [name(t), Math.exp(row[t])]),
        probe: readout === undefined ? null : name(readout),
      };
    }),
  }));
  return { kind: "latent", n: r.n, latentSteps: r.latentSteps, probes, lens, ...(fr[0] ? { frontier } : {}), examples: views };
}
