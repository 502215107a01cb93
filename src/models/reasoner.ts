// The Reasoner contract: what every model offers the recipes (DESIGN.md, "Contracts").
// Shapes are fixed per config so that a whole training step (read, K thoughts, answer) is one jit.
import type { Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";

export type ModelKind = "transformer" | "gru" | "lstm";

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
}

/**
 * What a reasoner carries from one position to the next.
 * - `latent` [B, dim]: the vector a latent step feeds back as the next input (transformer: the
 *   final-norm hidden state of the last position; gru: h; lstm: h).
 * - `carry`: everything else the model needs (KV caches and their validity mask, an LSTM's cell).
 * - `position`: the next position to be written, a JS number known at trace time (every batch
 *   element is at the same position: sequences are left-padded).
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
  init(key: Array): P;
  /** The empty state for a batch of `batch` sequences (nothing read yet). */
  start(batch: number): ReasonerState;
  /**
   * Read tokens [B, L] int32 at the next L positions. `<pad>` (id 0) tokens are masked: attention
   * never looks at them and recurrent cells keep their state through them (so left padding works).
   */
  read(p: P, state: ReasonerState, tokens: Array): ReasonerState;
  /** One latent step: feed `state.latent` back as the next input, Coconut's continuous thought. */
  think(p: P, state: ReasonerState): ReasonerState;
  /**
   * Teacher-forced decoding: read tokens [B, L] and return the next-token logits at each of those
   * positions [B, L, vocab] (logits[:, i] predicts the token after tokens[:, i]), and the state after.
   */
  decode(p: P, state: ReasonerState, tokens: Array): [Array, ReasonerState];
}
