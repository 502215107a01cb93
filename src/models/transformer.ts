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
import { embed, initTransformer, initTransformerCache, layerNorm, type KvCache, type Transformer } from "../nn/index.js";
import { SPECIAL } from "../tasks/vocab.js";
import type { Reasoner, ReasonerConfig, ReasonerState } from "./reasoner.js";
import { chunkLatent, chunkPositions, lastRealSlot, runBlocks, slotMethods, slotStateMask } from "./slot-methods.js";

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
    const [, L] = inputs.shape;
    const offset = state.position;
    if (offset + L > maxLen) throw new Error(`transformer: positions up to ${offset + L} exceed maxLen ${maxLen}`);
    const { caches, valid } = state.carry as TransformerCarry;
    const lastReal = real ? lastRealSlot(real.ref) : null;
    const [ids, newValid] = chunkPositions(valid, real, offset, L);
    const [x, newCaches] = runBlocks(p.blocks, caches, inputs.add(embed(p.pos, ids)), offset, newValid, heads, blockOutputs);
    const hidden = layerNorm(p.lnFinal, x); // [B, L, dim]
    const latent = chunkLatent(hidden, lastReal, state.latent);
    const carry: TransformerCarry = { caches: newCaches, valid: newValid };
    return [hidden, { latent, carry, position: offset + L }];
  }

  function readHidden(p: TransformerParams, state: ReasonerState, tokens: Array): [Array, ReasonerState] {
    const real = np.notEqual(tokens.ref, SPECIAL.pad);
    return advance(p, state, embed(p.embed, tokens), real);
  }

  return {
    config,
    recurrentStateMask: (state) => slotStateMask(state, maxLen),
    positionFlops,
    init: (key, opts = {}) => initTransformer(key, nnConfig, opts),
    start(batch, opts = {}) {
      const carry: TransformerCarry = {
        caches: initTransformerCache(nnConfig, batch, opts),
        valid: np.zeros([batch, maxLen], { dtype: np.bool }),
      };
      return { latent: np.zeros([batch, dim], { dtype: opts.dtype ?? np.float32 }), carry, position: 0 };
    },
    ...slotMethods(dim, advance, readHidden),
  };
}
