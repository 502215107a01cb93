// The contract between latent-chain.ts (which chooses how to differentiate the chain) and the
// unrollers (latent-chain.ts: BPTT; grad-norm.ts): what is read out after the chain, where it is cut, what comes back.
import type { Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { ReasonerState } from "../models/reasoner.js";

/**
 * Scores the state after the chain, e.g. decode `<eot> <ans> answer` and take the cross-entropy
 * of the answer tokens. Returns the scalar loss, or [loss, aux] to pass values out (predictions,
 * accuracy). Borrows `params`, consumes `state`.
 */
export type Readout<P extends Tree> = (params: P, state: ReasonerState) => Array | [Array, Tree];

export interface LatentChainResult<P extends Tree> {
  /** The readout loss, a scalar. */
  loss: Array;
  /** ∂loss/∂params (gradNorm: the normalised chain's pseudo-gradient), same tree as `params`. */
  grads: P;
  /** The readout's aux output ({} when it returns a bare loss). */
  aux: Tree;
  /** [K]: mean over the batch of the norm of the cotangent arriving at s_k, before normalisation. */
  stepGradNorms: Array;
  /** [K]: mean over the batch of ‖latent of s_k‖. */
  latentNorms: Array;
}

/** Where the chain is cut: s_{stopAt} is under stop-gradient (−1: nowhere). */
export interface ChainPlan {
  latentSteps: number;
  stopAt: number;
}
