// Loss and parameter gradient of a latent chain: read a prompt, take K latent steps, score the
// final state with a readout loss. Three ways to send the gradient back along the chain:
//   - full BPTT (default): through every latent step and into the prompt reading;
//   - `truncate: k` (k < K): only the last k latent steps carry gradient; the state before them
//     is under stop-gradient, so the prompt reading gets no gradient at all (Huginn's truncated
//     BPTT; k ≥ K is full BPTT, as Huginn's n_no_grad = max(p − k, 0));
//   - `gradNorm: true`: the essay's fix. On the backward pass, before each latent step is pulled
//     back, each example's cotangent of the recurrent state is rescaled to unit L2 norm, jointly
//     over the elements of `reasoner.recurrentStateMask`: gru/lstm, h (and c) of every layer;
//     transformer, the latent the step passes on plus the keys and values it wrote into every
//     layer's cache (older cache slots belong to earlier steps and are rescaled when those are
//     pulled back). The cotangent into the prompt reading is not rescaled (it is not between
//     latent steps). Built from per-step vjps chained by hand (jax-js has no custom_vjp).
//     Combines with `truncate`.
// Diagnostics in every mode, for latent states s_1 … s_K (s_k = the state after step k):
//   stepGradNorms[k−1] = batch mean of the per-example norm of ∂L/∂s_k over the recurrent state,
//   as it arrives at s_k, before any normalisation (0 where truncation stops the gradient);
//   latentNorms[k−1] = batch mean of ‖latent of s_k‖.
// Everything traces into the caller's jit; nothing here calls jit.
import type { Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import { bpttValueAndGrad } from "./bptt.js";
import { gradNormValueAndGrad } from "./grad-norm.js";
import type { LatentChainResult, Readout } from "./chain.js";

export type { ChainPlan, LatentChainResult, Readout } from "./chain.js";

export interface LatentChainOptions {
  /** K, the number of latent steps (≥ 0). */
  latentSteps: number;
  /** Backpropagate through the last `truncate` latent steps only (≥ 0); omitted or ≥ K: all. */
  truncate?: number;
  /** Rescale each example's state cotangent to unit norm between latent steps (see above). */
  gradNorm?: boolean;
}

/**
 * Read `prompt` (int32 [B, L], left-padded) from the empty state, take K latent steps, apply
 * `readout`; return the loss, the gradient and the diagnostics. Borrows `params`; consumes
 * `prompt`. Trace it inside one jit together with the optimizer update.
 */
export function latentChainValueAndGrad<P extends Tree>(
  reasoner: Reasoner<P>,
  params: P,
  prompt: Array,
  readout: Readout<P>,
  opts: LatentChainOptions,
): LatentChainResult<P> {
  const { latentSteps } = opts;
  if (!(Number.isInteger(latentSteps) && latentSteps >= 0)) throw new Error(`latentSteps must be an integer >= 0, got ${latentSteps}`);
  const truncate = opts.truncate ?? latentSteps;
  if (!(Number.isInteger(truncate) && truncate >= 0)) throw new Error(`truncate must be an integer >= 0, got ${opts.truncate}`);
  /** Index k of the state s_k put under stop-gradient, or −1 for none. */
  const stopAt = truncate < latentSteps ? latentSteps - truncate : -1;
  const plan = { latentSteps, stopAt };
  return opts.gradNorm
    ? gradNormValueAndGrad(reasoner, params, prompt, readout, plan)
    : bpttValueAndGrad(reasoner, params, prompt, readout, plan);
}
