// Position-wise feed-forward block: down(gelu(up(x))).
import { jnn, type Array } from "../engine/jax.js";
import { splitKey } from "../engine/rng.js";
import { initLinear, linear, type Linear } from "./linear.js";
import type { InitOpts } from "./init.js";

/** up: Linear dim→hidden (w [dim,hidden], b [hidden]); down: Linear hidden→dim (w [hidden,dim], b [dim]). */
export type Mlp = {
  up: Linear;
  down: Linear;
};

/** Consumes `key`. */
export function initMlp(key: Array, dim: number, hidden: number, opts: InitOpts = {}): Mlp {
  const [kUp, kDown] = splitKey(key);
  return { up: initLinear(kUp, dim, hidden, opts), down: initLinear(kDown, hidden, dim, opts) };
}

/**
 * x: [..., dim] → [..., dim]. GELU is the tanh approximation (GPT-2's, jax-js's default):
 * 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), not the exact erf form of torch.nn.GELU().
 * Borrows `p`, consumes `x`.
 */
export function mlp(p: Mlp, x: Array): Array {
  return linear(p.down, gelu(linear(p.up, x)));
}

/** Tanh-approximate GELU (see `mlp`). */
export function gelu(x: Array): Array {
  return jnn.gelu(x, { approximate: true });
}
