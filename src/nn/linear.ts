// Affine map y = x·w + b: the building block of every other layer.
import { np, type Array } from "../engine/jax.js";
import { normalInit, type InitOpts } from "./init.js";

/** w: [dIn, dOut] (applied as x·w, so rows index inputs); b: [dOut]. */
export type Linear = { w: Array; b: Array };

/** A Linear made with `bias: false`: w: [dIn, dOut] only. */
export type LinearNoBias = { w: Array };

/**
 * LeCun-normal init: w ~ N(0, 1/dIn), which keeps unit-variance inputs at unit variance; b = 0.
 * Consumes `key`.
 */
export function initLinear(key: Array, dIn: number, dOut: number, opts?: InitOpts & { bias?: true }): Linear;
export function initLinear(key: Array, dIn: number, dOut: number, opts: InitOpts & { bias: false }): LinearNoBias;
export function initLinear(
  key: Array,
  dIn: number,
  dOut: number,
  opts: InitOpts & { bias?: boolean } = {},
): Linear | LinearNoBias {
  const { bias = true, dtype = np.float32 } = opts;
  const w = normalInit(key, [dIn, dOut], 1 / Math.sqrt(dIn), dtype);
  return bias ? { w, b: np.zeros([dOut], { dtype }) } : { w };
}

/** x: [..., dIn] → [..., dOut]. Borrows `p`, consumes `x`. */
export function linear(p: Linear | LinearNoBias, x: Array): Array {
  const y = np.matmul(x, p.w.ref);
  return "b" in p ? y.add(p.b.ref) : y;
}
