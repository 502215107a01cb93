// The Reasoner methods of a model that turns each position's input vector into a hidden state
// over cached slots (transformer, looped): they differ only in how a position advances, and they
// advance through the same steps (position ids and validity of a chunk, blocks over their KV
// caches, the latent of its last real slot), written once here.
import { np, type Array } from "../engine/jax.js";
import { leafPaths, type Tree } from "../engine/tree.js";
import type { Embedding } from "../nn/embedding.js";
import { linear, type Linear } from "../nn/linear.js";
import { transformerBlockChunk, type KvCache, type TransformerBlock } from "../nn/index.js";
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

/** real: bool [B, L] → [one-hot of each row's last real slot [B, L], whether the row has one [B]]. Consumes `real`. */
export function lastRealSlot(real: Array): [Array, Array] {
  const [, L] = real.shape;
  const slots = np.arange(L);
  const last = np.max(np.where(real.ref, slots.ref, -1), -1, { keepdims: true }); // [B, 1], −1: none
  const anyReal = np.greaterEqual(last.ref.reshape([-1]), 0);
  real.dispose();
  return [np.equal(slots, last), anyReal];
}

/**
 * A chunk of L slots at `offset`: the position ids [B, L] (id = real slots before it in its own
 * sequence) and the attendable slots after it, bool [B, maxLen]. `real` (bool [B, L], or null when
 * all are real) marks non-pad slots. Consumes `valid` (the attendable slots before) and `real`.
 */
export function chunkPositions(valid: Array, real: Array | null, offset: number, L: number): [Array, Array] {
  const maxLen = valid.shape[1];
  const before = valid.ref.astype(np.int32).sum(-1, { keepdims: true }); // [B, 1]
  const slots = np.arange(maxLen);
  const here = np.logicalAnd(np.greaterEqual(slots.ref, offset), np.less(slots, offset + L)).reshape([1, maxLen]);
  if (real) {
    const ids = before.add(np.cumsum(real.ref.astype(np.int32), 1)).sub(1);
    return [ids, np.where(here, np.pad(real, [[0, 0], [offset, maxLen - offset - L]]), valid)];
  }
  // all real (latent steps): fewer kernels on the per-thought path
  return [before.add(np.arange(L).reshape([1, L])), np.logicalOr(valid, here)];
}

/** Run `blocks` on x [B, L, dim] over their caches (borrows `valid`); pushes each block's output when `outputs`. */
export function runBlocks(blocks: TransformerBlock[], caches: KvCache[], x: Array, offset: number, valid: Array, heads: number, outputs?: Array[]): [Array, KvCache[]] {
  const next = blocks.map((block, l) => {
    const [y, cache] = transformerBlockChunk(block, x, caches[l], offset, valid.ref, heads);
    x = y;
    outputs?.push(y.ref);
    return cache;
  });
  return [x, next];
}

/**
 * The latent after a chunk: the hidden state [B, dim] of each row's last real slot (`lastReal`, or
 * null when all are real), and `latent` kept where a row has none (a chunk of pads keeps the
 * previous latent, as recurrent reasoners keep their state through pads). Borrows `hidden`
 * [B, L, dim]; consumes `lastReal` and `latent`.
 */
export function chunkLatent(hidden: Array, lastReal: [Array, Array] | null, latent: Array): Array {
  const [B, L, dim] = hidden.shape;
  if (lastReal) {
    const [pick, anyReal] = lastReal;
    const chosen = np.matmul(pick.astype(hidden.dtype).reshape([B, 1, L]), hidden.ref).reshape([B, dim]);
    return np.where(anyReal.reshape([B, 1]), chosen, latent);
  }
  const last = hidden.ref.slice([], L - 1);
  latent.dispose();
  return last;
}

/**
 * Reasoner.recurrentStateMask of a slot model: the latent, and in every KV cache of the carry the
 * slot the step wrote (position − 1), not the validity mask; all that the step's position passes forward.
 */
export function slotStateMask(state: ReasonerState, maxLen: number): (boolean | Array)[] {
  const written = np.equal(np.arange(maxLen), state.position - 1).reshape([1, maxLen, 1]);
  const mask = leafPaths({ latent: state.latent, carry: state.carry } as unknown as Tree).map((path) =>
    path === "latent" ? true : path === "carry.valid" ? false : written.ref,
  );
  written.dispose();
  return mask;
}
