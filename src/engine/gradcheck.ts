// Finite-difference gradient checking: compares jit(grad(f)) with central differences.
// Run it in float64 on the `cpu` backend: wasm's log/sin are float32-precise even in float64,
// which swamps a finite difference.
import { grad, jit, np, type Array } from "./jax.js";
import { DataRng } from "./rng.js";
import { leafPaths, leaves, map, ref, type Tree } from "./tree.js";

export interface GradCheckOptions {
  /** Coordinates checked per leaf (all of them when the leaf is smaller). Default 3. */
  samplesPerLeaf?: number;
  /** Central-difference step. Default 1e-6. */
  eps?: number;
  /** Seed of the coordinate choice. Default 0. */
  seed?: number;
  /**
   * Floor of the relative error's denominator, so coordinates whose gradient is ~0 (a key bias in
   * attention, say) do not divide rounding noise by rounding noise. Default 1e-4·max(1, |f(θ)|):
   * a float64 central difference with eps 1e-6 carries about 1e-16·|f|/1e-6 = 1e-10·|f| of
   * rounding noise, more for long sums (measured up to 2e-9 on the tiny losses of test/nn).
   */
  tiny?: number;
}

export interface LeafGradCheck {
  /** Dotted path of the leaf ("blocks.0.attn.q.w"). */
  path: string;
  shape: number[];
  /** Flat (row-major) indices checked. */
  coords: number[];
  analytic: number[];
  numeric: number[];
  /** Largest relative error over `coords` (formula: see `gradCheck`). */
  maxRelError: number;
  maxAbsError: number;
}

export interface GradCheckResult {
  /** Largest relative error over every checked coordinate of every leaf. */
  maxRelError: number;
  /** Path of the leaf where it occurs. */
  worst: string;
  /** f(θ), and the denominator floor that was used. */
  loss: number;
  tiny: number;
  leaves: LeafGradCheck[];
}

/**
 * Check the gradient of a scalar loss `f` at `params`.
 * Analytic: jit(grad(f))(params). Numeric, per coordinate i: (f(θ + εeᵢ) − f(θ − εeᵢ)) / 2ε.
 * Relative error per coordinate: |a − n| / max(|a| + |n|, tiny), which lies in [0, 1] and is
 * 1 when the two disagree in sign; `tiny` (see GradCheckOptions) stops coordinates with ~0
 * gradient from dividing noise by noise. Both sides are evaluated jitted, so they see the same
 * function (jax-js rounds scalar constants to float32 under jit, eager does not).
 * Coordinates are chosen uniformly per leaf from a seeded generator (deterministic).
 * `f` must be jit-traceable and consume its argument; non-differentiated inputs (token ids,
 * fixed weights) are closed over. `params` is borrowed: the caller still owns it.
 */
export async function gradCheck<T extends Tree>(
  f: (params: T) => Array,
  params: T,
  opts: GradCheckOptions = {},
): Promise<GradCheckResult> {
  const { samplesPerLeaf = 3, eps = 1e-6, seed = 0 } = opts;
  const paths = leafPaths(params);
  leaves(params).forEach((x, i) => {
    if (x.dtype !== np.float64) {
      throw new Error(`gradCheck: leaf ${paths[i]} is ${x.dtype}; finite differences need float64 (toFloat64)`);
    }
  });
  const values = await Promise.all(leaves(params).map(async (x) => Float64Array.from(await x.ref.data())));
  // jax-js's tree types do not follow our Tree alias through grad; the values are plain trees.
  const loss = f as unknown as (p: Tree) => Array;
  const gradF = jit(grad(loss));
  const lossF = jit(loss);
  try {
    const analytic = await Promise.all(leaves(gradF(ref(params))).map(async (g) => await g.data()));
    const f0 = (await lossF(ref(params)).data())[0];
    const tiny = opts.tiny ?? 1e-4 * Math.max(1, Math.abs(f0));
    const rng = new DataRng(seed);
    const evalAt = async (leaf: number, coord: number, value: number): Promise<number> => {
      let i = 0;
      const shifted = map((x) => {
        if (i++ !== leaf) return x.ref;
        const v = values[leaf].slice();
        v[coord] = value;
        return np.array(v, { dtype: x.dtype }).reshape(x.shape);
      }, params);
      return (await lossF(shifted).data())[0];
    };
    const out: LeafGradCheck[] = [];
    for (let l = 0; l < paths.length; l++) {
      const size = values[l].length;
      const coords = size <= samplesPerLeaf
        ? globalThis.Array.from({ length: size }, (_, i) => i)
        : rng.shuffle(globalThis.Array.from({ length: size }, (_, i) => i)).slice(0, samplesPerLeaf);
      const a: number[] = [];
      const n: number[] = [];
      let maxRel = 0;
      let maxAbs = 0;
      for (const c of coords) {
        // Divide by the step actually taken (θ ± ε rounds), not by 2ε.
        const [up, down] = [values[l][c] + eps, values[l][c] - eps];
        const numeric = ((await evalAt(l, c, up)) - (await evalAt(l, c, down))) / (up - down);
        const an = analytic[l][c];
        a.push(an);
        n.push(numeric);
        const abs = Math.abs(an - numeric);
        maxAbs = Math.max(maxAbs, abs);
        maxRel = Math.max(maxRel, abs / Math.max(Math.abs(an) + Math.abs(numeric), tiny));
      }
      out.push({ path: paths[l], shape: leaves(params)[l].shape, coords, analytic: a, numeric: n, maxRelError: maxRel, maxAbsError: maxAbs });
    }
    const worst = out.reduce((w, x) => (x.maxRelError > w.maxRelError ? x : w), out[0]);
    return { maxRelError: worst?.maxRelError ?? 0, worst: worst?.path ?? "", loss: f0, tiny, leaves: out };
  } finally {
    gradF.dispose();
    lossF.dispose();
  }
}

/** Cast every leaf of a float tree to float64 (consumes the tree). Use to gradient-check a float32 init. */
export function toFloat64<T extends Tree>(t: T): T {
  return map((x) => (x.dtype === np.float64 ? x : x.astype(np.float64)), t);
}
