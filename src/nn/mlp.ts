// Position-wise feed-forward block: down(gelu(up(x))).
import { jnn, np, type Array } from "../engine/jax.js";
import { copies } from "../engine/own.js";
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

/**
 * Tanh-approximate GELU (see `mlp`), written as the identical x·σ(2z), z = √(2/π)(x + 0.044715x³):
 * 0.5(1 + tanh z) = σ(2z). Same function as `jnn.gelu(x, {approximate: true})`, but jax-js's
 * version is a nested jit that does not fuse with its neighbours; this form made the benchmark
 * transformer's forward pass markedly faster.
 */
export function gelu(x: Array): Array {
  const [a, b, c] = copies(x, 3);
  const twoZ = a.mul(np.square(b).mul(0.044715).add(1)).mul(2 * Math.sqrt(2 / Math.PI));
  return c.mul(jnn.sigmoid(twoZ));
}
