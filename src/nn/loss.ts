// Token-level cross-entropy.
import { np, jnn, type Array } from "../engine/jax.js";
import { oneHot } from "./one-hot.js";

/**
 * Mean cross-entropy of logits: [..., V] against int32 targets: [...].
 * With `mask` ([...], bool or 0/1 or any non-negative weights): Σ mask·ce / max(Σ mask, 1e-9),
 * so a fully masked batch gives 0, not NaN. A target outside [0, V) contributes 0 (but still
 * counts in the unmasked mean): mask padding rather than rely on that.
 * Picks log p(target) as logSoftmax · oneHot, not takeAlongAxis: the gather's gradient throws
 * under jit in jax-js 0.1.25. Consumes all its arguments.
 */
export function crossEntropy(logits: Array, targets: Array, mask?: Array): Array {
  const V = logits.shape[logits.ndim - 1];
  const dtype = logits.dtype;
  const ce = jnn.logSoftmax(logits, -1).mul(oneHot(targets, V, dtype)).sum(-1).neg();
  if (!mask) return ce.mean();
  const m = mask.astype(dtype);
  return ce.mul(m.ref).sum().div(np.maximum(m.sum(), 1e-9));
}
