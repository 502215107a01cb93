// One-hot encoding by comparison with arange, not jax-js's nn.oneHot (a gather from eye(n)):
// no gather anywhere, and ids outside [0, n) (a padding id of −1, say) give all-zero rows,
// where nn.oneHot returns garbage rows for them (−1 → all ones in jax-js 0.1.25).
import { np, type Array, type DType } from "../engine/jax.js";

/** ids: int32 [...] → [..., n] of `dtype` (float32 by default). Consumes `ids`. */
export function oneHot(ids: Array, n: number, dtype: DType = np.float32): Array {
  return np.equal(np.expandDims(ids, -1), np.arange(n)).astype(dtype);
}
