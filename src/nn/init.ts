// Random parameter initialisers shared by the layers. jax-js samples only float32
// (`random.normal(key, shape, {dtype: float64})` throws in 0.1.25), so sample in float32 and cast.
import { np, random, type Array, type DType } from "../engine/jax.js";

/** Options every `initX` accepts. `dtype` defaults to float32 (float64 is for gradient checks). */
export type InitOpts = {
  dtype?: DType;
};

/** N(0, std²) of `shape`. Consumes `key`. */
export function normalInit(key: Array, shape: number[], std: number, dtype: DType = np.float32): Array {
  return castTo(random.normal(key, shape).mul(std), dtype);
}

/** U(−bound, bound) of `shape`. Consumes `key`. */
export function uniformInit(key: Array, shape: number[], bound: number, dtype: DType = np.float32): Array {
  return castTo(random.uniform(key, shape, { minval: -bound, maxval: bound }), dtype);
}

/** Cast `x` (consumed) to `dtype`; returns `x` itself when it already has that dtype. */
export function castTo(x: Array, dtype: DType): Array {
  return x.dtype === dtype ? x : x.astype(dtype);
}
