// The maths of latent flow reasoning (src/recipes/flow.ts): a velocity field v_θ(z, c, t) that
// moves a latent z for T steps, z_{t+1} = z_t + Δ·clip(v), and the target it is trained on, the
// unit direction of ∇_z log p(y* | x, z). Pure functions over arrays; nothing here calls jit.
//   - velocity net: h = gelu(z·W_z + c·W_c + e_t + b), v = h·W_o + b_o, with c a question summary
//     (the encoder's z₀), e_t a learned per-step embedding [T, H]. W_o starts at zero, so an
//     untrained field leaves z where the encoder put it.
//   - clip(v) = v / max(1, ‖v‖) per example: one step moves z by at most Δ, so a field trained by
//     "improve" (maximise log p after the step) cannot win by growing without bound.
import { grad, jnn, lax, np, valueAndGrad, type Array } from "../engine/jax.js";
import { splitKey } from "../engine/rng.js";
import { map, type Tree } from "../engine/tree.js";
import { gelu, initLinear, linear, oneHot, type InitOpts, type Linear, type LinearNoBias } from "../nn/index.js";
import { UNIT_NORM_EPS } from "./chain-state.js";

/** z: Linear dim→hidden; c: LinearNoBias dim→hidden; time: [T, hidden]; out: Linear hidden→dim (zero at init). */
export type Velocity = { z: Linear; c: LinearNoBias; time: Array; out: Linear };

/** Consumes `key`. */
export function initVelocity(key: Array, dim: number, steps: number, hidden: number, opts: InitOpts = {}): Velocity {
  const dtype = opts.dtype ?? np.float32;
  const [kz, kc] = splitKey(key);
  const z = initLinear(kz, dim, hidden, opts);
  // z and c both feed the hidden layer: halve each one's variance so h starts at unit scale
  z.w = z.w.mul(Math.SQRT1_2);
  const c = initLinear(kc, dim, hidden, { ...opts, bias: false });
  c.w = c.w.mul(Math.SQRT1_2);
  return {
    z,
    c,
    time: np.zeros([steps, hidden], { dtype }),
    out: { w: np.zeros([hidden, dim], { dtype }), b: np.zeros([dim], { dtype }) },
  };
}

/** Forward FLOPs of one velocity evaluation for one sequence (three matrix products). */
export const velocityFlops = (dim: number, hidden: number): number => 2 * 3 * dim * hidden;

/** v_θ(z, c, t): [B, dim]. Borrows `p`, consumes `z` and `c`. */
export function velocity(p: Velocity, z: Array, c: Array, t: number): Array {
  const h = linear(p.z, z).add(linear(p.c, c)).add(p.time.ref.slice(t));
  return linear(p.out, gelu(h));
}

/** Per-example Euclidean norm [B, 1] of x [B, D]. Consumes `x`. */
const rowNorm = (x: Array): Array => np.sqrt(np.square(x).sum(-1, { keepdims: true }));

/**
 * v / max(1, ‖v‖) per example: a step of at most unit length. Written as v / √max(1, ‖v‖²): the
 * gradient of ‖v‖ is 0/0 at v = 0 (where the zero-initialised field starts), which would make
 * every gradient through the step NaN. Consumes `v`.
 */
export function clipNorm(v: Array): Array {
  return v.ref.div(np.sqrt(np.maximum(np.square(v).sum(-1, { keepdims: true }), 1)));
}

/** g / ‖g‖ per example (an all-zero row stays zero). Consumes `g`. */
export function unitRows(g: Array): Array {
  return g.ref.div(rowNorm(g).add(UNIT_NORM_EPS));
}

/** One flow step z + Δ·clip(v). Consumes `z` and `v`. */
export function flowStep(z: Array, v: Array, stepSize: number): Array {
  return z.add(clipNorm(v).mul(stepSize));
}

/**
 * log p(y* | ·) per example [B]: the sum over scored positions of log softmax(logits)[target].
 * logits [B, L, V], targets [B, L] int32, mask [B, L]. Picks by one-hot (the gather's gradient
 * throws under jit in jax-js 0.1.25). Consumes all three.
 */
export function sequenceLogProb(logits: Array, targets: Array, mask: Array): Array {
  const V = logits.shape[logits.ndim - 1];
  const dtype = logits.dtype;
  return jnn.logSoftmax(logits, -1).mul(oneHot(targets, V, dtype)).sum(-1).mul(mask.astype(dtype)).sum(-1);
}

/**
 * The regression target of the velocity field at z [B, D]: the unit direction of ∇_z log p(y* | x, z)
 * per example, with log p itself and the gradient's norm. `logProb(z)` → [B] must treat everything
 * but z as constant (examples independent: row b of the gradient of Σ_b log p_b is ∇ of log p_b).
 * The result carries no gradient. Consumes `z`.
 */
export function ascentDirection(logProb: (z: Array) => Array, z: Array): { direction: Array; logProb: Array; gradNorm: Array } {
  const f = (zz: Array): [Array, Array] => {
    const lp = logProb(zz);
    return [lp.ref.sum(), lp];
  };
  const vg = valueAndGrad(f as never, { hasAux: true }) as unknown as (z: Array) => [[Array, Array], Array];
  const [[total, lp], g] = vg(lax.stopGradient(z));
  total.dispose();
  const norm = rowNorm(g.ref).reshape([-1]);
  return { direction: lax.stopGradient(unitRows(g)), logProb: lax.stopGradient(lp), gradNorm: lax.stopGradient(norm) };
}

/** ∇_z Σ_b log p_b(z) alone (tests compare it with finite differences). Consumes `z`. */
export function logProbGrad(logProb: (z: Array) => Array, z: Array): Array {
  return grad((zz: Array) => logProb(zz).sum())(z) as unknown as Array;
}

/** Cosine per example [B] between rows of a and b. Consumes both. */
export function rowCosine(a: Array, b: Array): Array {
  return unitRows(a).mul(unitRows(b)).sum(-1);
}

/** A copy of a tree with no gradient through it (the decoder seen by the velocity's loss). Borrows `t`. */
export function stopGradientTree<T extends Tree>(t: T): T {
  return map((x) => lax.stopGradient(x.ref), t);
}
