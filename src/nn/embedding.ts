// Token (or position) embedding lookup.
//
// Implemented as a one-hot matmul, oneHot(ids, V) · table (one-hot.ts), not as a gather (`np.take`): in
// jax-js 0.1.25, `jit(grad(...))` through `take` throws "routine primitive scatter input is not
// imm" whenever the cotangent reaching the gather is a broadcast or matmul expression, e.g.
// `embed(ids).sum()` or `matmul(embed(ids), w)`, which a model can hit (an embedding fed straight
// into a linear layer). test/nn/embedding.test.ts pins that bug. The one-hot product costs
// 2·V·D flops per token, negligible at our vocabulary sizes, and its gradient is a plain matmul.
import { np, type Array } from "../engine/jax.js";
import { oneHot } from "./one-hot.js";
import { normalInit, type InitOpts } from "./init.js";

/** table: [vocab, dim]. */
export type Embedding = {
  table: Array;
};

/** table ~ N(0, std²), std = 0.02 by default (GPT-2). Consumes `key`. */
export function initEmbedding(
  key: Array,
  vocab: number,
  dim: number,
  opts: InitOpts & { std?: number } = {},
): Embedding {
  return { table: normalInit(key, [vocab, dim], opts.std ?? 0.02, opts.dtype) };
}

/** ids: int32 [...] → [..., dim]; ids outside [0, vocab) give zero rows. Borrows `p`, consumes `ids`. */
export function embed(p: Embedding, ids: Array): Array {
  const [vocab] = p.table.shape;
  return np.matmul(oneHot(ids, vocab, p.table.dtype), p.table.ref);
}
