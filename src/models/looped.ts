// The looped (recurrent-depth) reasoner (Geiping et al. 2025, arXiv 2502.05171, "Huginn"): at every
// slot, a prelude of transformer blocks embeds the input, e = P(x); a core of blocks is applied r
// times to a state s that starts at 0, with e injected at every iteration through an adapter,
//   s_i = LN(core(adapter([s_{i−1}; e])); coreNorm),
// and a coda turns s_r into the final hidden state, z = LN(coda(s_r); lnFinal), read by the head.
// Depth recurrence is the latent computation: `direct` on this model is the recurrent-depth recipe.
// Slots are run as in transformer.ts (same positions, pads, KV cache, Coconut latent = z of the
// last real slot), with one KV cache per prelude block, per (iteration, core block) and per coda
// block, so each iteration attends to the same iteration at earlier slots (as Huginn's cache).
// r and the backpropagation depth k are fixed per reasoner (JS numbers, so a jit traces one r):
// `atDepth(r, k)` gives the same model at another depth; iterations 1 … r−k run under
// stop-gradient (state and the caches they write), as Huginn's truncated backpropagation.
// MODEL.md states the equations.
import { lax, np, type Array } from "../engine/jax.js";
import { splitKey } from "../engine/rng.js";
import { map, type Tree } from "../engine/tree.js";
import {
  embed,
  initEmbedding,
  initKvCache,
  initLayerNorm,
  initLinear,
  initTransformerBlock,
  layerNorm,
  linear,
  type Embedding,
  type InitOpts,
  type KvCache,
  type LayerNorm,
  type Linear,
  type TransformerBlock,
} from "../nn/index.js";
import { SPECIAL } from "../tasks/vocab.js";
import type { LoopedShape, Reasoner, ReasonerConfig, ReasonerState } from "./reasoner.js";
import { chunkLatent, chunkPositions, lastRealSlot, runBlocks, slotMethods, slotStateMask } from "./slot-methods.js";

export type LoopedParams = {
  embed: Embedding;
  pos: Embedding;
  prelude: TransformerBlock[];
  /** Linear 2·dim → dim over [state; e]. */
  adapter: Linear;
  core: TransformerBlock[];
  coreNorm: LayerNorm;
  coda: TransformerBlock[];
  lnFinal: LayerNorm;
  head: Linear;
};

/** KV caches (k, v: [B, maxLen, dim]): per prelude block, per iteration per core block, per coda block; valid: bool [B, maxLen]. */
export type LoopedCarry = { prelude: KvCache[]; core: KvCache[][]; coda: KvCache[]; valid: Array };

export interface LoopedReasoner extends Reasoner<LoopedParams> {
  readonly looped: LoopedShape;
  /** The same model (same parameters) at r iterations, backpropagating through the last k (null: all). */
  atDepth(recurrence: number, backpropDepth?: number | null): LoopedReasoner;
}

export function isLooped(r: Reasoner<any>): r is LoopedReasoner {
  return r.config.model === "looped";
}

const MLP_RATIO = 4;

export const DEFAULT_LOOPED: LoopedShape = { prelude: 1, coda: 1, recurrence: 4, backpropDepth: null };

/** Throws a message naming the field when the looped shape is not usable. */
export function checkLoopedShape(s: LoopedShape): void {
  for (const key of ["prelude", "coda"] as const) {
    if (!(Number.isInteger(s[key]) && s[key] >= 0)) throw new Error(`looped ${key} must be a non-negative integer, got ${s[key]}`);
  }
  if (!(Number.isInteger(s.recurrence) && s.recurrence >= 1)) throw new Error(`looped recurrence must be a positive integer, got ${s.recurrence}`);
  if (s.backpropDepth !== null && !(Number.isInteger(s.backpropDepth) && s.backpropDepth >= 1)) {
    throw new Error(`looped backpropDepth must be a positive integer or null, got ${s.backpropDepth}`);
  }
}

export function loopedReasoner(config: ReasonerConfig): LoopedReasoner {
  const shape = { ...DEFAULT_LOOPED, ...config.looped };
  checkLoopedShape(shape);
  const { vocab, dim, layers, heads, maxLen } = config;
  if (dim % heads !== 0) throw new Error(`looped: dim ${dim} must be divisible by heads ${heads}`);
  const r = shape.recurrence;
  const frozen = shape.backpropDepth === null ? 0 : Math.max(0, r - shape.backpropDepth); // iterations without gradient

  // Forward FLOPs per position, as transformer.ts: per block 8D² + 4·ratio·D² + 4·maxLen·D; the
  // adapter 2·2D·D per iteration; one-hot positions 2·maxLen·D.
  const perBlock = 8 * dim * dim + 4 * MLP_RATIO * dim * dim + 4 * maxLen * dim;
  const think = (shape.prelude + r * layers + shape.coda) * perBlock + r * 4 * dim * dim + 2 * maxLen * dim;
  const read = think + 2 * vocab * dim;
  const positionFlops = { read, think, decode: read + 2 * dim * vocab };

  /** As transformer.ts `advance`: L slots whose input embeddings are `inputs` [B, L, dim]. Consumes state, inputs, real. */
  function advance(p: LoopedParams, state: ReasonerState, inputs: Array, real: Array | null, outputs?: Array[]): [Array, ReasonerState] {
    const [B, L] = inputs.shape;
    const offset = state.position;
    if (offset + L > maxLen) throw new Error(`looped: positions up to ${offset + L} exceed maxLen ${maxLen}`);
    const carry = state.carry as LoopedCarry;
    if (carry.core.length !== r) throw new Error(`looped: a state started at ${carry.core.length} iterations run at ${r}`);
    const lastReal = real ? lastRealSlot(real.ref) : null;
    const [ids, valid] = chunkPositions(carry.valid, real, offset, L);
    const [e, prelude] = runBlocks(p.prelude, carry.prelude, inputs.add(embed(p.pos, ids)), offset, valid, heads, outputs);
    const s0 = np.zeros([B, L, dim], { dtype: e.dtype });
    const [s, core] = loopCore(p, e, s0, carry.core, { offset, valid: valid.ref, heads, frozen }, outputs);
    const [x, coda] = runBlocks(p.coda, carry.coda, s, offset, valid, heads, outputs);
    const hidden = layerNorm(p.lnFinal, x);
    const latent = chunkLatent(hidden, lastReal, state.latent);
    const next: LoopedCarry = { prelude, core, coda, valid };
    return [hidden, { latent, carry: next, position: offset + L }];
  }

  function readHidden(p: LoopedParams, state: ReasonerState, tokens: Array): [Array, ReasonerState] {
    const real = np.notEqual(tokens.ref, SPECIAL.pad);
    return advance(p, state, embed(p.embed, tokens), real);
  }

  const initBlocks = (key: Array, n: number, opts: InitOpts): TransformerBlock[] =>
    (n === 0 ? (key.dispose(), []) : n === 1 ? [key] : splitKey(key, n)).map((k) =>
      initTransformerBlock(k, dim, heads, MLP_RATIO * dim, opts),
    );

  return {
    config,
    looped: shape,
    atDepth: (recurrence, backpropDepth = shape.backpropDepth) => loopedReasoner({ ...config, looped: { ...shape, recurrence, backpropDepth } }),
    recurrentStateMask: (state) => slotStateMask(state, maxLen),
    positionFlops,
    init(key, opts = {}) {
      const [kEmbed, kPos, kPrelude, kAdapter, kCore, kCoda, kHead] = splitKey(key, 7);
      return {
        embed: initEmbedding(kEmbed, vocab, dim, opts),
        pos: initEmbedding(kPos, maxLen, dim, opts),
        prelude: initBlocks(kPrelude, shape.prelude, opts),
        adapter: initLinear(kAdapter, 2 * dim, dim, opts),
        core: initBlocks(kCore, layers, opts),
        coreNorm: initLayerNorm(dim, opts),
        coda: initBlocks(kCoda, shape.coda, opts),
        lnFinal: initLayerNorm(dim, opts),
        head: initLinear(kHead, dim, vocab, opts),
      };
    },
    start(batch, opts = {}) {
      const caches = (n: number) => globalThis.Array.from({ length: n }, () => initKvCache(batch, maxLen, dim, opts));
      const carry: LoopedCarry = {
        prelude: caches(shape.prelude),
        core: globalThis.Array.from({ length: r }, () => caches(layers)),
        coda: caches(shape.coda),
        valid: np.zeros([batch, maxLen], { dtype: np.bool }),
      };
      return { latent: np.zeros([batch, dim], { dtype: opts.dtype ?? np.float32 }), carry, position: 0 };
    },
    ...slotMethods(dim, advance, readHidden),
  };
}

/** Where a chunk sits: its first slot, the attendable keys bool [B, maxLen], heads, and how many leading iterations run without gradient. */
export interface LoopChunk {
  offset: number;
  valid: Array;
  heads: number;
  frozen: number;
}

/**
 * The depth recurrence on one chunk: s_i = LN(core(adapter([s_{i−1}; e])); coreNorm) for
 * i = 1 … caches.length (one KV cache list per iteration), from s₀ = `s0`; e, s: [B, L, dim].
 * Iterations 1 … frozen are constants to backpropagation (their state and the caches they
 * write pass through stop-gradient), Huginn's truncation. Returns [s_r, the caches written].
 * Borrows `p`; consumes e, s0, caches and at.valid.
 */
export function loopCore(p: LoopedParams, e: Array, s0: Array, caches: KvCache[][], at: LoopChunk, outputs?: Array[]): [Array, KvCache[][]] {
  let s = s0;
  const written = caches.map((own, i) => {
    const [u, next] = runBlocks(p.core, own, linear(p.adapter, np.concatenate([s, e.ref], -1)), at.offset, at.valid, at.heads, outputs);
    s = layerNorm(p.coreNorm, u);
    if (i >= at.frozen) return next;
    s = lax.stopGradient(s);
    return map((c) => lax.stopGradient(c), next as unknown as Tree) as unknown as KvCache[];
  });
  e.dispose();
  at.valid.dispose();
  return [s, written];
}
