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
import { lax, valueAndGrad, type Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";
import { addProbes, disposeState, floatDtype, lossAndAux, perExampleNorm, stopGradientState, vectorOf, zeroProbes } from "./chain-state.js";
import { gradNormValueAndGrad } from "./grad-norm.js";
import type { ChainPlan, LatentChainResult, Readout } from "./chain.js";

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

/**
 * Full and truncated BPTT: one valueAndGrad over the unrolled chain. The cotangent arriving at
 * each latent state comes out for free: a zero "probe" is added to every state leaf that holds
 * recurrent state, and the probes are differentiated too.
 */
function bpttValueAndGrad<P extends Tree>(
  reasoner: Reasoner<P>,
  params: P,
  prompt: Array,
  readout: Readout<P>,
  plan: ChainPlan,
): LatentChainResult<P> {
  const [B] = prompt.shape;
  const dtype = floatDtype(params);
  // States keep their shapes along the chain: the empty state is the template of every s_k (the
  // probes' shapes depend on the masks' shapes only, not on the position).
  const template = reasoner.start(B, { dtype });
  const probes = globalThis.Array.from({ length: plan.latentSteps }, () => zeroProbes(reasoner, template));

  const chain = (p: P, stepProbes: Array[][]): [Array, Tree] => {
    let state: ReasonerState = reasoner.read(p, reasoner.start(B, { dtype }), prompt.ref);
    const latentNorms: Array[] = [];
    for (let k = 0; k < plan.latentSteps; k++) {
      if (k === plan.stopAt) state = stopGradientState(state);
      state = addProbes(reasoner, reasoner.think(p, state), stepProbes[k]);
      latentNorms.push(lax.stopGradient(perExampleNorm([state.latent.ref]).mean()));
    }
    if (plan.stopAt === plan.latentSteps) state = stopGradientState(state);
    const [loss, aux] = lossAndAux(readout(p, state));
    return [loss, { aux, latentNorms: vectorOf(latentNorms, dtype) }];
  };
  type Out = [[Array, { aux: Tree; latentNorms: Array }], [P, Array[][]]];
  const lossAndGrads = valueAndGrad(chain as never, { argnums: [0, 1], hasAux: true }) as unknown as (p: P, probes: Array[][]) => Out;
  const [[loss, extra], [grads, probeGrads]] = lossAndGrads(params, probes);
  prompt.dispose();
  const stepGradNorms = vectorOf(probeGrads.map((g) => perExampleNorm(g).mean()), dtype);
  disposeState(template);
  return { loss, grads, aux: extra.aux, stepGradNorms, latentNorms: extra.latentNorms };
}
