// Evolution strategies, the parts shared by the main thread and the pool workers: the flat
// parameter vector, each antithetic pair's noise (regenerated from its key, never stored), the
// jitted forward-only fitness of a pair, centred-rank shaping and the gradient estimate.
// Every member's fitness is computed by the same jitted function on the same inputs wherever it
// runs, so a generation's result does not depend on how members are spread over workers.
import { jit, np, random, type Array, type OwnedFunction } from "../engine/jax.js";
import { dispose, flatten, leaves, type Tree } from "../engine/tree.js";
import { modelKey } from "../engine/rng.js";
import { makeReasoner, type Reasoner, type ReasonerConfig } from "../models/index.js";
import { PLAIN_RECIPE_NAMES, PLAIN_RECIPES, type PlainRecipeName } from "../recipes/plain.js";
import { initParams, type Batch, type SupervisedRecipe } from "../recipes/recipe.js";

/** The recipes whose forward loss ES evaluates. */
export const ES_RECIPES = PLAIN_RECIPE_NAMES;
export const esRecipe = (name: PlainRecipeName, latentSteps: number): SupervisedRecipe => PLAIN_RECIPES[name](latentSteps);

/** What a worker needs to rebuild the evaluator (plain JSON). */
export interface EsSpec {
  reasoner: ReasonerConfig;
  recipe: PlainRecipeName;
  latentSteps: number;
}

/** A batch as host typed arrays (what crosses to a worker). */
export type HostBatch = Record<string, { data: Float32Array | Int32Array; shape: number[]; dtype: "float32" | "int32" }>;

export async function toHost(batch: Batch): Promise<HostBatch> {
  const out: HostBatch = {};
  for (const [k, a] of Object.entries(batch)) {
    const dtype = a.dtype === np.int32 ? "int32" : "float32";
    if (a.dtype !== np.int32 && a.dtype !== np.float32) throw new Error(`ES batches hold int32/float32 arrays; "${k}" is ${a.dtype}`);
    const shape = a.shape.slice();
    out[k] = { data: (await a.data()) as Float32Array | Int32Array, shape, dtype };
  }
  return out;
}

export function fromHost(batch: HostBatch): Batch {
  return Object.fromEntries(
    Object.entries(batch).map(([k, b]) => [k, np.array(b.data, { dtype: b.dtype === "int32" ? np.int32 : np.float32 }).reshape(b.shape)]),
  );
}

/** Shapes of the parameter leaves in flatten order, and their total size. */
export interface Layout {
  shapes: number[][];
  size: number;
}

export function layoutOf(params: Tree): Layout {
  const shapes = leaves(params).map((l) => l.shape.slice());
  return { shapes, size: shapes.reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0) };
}

/** The leaves of a flat vector [n] (jit-traceable; consumes `vec`). */
export function splitVector(vec: Array, layout: Layout): Array[] {
  const out: Array[] = [];
  let off = 0;
  for (const shape of layout.shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    out.push(vec.ref.slice([off, off + n]).reshape(shape));
    off += n;
  }
  vec.dispose();
  return out;
}

/** All leaves concatenated into one vector (jit-traceable; consumes the tree). */
export function concatLeaves(t: Tree): Array {
  return np.concatenate(leaves(t).map((l) => l.reshape([-1])), 0);
}

/**
 * The noise key of antithetic pair `pair` in `generation` of a run seeded `seed`: a threefry key
 * [hash(seed, generation), pair]. Both members of the pair (θ ± σε) share it.
 */
export function pairKey(seed: number, generation: number, pair: number): [number, number] {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(generation + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return [h >>> 0, pair >>> 0];
}

export const keyArray = (k: readonly [number, number]): Array => np.array(Uint32Array.from(k), { dtype: np.uint32 });

/** ε ~ N(0, I) of size n from a key (jit-traceable; consumes the key). */
export const noise = (key: Array, n: number): Array => random.normal(key, [n]);

/**
 * Centred ranks in [-0.5, 0.5] (Salimans et al. 2017): the lowest fitness −0.5, the highest +0.5,
 * ties sharing their mean rank; invariant to any monotone change of the fitness.
 */
export function centredRanks(fitness: ArrayLike<number>): Float64Array {
  const n = fitness.length;
  const order = globalThis.Array.from({ length: n }, (_, i) => i).sort((a, b) => fitness[a] - fitness[b] || a - b);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && fitness[order[j + 1]] === fitness[order[i]]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2;
    i = j + 1;
  }
  return n > 1 ? ranks.map((r) => r / (n - 1) - 0.5) : ranks;
}

/**
 * Each pair's coefficient in the estimate of the LOSS gradient (= minus the fitness gradient):
 * ĝ = Σ_j c_j ε_j with c_j = −(w⁺_j − w⁻_j) / (population · σ), w = centred ranks of the fitness
 * of the members in order [+₀, −₀, +₁, −₁, …].
 */
export function pairCoefficients(fitness: ArrayLike<number>, sigma: number): Float64Array {
  const w = centredRanks(fitness);
  const pairs = fitness.length / 2;
  return Float64Array.from({ length: pairs }, (_, j) => -(w[2 * j] - w[2 * j + 1]) / (fitness.length * sigma));
}

/**
 * Σ_j coefficients[j] · ε(key_j), summed in pair order on the calling thread (a fixed order, so
 * the estimate is the same whoever computed the fitness). Returns a vector [n].
 */
export function makeEstimator(n: number) {
  const accumulate = jit((acc: Array, key: Array, c: Array) => acc.add(noise(key, n).mul(c)));
  return {
    estimate(keys: readonly (readonly [number, number])[], coefficients: ArrayLike<number>): Array {
      let acc = np.zeros([n], { dtype: np.float32 });
      keys.forEach((k, j) => (acc = accumulate(acc, keyArray(k), np.array(coefficients[j], { dtype: np.float32 }))));
      return acc;
    },
    dispose: () => accumulate.dispose(),
  };
}

/** One pair's fitness inputs: the loss and accuracy of θ + σε and of θ − σε. */
export interface PairResult {
  lossPlus: number;
  lossMinus: number;
  accPlus: number;
  accMinus: number;
}

export interface PairEvaluator {
  readonly layout: Layout;
  /** Loss and accuracy of both members of each pair (4 numbers per pair, in `PairResult` order). */
  evaluate(theta: Float32Array, batch: HostBatch, keys: readonly (readonly [number, number])[], sigma: number): Promise<Float32Array>;
  dispose(): void;
}

/** The jitted forward-only fitness of a pair on a spec's model and recipe. */
export function makePairEvaluator(spec: EsSpec): PairEvaluator {
  const reasoner = makeReasoner(spec.reasoner) as Reasoner<Tree>;
  const recipe = esRecipe(spec.recipe, spec.latentSteps);
  const forward = recipe.loss;
  if (!forward) throw new Error(`recipe "${recipe.name}" has no forward-only loss, so ES cannot evaluate it`);
  // the tree structure, from a throwaway init
  const [templateLeaves, rebuild] = flatten(initParams(recipe, reasoner, modelKey(0)));
  const layout = layoutOf(templateLeaves as unknown as Tree);
  dispose(templateLeaves as unknown as Tree);
  const pair = jit((theta: Array, key: Array, sigma: Array, batch: Batch) => {
    const eps = noise(key, layout.size).mul(sigma);
    const member = (sign: 1 | -1) => {
      const p = rebuild(splitVector(sign > 0 ? theta.ref.add(eps.ref) : theta.ref.sub(eps.ref), layout));
      const b = Object.fromEntries(Object.entries(batch).map(([k, a]) => [k, a.ref]));
      const { loss, correct } = forward.call(recipe, reasoner, p, b);
      dispose(p);
      return [loss, correct.mean()];
    };
    const [lp, ap] = member(1);
    const [lm, am] = member(-1);
    theta.dispose();
    eps.dispose();
    dispose(batch);
    return np.stack([lp, lm, ap, am]);
  }) as OwnedFunction<(theta: Array, key: Array, sigma: Array, batch: Batch) => Array>;
  return {
    layout,
    async evaluate(thetaData, hostBatch, keys, sigma) {
      if (thetaData.length !== layout.size) throw new Error(`ES: parameter vector has ${thetaData.length} values, the model ${layout.size}`);
      const theta = np.array(thetaData, { dtype: np.float32 });
      const batch = fromHost(hostBatch);
      const out = new Float32Array(4 * keys.length);
      for (let j = 0; j < keys.length; j++) {
        const r = pair(theta.ref, keyArray(keys[j]), np.array(sigma, { dtype: np.float32 }), Object.fromEntries(Object.entries(batch).map(([k, a]) => [k, a.ref])));
        out.set((await r.data()) as Float32Array, 4 * j);
      }
      theta.dispose();
      dispose(batch);
      return out;
    },
    dispose: () => pair.dispose(),
  };
}
