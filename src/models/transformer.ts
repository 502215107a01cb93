// The continuous-thought transformer reasoner (Coconut, arXiv 2412.06769): the pre-norm causal
// transformer of nn/transformer.ts (GPT-2 layout, learned positions, tanh-GELU MLP 4×, layer
// norm eps 1e-5), run incrementally over a fixed-shape KV cache of `maxLen` slots so that read,
// K latent steps and decode trace into one jit.
//   - read: a chunk of L tokens is embedded and attended in one pass at slots [position, position+L).
//   - think: the input embedding of the next slot is `state.latent`, the final-norm hidden state of
//     the last real slot (Coconut's hidden_states[-1] of the previous position), plus that
//     slot's learned position embedding, as GPT-2/Coconut add wpe to inputs_embeds.
//   - decode: read, and the output head on each slot's final-norm hidden state.
// Padding: a `<pad>` slot is never attended to (validity mask in the carry), position ids count
// real slots only (id = real slots before it in its sequence, as Coconut's collator pads
// position_ids), and a pad leaves the latent alone, so a padded sequence gives the same logits
// at its real slots. MODEL.md states the equations.
import { np, type Array } from "../engine/jax.js";
import { dispose } from "../engine/tree.js";
import {
  embed,
  initTransformer,
  layerNorm,
  transformerBlockChunk,
  type InitOpts,
  type KvCache,
  type Transformer,
} from "../nn/index.js";
import { SPECIAL } from "../tasks/vocab.js";
import type { Reasoner, ReasonerConfig, ReasonerState } from "./reasoner.js";
import { slotMethods } from "./slot-methods.js";

export type TransformerParams = Transformer;

/** The transformer's carry: per-layer caches k, v: [B, maxLen, dim]; valid: bool [B, maxLen]. */
export type TransformerCarry = { caches: KvCache[]; valid: Array };

const MLP_RATIO = 4;

export function transformerReasoner(config: ReasonerConfig): Reasoner<TransformerParams> {
  const { vocab, dim, layers, heads, maxLen } = config;
  const nnConfig = { vocab, dim, layers, heads, maxLen, mlpRatio: MLP_RATIO };
  if (dim % heads !== 0) throw new Error(`transformer: dim ${dim} must be divisible by heads ${heads}`);

  // Forward FLOPs per position: q,k,v,o 8D², MLP 4·ratio·D², scores and weighted sum against all
  // maxLen cache slots 4·maxLen·D (the masked slots are computed too), one-hot position 2·maxLen·D.
  const perLayer = 8 * dim * dim + 4 * MLP_RATIO * dim * dim + 4 * maxLen * dim;
  const think = layers * perLayer + 2 * maxLen * dim;
  const read = think + 2 * vocab * dim;
  const positionFlops = { read, think, decode: read + 2 * dim * vocab };

  /**
   * Run L positions whose input embeddings (without positions) are `inputs` [B, L, dim]; `real`
   * (bool [B, L], or null when all are real) marks non-pad positions. Returns the final-norm
   * hidden states [B, L, dim] and the next state. Consumes `state`, `inputs`, `real`. When
   * `blockOutputs` is given, each block's output [B, L, dim] is pushed onto it (for probes).
   */
  function advance(p: TransformerParams, state: ReasonerState, inputs: Array, real: Array | null, blockOutputs?: Array[]): [Array, ReasonerState] {
    const [B, L] = inputs.shape;
    const offset = state.position;
    if (offset + L > maxLen) throw new Error(`transformer: positions up to ${offset + L} exceed maxLen ${maxLen}`);
    const { caches, valid } = state.carry as TransformerCarry;
    // The latent is the hidden state of the chunk's last real slot; a chunk of pads keeps the
    // previous one, as recurrent reasoners keep their state through pads.
    const lastReal = real ? lastRealSlot(real.ref) : null;
    // Position id = number of real positions before this one in its own sequence.
    const before = valid.ref.astype(np.int32).sum(-1, { keepdims: true }); // [B, 1]
    const slots = np.arange(maxLen);
    const here = np.logicalAnd(np.greaterEqual(slots.ref, offset), np.less(slots, offset + L)).reshape([1, maxLen]);
    let ids: Array;
    let newValid: Array;
    if (real) {
      ids = before.add(np.cumsum(real.ref.astype(np.int32), 1)).sub(1); // [B, L]
      newValid = np.where(here, np.pad(real, [[0, 0], [offset, maxLen - offset - L]]), valid);
    } else {
      // all real (latent steps): fewer kernels on the per-thought path
      ids = before.add(np.arange(L).reshape([1, L]));
      newValid = np.logicalOr(valid, here);
    }
    let x = inputs.add(embed(p.pos, ids));
    const newCaches = p.blocks.map((block, l) => {
      const [y, cache] = transformerBlockChunk(block, x, caches[l], offset, newValid.ref, heads);
      x = y;
      blockOutputs?.push(y.ref);
      return cache;
    });
    const hidden = layerNorm(p.lnFinal, x); // [B, L, dim]
    let latent: Array;
    if (lastReal) {
      const [pick, anyReal] = lastReal;
      const chosen = np.matmul(pick.astype(hidden.dtype).reshape([B, 1, L]), hidden.ref).reshape([B, dim]);
      latent = np.where(anyReal.reshape([B, 1]), chosen, state.latent);
    } else {
      latent = hidden.ref.slice([], L - 1);
      state.latent.dispose();
    }
    const carry: TransformerCarry = { caches: newCaches, valid: newValid };
    return [hidden, { latent, carry, position: offset + L }];
  }

  function readHidden(p: TransformerParams, state: ReasonerState, tokens: Array): [Array, ReasonerState] {
    const real = np.notEqual(tokens.ref, SPECIAL.pad);
    return advance(p, state, embed(p.embed, tokens), real);
  }

  return {
    config,
    recurrentStateMask(state) {
      // {latent, carry: {caches: [{k, v} per layer], valid}} in flatten order
      const written = np.equal(np.arange(maxLen), state.position - 1).reshape([1, maxLen, 1]);
      const slots = globalThis.Array.from({ length: 2 * layers }, () => written.ref);
      written.dispose();
      return [true, ...slots, false];
    },
    positionFlops,
    init: (key, opts = {}) => initTransformer(key, nnConfig, opts),
    start(batch, opts = {}) {
      const dtype = opts.dtype ?? np.float32;
      const zeros = () => np.zeros([batch, maxLen, dim], { dtype });
      const carry: TransformerCarry = {
        caches: globalThis.Array.from({ length: layers }, () => ({ k: zeros(), v: zeros() })),
        valid: np.zeros([batch, maxLen], { dtype: np.bool }),
      };
      return { latent: np.zeros([batch, dim], { dtype }), carry, position: 0 };
    },
    ...slotMethods(dim, advance, readHidden),
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
