// The Reasoner methods of a model that turns each position's input vector into a hidden state
// over cached slots (transformer, looped): they differ only in how a position advances.
import { np, type Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Embedding } from "../nn/embedding.js";
import { linear, type Linear } from "../nn/linear.js";
import type { Reasoner, ReasonerState } from "./reasoner.js";

/** inputs [B, n, dim] (real: which rows are real, or null) → [hidden [B, n, dim], next state]; pushes each block's output to `outputs`. */
type Advance<P> = (p: P, state: ReasonerState, inputs: Array, real: Array | null, outputs?: Array[]) => [Array, ReasonerState];
/** tokens [B, n] → [hidden [B, n, dim], next state]. */
type ReadHidden<P> = (p: P, state: ReasonerState, tokens: Array) => [Array, ReasonerState];

export function slotMethods<P extends Tree & { head: Linear; embed: Embedding }>(
  dim: number,
  advance: Advance<P>,
  readHidden: ReadHidden<P>,
): Pick<Reasoner<P>, "read" | "think" | "decode" | "embedDistribution" | "head" | "thinkLayers"> {
  return {
    read(p, state, tokens) {
      const [hidden, next] = readHidden(p, state, tokens);
      hidden.dispose();
      return next;
    },
    think(p, state, given) {
      const [B] = state.latent.shape;
      const [hidden, next] = advance(p, state, (given ?? state.latent.ref).reshape([B, 1, dim]), null);
      hidden.dispose();
      return next;
    },
    decode(p, state, tokens) {
      const [hidden, next] = readHidden(p, state, tokens);
      return [linear(p.head, hidden), next];
    },
    embedDistribution: (p, probs) => np.matmul(probs, p.embed.table.ref),
    head: (p, hidden) => linear(p.head, hidden),
    thinkLayers(p, state) {
      // every block's output in the order run (looped: prelude, each iteration's core blocks, coda)
      const [B] = state.latent.shape;
      const outputs: Array[] = [];
      const [hidden, next] = advance(p, state, state.latent.ref.reshape([B, 1, dim]), null, outputs);
      hidden.dispose();
      return [np.stack(outputs.map((y) => y.reshape([B, dim])), 0), next];
    },
  };
}
