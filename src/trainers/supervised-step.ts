// One jitted training step of a supervised recipe: the recipe's loss and gradients, then the
// optimizer's guarded update (a non-finite loss or gradient leaves everything untouched).
import type { Array, OwnedFunction } from "../engine/jax.js";
import { map, type Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import { makeGuardedTrainStep, type GradientTransformation, type StepHealth } from "../optim/index.js";
import type { Batch, SupervisedRecipe } from "../recipes/recipe.js";

export type StepMetrics = {
  /** fraction of the batch answered right under teacher forcing */
  accuracy: Array;
  /** recipe-specific, e.g. the gradient norm arriving at each latent step [K] */
  diagnostics: Record<string, Array>;
};

export type SupervisedStep<P extends Tree, S extends Tree> = OwnedFunction<
  (params: P, state: S, batch: Batch) => [Array, P, S, StepMetrics, StepHealth]
>;

export function makeSupervisedStep<P extends Tree, S extends Tree>(
  recipe: SupervisedRecipe,
  reasoner: Reasoner<P>,
  optimizer: GradientTransformation<S>,
  poisonable = false,
): SupervisedStep<P, S> {
  return makeGuardedTrainStep<P, Batch, S, StepMetrics>((params, { [GRAD_SCALE]: scale, ...batch }) => {
    const out = recipe.lossAndGrad(reasoner, params, batch);
    const grads = poisonable ? map((g) => g.mul(scale.ref), out.grads as P) : (out.grads as P);
    scale?.dispose();
    return { loss: out.loss, grads, metrics: { accuracy: out.correct.mean(), diagnostics: out.diagnostics } };
  }, optimizer) as unknown as SupervisedStep<P, S>;
}

/**
 * The key of the gradient multiplier in a poisonable step's batch (fault-injection tests only): a
 * step built `poisonable` multiplies every gradient leaf by it (1 normally, NaN to inject a numeric
 * fault), so the guard sees a real non-finite gradient. Ordinary runs never pay for the multiply.
 */
export const GRAD_SCALE = "__gradScale";
