// The Reasoner contract: what every model offers the recipes (DESIGN.md, "Contracts").
// Shapes are fixed per config so that a whole training step (read, K thoughts, answer) is one jit.
import type { Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { InitOpts } from "../nn/init.js";

export type ModelKind = "transformer" | "gru" | "lstm" | "looped";

/** The looped (recurrent-depth) model's own shape (models/looped.ts); its core has `layers` blocks. */
export interface LoopedShape {
  /** Blocks before the loop. */
  prelude: number;
  /** Blocks after the loop. */
  coda: number;
  /** r: core iterations this reasoner runs (evaluation's depth). */
  recurrence: number;
  /** k: gradients flow through the last k iterations only (null: all). */
  backpropDepth: number | null;
}

export interface ReasonerConfig {
  model: ModelKind;
  /** Token vocabulary size (the task's). */
  vocab: number;
  /** Width: embedding, hidden state and latent vector size. */
  dim: number;
  /** Transformer blocks (gru/lstm: stacked cells; 1 by default). */
  layers: number;
  /** Attention heads (transformer only). */
  heads: number;
  /** Positions one sequence may use in total: framing + question + thoughts + answer (transformer's KV cache and learned positions). */
  maxLen: number;
  /** looped only: prelude, coda, r and k (default models/looped.ts DEFAULT_LOOPED). */
  looped?: LoopedShape;
}

/**
 * What a reasoner carries from one position to the next.
 * - `latent` [B, dim]: the vector a latent step feeds back as the next input (transformer: the
 *   final-norm hidden state of the last position; gru: h; lstm: h).
 * - `carry`: everything else the model needs (KV caches and their validity mask, an LSTM's cell).
 * - `position`: the next position (slot) to be written, a JS number known at trace time (every
 *   batch element is at the same slot: rows of different lengths are padded with `<pad>`,
 *   usually on the left). Every token and every latent step advances it by one.
 * Every Array in `latent` and `carry` has the batch on axis 0. `carry` may hold non-float leaves
 * (the transformer's bool validity mask); they carry no gradient.
 * Gradient-normalised BPTT (src/reasoning) differentiates through `latent` and `carry`.
 */
export interface ReasonerState {
  latent: Array;
  carry: Tree;
  position: number;
}

/**
 * A model that reads tokens, thinks in latent steps, and decodes tokens.
 * Ownership follows the nn convention: parameters are borrowed, states and token arrays are consumed.
 */
export interface Reasoner<P extends Tree = Tree> {
  readonly config: ReasonerConfig;
  /**
   * The recurrent hidden state of a latent chain, as a mask over a state just written by a step
   * (it reads only `state.position` and the state's structure):
   * for each leaf of {latent, carry} in flatten order, true (the whole leaf), false (none of it),
   * or a bool Array broadcastable to the leaf. src/reasoning measures (per-step gradient norms)
   * and rescales (`gradNorm`) the cotangent of exactly these elements, jointly per example.
   * gru/lstm: every float leaf (h, and c, of every layer). transformer: the latent and, in every
   * layer's KV cache, the slot the step wrote (position − 1): all that the step's position passes
   * forward. Older slots belong to earlier positions and pass through unscaled.
   */
  recurrentStateMask(state: ReasonerState): (boolean | Array)[];
  /**
   * Forward matrix-product FLOPs per sequence and position (flops.ts accounting): reading one
   * token, one latent step, decoding one token (read + output head). Multiply by the batch.
   */
  readonly positionFlops: { read: number; think: number; decode: number };
  /** Parameters (float32 unless `opts.dtype`). Consumes `key`. */
  init(key: Array, opts?: InitOpts): P;
  /** The empty state for a batch of `batch` sequences (nothing read yet); `opts.dtype` as the params'. */
  start(batch: number, opts?: InitOpts): ReasonerState;
  /**
   * Read tokens [B, L] int32 at the next L positions. `<pad>` (id 0) tokens are masked: attention
   * never looks at them, they do not count as positions, and recurrent cells keep their state
   * through them (so padding leaves the real positions' outputs unchanged).
   */
  read(p: P, state: ReasonerState, tokens: Array): ReasonerState;
  /**
   * One latent step: feed `state.latent` back as the next input, Coconut's continuous thought.
   * `input` [B, dim], when given, is fed instead (a latent feedback operator's output,
   * src/reasoning/feedback.ts); the recurrent state still comes from `state`. Consumes both.
   */
  think(p: P, state: ReasonerState, input?: Array): ReasonerState;
  /** The input embedding [B, dim] of a distribution over tokens [B, vocab] (Σ_v p_v·e_v). Borrows p, consumes probs. */
  embedDistribution(p: P, probs: Array): Array;
  /**
   * Teacher-forced decoding: read tokens [B, L] and return the next-token logits at each of those
   * positions [B, L, vocab] (logits[:, i] predicts the token after tokens[:, i]), and the state after.
   */
  decode(p: P, state: ReasonerState, tokens: Array): [Array, ReasonerState];
  /**
   * The output head alone on final hidden states [..., dim] → logits [..., vocab]: what `decode`
   * applies after reading a token, here applied to a latent (the logit lens). Borrows `p`, consumes `hidden`.
   */
  head(p: P, hidden: Array): Array;
  /**
   * One latent step as `think`, also returning the hidden state each layer wrote at the new
   * position, [layers, B, dim] (transformer: the residual stream after each block, before the final
   * norm; gru/lstm: each layer's h), for probes. Same result state as `think`.
   */
  thinkLayers(p: P, state: ReasonerState): [Array, ReasonerState];
}
