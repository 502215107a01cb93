// Gradient clipping by global norm (optax.clip_by_global_norm): when ‖g‖ > maxNorm every leaf
// is scaled by maxNorm/‖g‖; smaller gradients pass through unchanged (factor exactly 1).
import { np } from "../engine/jax.js";
import { globalNorm, map, ref } from "../engine/tree.js";
import type { GradientTransformation } from "./transform.js";

/** Stateless: the state is an empty record. */
export type ClipState = Record<string, never>;

export function clipByGlobalNorm(maxNorm: number): GradientTransformation<ClipState> {
  if (!(maxNorm > 0)) throw new Error(`clipByGlobalNorm: maxNorm must be > 0, got ${maxNorm}`);
  return {
    init: () => ({}),
    update(grads, state) {
      // maxNorm / max(‖g‖, maxNorm): 1 below the threshold, and never a division by zero.
      const factor = np.divide(maxNorm, np.maximum(globalNorm(ref(grads)), maxNorm));
      const clipped = map((g) => g.mul(factor.ref), grads);
      factor.dispose();
      return [clipped, state];
    },
  };
}
