// Pre-norm causal transformer language model (GPT-2 layout, learned absolute positions):
//   x_0     = embed.table[tokens] + pos.table[0..T)
//   x_{l+1} = block_l(x_l),  block(x) = y + mlp(ln2(y))  where  y = x + attn(ln1(x))
//   logits  = head(lnFinal(x_L))
// attn is causal multi-head self-attention (attention.ts), mlp is dim → mlpRatio·dim → dim with
// tanh-GELU (mlp.ts), layer norms have eps 1e-5 (layer-norm.ts).
import type { Array } from "../engine/jax.js";
import { splitKey } from "../engine/rng.js";
import {
  attendChunk,
  attendStep,
  causalSelfAttention,
  initAttention,
  initKvCache,
  type Attention,
  type KvCache,
} from "./attention.js";
import { embed, initEmbedding, type Embedding } from "./embedding.js";
import { initLayerNorm, layerNorm, type LayerNorm } from "./layer-norm.js";
import { initLinear, linear, type Linear } from "./linear.js";
import { initMlp, mlp, type Mlp } from "./mlp.js";
import type { InitOpts } from "./init.js";

export type TransformerConfig = {
  vocab: number;
  dim: number;
  layers: number;
  heads: number;
  /** Longest sequence (rows of the position table). */
  maxLen: number;
  /** MLP hidden width = mlpRatio · dim (default 4). */
  mlpRatio?: number;
};

/** ln1, ln2: LayerNorm(dim); attn: Attention(dim, heads); mlp: Mlp(dim, mlpRatio·dim). */
export type TransformerBlock = {
  ln1: LayerNorm;
  attn: Attention;
  ln2: LayerNorm;
  mlp: Mlp;
};

/**
 * embed.table: [vocab, dim]; pos.table: [maxLen, dim]; blocks: `layers` TransformerBlocks;
 * lnFinal: LayerNorm(dim); head: Linear dim→vocab with bias (w [dim, vocab], b [vocab]).
 */
export type Transformer = {
  embed: Embedding;
  pos: Embedding;
  blocks: TransformerBlock[];
  lnFinal: LayerNorm;
  head: Linear;
};

/** Embeddings ~ N(0, 0.02²); linears LeCun-normal with zero bias; norms gain 1, bias 0. Consumes `key`. */
export function initTransformer(key: Array, cfg: TransformerConfig, opts: InitOpts = {}): Transformer {
  const { vocab, dim, layers, heads, maxLen } = cfg;
  const hidden = (cfg.mlpRatio ?? 4) * dim;
  const [kEmbed, kPos, kHead, ...kBlocks] = splitKey(key, 3 + layers);
  return {
    embed: initEmbedding(kEmbed, vocab, dim, opts),
    pos: initEmbedding(kPos, maxLen, dim, opts),
    blocks: kBlocks.map((k) => initTransformerBlock(k, dim, heads, hidden, opts)),
    lnFinal: initLayerNorm(dim, opts),
    head: initLinear(kHead, dim, vocab, opts),
  };
}

/** One block with an MLP of width `hidden`. Consumes `key`. */
export function initTransformerBlock(key: Array, dim: number, heads: number, hidden: number, opts: InitOpts = {}): TransformerBlock {
  const [kAttn, kMlp] = splitKey(key);
  return {
    ln1: initLayerNorm(dim, opts),
    attn: initAttention(kAttn, dim, heads, opts),
    ln2: initLayerNorm(dim, opts),
    mlp: initMlp(kMlp, dim, hidden, opts),
  };
}

/** x: [B, T, dim] → [B, T, dim]. Borrows `p`, consumes `x`. */
export function transformerBlock(p: TransformerBlock, x: Array, heads: number): Array {
  const y = x.ref.add(causalSelfAttention(p.attn, layerNorm(p.ln1, x), heads));
  return y.ref.add(mlp(p.mlp, layerNorm(p.ln2, y)));
}

/** tokens: int32 [B, T] (T ≤ maxLen) → logits [B, T, vocab]. Borrows `p`, consumes `tokens`. */
export function transformerLogits(p: Transformer, tokens: Array, cfg: TransformerConfig): Array {
  const T = tokens.shape[1];
  if (T > cfg.maxLen) throw new Error(`transformerLogits: T=${T} exceeds maxLen=${cfg.maxLen}`);
  let x = embed(p.embed, tokens).add(p.pos.table.ref.slice([0, T]));
  for (const block of p.blocks) x = transformerBlock(block, x, cfg.heads);
  return linear(p.head, layerNorm(p.lnFinal, x));
}

/** One KV cache per layer, zeros: k, v: [batch, maxLen, dim]. */
export function initTransformerCache(cfg: TransformerConfig, batch: number, opts: InitOpts = {}): KvCache[] {
  return globalThis.Array.from({ length: cfg.layers }, () => initKvCache(batch, cfg.maxLen, cfg.dim, opts));
}

/**
 * `transformerBlock` on L consecutive positions offset … offset+L−1 continuing a KV cache
 * (attention.ts `attendChunk`; keyMask: bool [B, maxLen], the attendable keys after this write).
 * x: [B, L, dim]. Returns [x': [B, L, dim], updated cache].
 * Borrows `p`; consumes `x`, `cache` and `keyMask`.
 */
export function transformerBlockChunk(
  p: TransformerBlock,
  x: Array,
  cache: KvCache,
  offset: number,
  keyMask: Array,
  heads: number,
): [Array, KvCache] {
  return cachedBlock(p, x, (h) => attendChunk(p.attn, h, cache, offset, keyMask, heads));
}

/** A block whose attention continues a KV cache: `attend` maps ln1(x) to [attention output, updated cache]. Consumes `x`. */
function cachedBlock(p: TransformerBlock, x: Array, attend: (h: Array) => [Array, KvCache]): [Array, KvCache] {
  const [a, newCache] = attend(layerNorm(p.ln1, x.ref));
  const y = x.add(a);
  return [y.ref.add(mlp(p.mlp, layerNorm(p.ln2, y))), newCache];
}

/**
 * Next-token logits for one position with the KV caches: token: int32 [B] at position `pos`
 * (int32 scalar Array, pos < maxLen). Equals row `pos` of `transformerLogits` on the whole
 * sequence. Returns [logits: [B, vocab], updated caches].
 * Borrows `p`; consumes `token`, `caches` and `pos`.
 */
export function transformerStepLogits(
  p: Transformer,
  token: Array,
  caches: KvCache[],
  pos: Array,
  cfg: TransformerConfig,
): [Array, KvCache[]] {
  let x = embed(p.embed, token).add(embed(p.pos, pos.ref.reshape([1])));
  const newCaches = p.blocks.map((block, l) => {
    const [y, c] = cachedBlock(block, x, (h) => attendStep(block.attn, h, caches[l], pos.ref, cfg.heads));
    x = y;
    return c;
  });
  pos.dispose();
  return [linear(p.head, layerNorm(p.lnFinal, x)), newCaches];
}
