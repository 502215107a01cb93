// Latent feedback operators: what a latent step feeds back as the next input, given the latent
// the previous position produced.
//   identity    the latent itself (Coconut's continuous thought).
//   mlp         LayerNorm(W₂·GELU(W₁·h + b₁) + b₂), both D×D (CODI's projection of the latent
//               before it is fed back); parameters under `feedback` in the recipe's tree.
//   soft-token  Σ_v softmax(head(h))_v · e_v: the embedding of the model's own next-token
//               distribution at that position (Soft Thinking), no parameters of its own.
// `withFeedback` wraps a reasoner so that its `think` applies the operator; everything else
// (read, decode, the recurrent-state mask the chain's gradient tools use) is the reasoner's own.
import { jnn, type Array } from "../engine/jax.js";
import { splitKey } from "../engine/rng.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import { gelu, initLayerNorm, initLinear, layerNorm, linear, type InitOpts, type LayerNorm, type Linear } from "../nn/index.js";

export const FEEDBACKS = ["identity", "mlp", "soft-token"] as const;
export type FeedbackKind = (typeof FEEDBACKS)[number];

/** The mlp operator's parameters: fc1, fc2: Linear D→D; norm: LayerNorm(D). */
export type FeedbackMlp = { fc1: Linear; fc2: Linear; norm: LayerNorm };

/** The recipe's parameters with a feedback operator's: the reasoner's tree plus `feedback` (mlp only). */
export type WithFeedback<P extends Tree> = P & { feedback?: FeedbackMlp };

/** Parameters the operator adds (null: none). Consumes `key`. */
export function initFeedback(kind: FeedbackKind, key: Array, dim: number, opts: InitOpts = {}): FeedbackMlp | null {
  if (kind !== "mlp") {
    key.dispose();
    return null;
  }
  const [k1, k2] = splitKey(key);
  return { fc1: initLinear(k1, dim, dim, opts), fc2: initLinear(k2, dim, dim, opts), norm: initLayerNorm(dim, opts) };
}

/** The next input [B, D] for latent [B, D]. Borrows `p`, consumes `latent`. */
export function applyFeedback<P extends Tree>(kind: FeedbackKind, reasoner: Reasoner<P>, p: WithFeedback<P>, latent: Array): Array {
  switch (kind) {
    case "identity":
      return latent;
    case "mlp": {
      const f = p.feedback;
      if (!f) throw new Error('feedback "mlp": the parameter tree has no `feedback` entry (initialise it with the recipe\'s init)');
      return layerNorm(f.norm, linear(f.fc2, gelu(linear(f.fc1, latent))));
    }
    case "soft-token":
      return reasoner.embedDistribution(p, jnn.softmax(reasoner.head(p, latent), -1));
  }
}

/** Forward FLOPs the operator adds to one latent step of one sequence. */
export function feedbackFlops(kind: FeedbackKind, dim: number, vocab: number): number {
  return kind === "mlp" ? 4 * dim * dim : kind === "soft-token" ? 4 * dim * vocab : 0;
}

/** `reasoner` whose latent steps feed back `kind`'s output; identity returns the reasoner itself. */
export function withFeedback<P extends Tree>(reasoner: Reasoner<P>, kind: FeedbackKind): Reasoner<WithFeedback<P>> {
  if (kind === "identity") return reasoner as Reasoner<WithFeedback<P>>;
  const { vocab, dim } = reasoner.config;
  const extra = feedbackFlops(kind, dim, vocab);
  return {
    ...reasoner,
    positionFlops: { ...reasoner.positionFlops, think: reasoner.positionFlops.think + extra },
    think(p, state, input) {
      const fed = applyFeedback(kind, reasoner, p, input ?? state.latent.ref);
      return reasoner.think(p, state, fed);
    },
  };
}

