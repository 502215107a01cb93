// One jitted training step of a supervised recipe: loss and gradients, the optimizer update,
// and a guard: a step whose loss or gradient is not finite leaves parameters and optimizer
// state untouched (the trainer counts such skips and stops after too many in a row).
import { jit, np, type Array, type OwnedFunction } from "../engine/jax.js";
import { globalNorm, ref, zip, type Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import { applyUpdates, type GradientTransformation } from "../optim/index.js";
import type { Batch, SupervisedRecipe } from "./recipe.js";

/** Scalars and vectors a step reports (all Arrays; read them once with `.data()`). */
export interface StepReport {
  loss: Array;
  /** fraction of the batch answered right under teacher forcing */
  accuracy: Array;
  /** global L2 norm of the gradient, before any clipping */
  gradNorm: Array;
  /** 1 when the step was applied, 0 when skipped for a non-finite loss or gradient */
  applied: Array;
  diagnostics: Record<string, Array>;
}

export type SupervisedStep<P extends Tree, S extends Tree> = OwnedFunction<(params: P, state: S, batch: Batch) => [StepReport, P, S]>;

export function makeSupervisedStep<P extends Tree, S extends Tree>(
  recipe: SupervisedRecipe,
  reasoner: Reasoner<P>,
  optimizer: GradientTransformation<S>,
): SupervisedStep<P, S> {
  const step = (params: P, state: S, batch: Batch): [StepReport, P, S] => {
    const out = recipe.lossAndGrad(reasoner, params, batch);
    const gradNorm = globalNorm(ref(out.grads));
    const finite = np.isfinite(out.loss.ref).mul(np.isfinite(gradNorm.ref)); // bool scalar
    const [updates, nextState] = optimizer.update(out.grads as P, ref(state), params);
    const keep = (fresh: Tree, old: Tree) => zip((a, b) => np.where(finite.ref, a, b), fresh, old);
    const nextParams = keep(applyUpdates(ref(params), updates), params) as P;
    const guardedState = keep(nextState, state) as S;
    const report: StepReport = {
      loss: out.loss,
      accuracy: out.correct.mean(),
      gradNorm,
      applied: finite.astype(np.float32),
      diagnostics: out.diagnostics,
    };
    return [report, nextParams, guardedState];
  };
  return jit(step as never) as unknown as SupervisedStep<P, S>;
}
