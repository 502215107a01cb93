// Forward-only latent chains (evaluation, sampling): K latent steps from a state.
import type { Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";

/** `latentSteps` thoughts from `state`. Borrows `params`, consumes `state`. */
export function thinkSteps<P extends Tree>(reasoner: Reasoner<P>, params: P, state: ReasonerState, latentSteps: number): ReasonerState {
  let s = state;
  for (let k = 0; k < latentSteps; k++) s = reasoner.think(params, s);
  return s;
}
