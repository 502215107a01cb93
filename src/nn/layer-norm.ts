// Layer normalisation over the last axis, as torch.nn.LayerNorm (biased variance, eps inside sqrt).
import { np, type Array } from "../engine/jax.js";
import type { InitOpts } from "./init.js";

/** gain: [dim] (ones), bias: [dim] (zeros). */
export type LayerNorm = {
  gain: Array;
  bias: Array;
};

export function initLayerNorm(dim: number, opts: InitOpts = {}): LayerNorm {
  const dtype = opts.dtype ?? np.float32;
  return { gain: np.ones([dim], { dtype }), bias: np.zeros([dim], { dtype }) };
}

/**
 * x: [..., dim] → (x − mean) / sqrt(var + eps) · gain + bias, statistics over the last axis.
 * Two-pass (variance of the centred values), which is more accurate than E[x²] − E[x]².
 * Borrows `p`, consumes `x`.
 */
export function layerNorm(p: LayerNorm, x: Array, eps = 1e-5): Array {
  const centred = x.ref.sub(x.mean(-1, { keepdims: true }));
  const variance = np.square(centred.ref).mean(-1, { keepdims: true });
  return centred.div(np.sqrt(variance.add(eps))).mul(p.gain.ref).add(p.bias.ref);
}
