// Forward-only latent chains (evaluation, sampling, inspection): K latent steps from a state.
import { np, type Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";

/** `latentSteps` thoughts from `state`. Borrows `params`, consumes `state`. */
export function thinkSteps<P extends Tree>(reasoner: Reasoner<P>, params: P, state: ReasonerState, latentSteps: number): ReasonerState {
  let s = state;
  for (let k = 0; k < latentSteps; k++) s = reasoner.think(params, s);
  return s;
}

/** The states a traced chain wrote: each thought's latent and each layer's hidden state at its position. */
export interface ThoughtTrace {
  /** [K, B, dim]: the latent after each thought (what the next thought reads). */
  latents: Array;
  /** [K, layers, B, dim]: each layer's hidden state at each thought's position (Reasoner.thinkLayers). */
  layers: Array;
}

/**
 * `latentSteps` thoughts from `state`, as `thinkSteps`, keeping every intermediate state for
 * probes and the logit lens (forward only). Borrows `params`, consumes `state`; returns the trace
 * and the final state.
 */
export function traceThoughts<P extends Tree>(reasoner: Reasoner<P>, params: P, state: ReasonerState, latentSteps: number): [ThoughtTrace, ReasonerState] {
  if (latentSteps < 1) throw new Error(`traceThoughts: latentSteps must be >= 1, got ${latentSteps}`);
  let s = state;
  const latents: Array[] = [];
  const layers: Array[] = [];
  for (let k = 0; k < latentSteps; k++) {
    const [hs, next] = reasoner.thinkLayers(params, s);
    layers.push(hs);
    latents.push(next.latent.ref);
    s = next;
  }
  return [{ latents: np.stack(latents, 0), layers: np.stack(layers, 0) }, s];
}
