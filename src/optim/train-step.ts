// One jitted training step: loss and gradients, optimizer update, new parameters.
import { jit, np, valueAndGrad, type Array, type OwnedFunction } from "../engine/jax.js";
import { globalNorm, ref, zip, type Tree } from "../engine/tree.js";
import { applyUpdates, type GradientTransformation } from "./transform.js";

/**
 * `loss(params, batch)` follows the nn convention: it borrows `params` and consumes `batch`.
 * The returned step consumes all its arguments (as every jit does) and returns
 * [loss, new params, new optimizer state]; call `.dispose()` on it when done.
 */
export function makeTrainStep<P extends Tree = Tree, B extends Tree = Array, S extends Tree = Tree>(
  loss: (params: P, batch: B) => Array,
  optimizer: GradientTransformation<S>,
): OwnedFunction<(params: P, state: S, batch: B) => [Array, P, S]> {
  return jit((params: P, state: S, batch: B): [Array, P, S] => {
    const [value, grads] = valueAndGrad(loss)(params as never, batch as never) as [Array, P];
    const [updates, next] = optimizer.update(grads, state, params);
    return [value, applyUpdates(params, updates), next];
  }) as unknown as OwnedFunction<(params: P, state: S, batch: B) => [Array, P, S]>;
}

/** A step's gradient norm (before any clipping) and whether it was applied (1) or skipped (0). */
export interface StepHealth {
  gradNorm: Array;
  applied: Array;
}

type LossAndGrads<P, B, M> = (params: P, batch: B) => { loss: Array; grads: P; metrics: M };

/**
 * `makeTrainStep` for losses whose gradient is not plain `valueAndGrad` (gradient-normalised BPTT,
 * truncation): `lossAndGrads(params, batch)` borrows `params`, consumes `batch`, and returns the
 * loss, the gradient tree and any metrics (diagnostics, predictions). The returned step consumes
 * its arguments and returns [loss, new params, new optimizer state, metrics]; one jit in all.
 */
export function makeTrainStepFromGradients<P extends Tree = Tree, B extends Tree = Array, S extends Tree = Tree, M extends Tree = Tree>(
  lossAndGrads: LossAndGrads<P, B, M>,
  optimizer: GradientTransformation<S>,
): OwnedFunction<(params: P, state: S, batch: B) => [Array, P, S, M]> {
  return jit((params: P, state: S, batch: B): [Array, P, S, M] => {
    const { loss, grads, metrics } = lossAndGrads(params, batch);
    const [updates, next] = optimizer.update(grads, state, params);
    return [loss, applyUpdates(params, updates), next, metrics];
  }) as unknown as OwnedFunction<(params: P, state: S, batch: B) => [Array, P, S, M]>;
}

/**
 * `makeTrainStepFromGradients` with a guard: a step whose loss or gradient is not finite leaves
 * parameters and optimizer state untouched (the caller counts the skips from `health.applied`).
 * Returns [loss, new params, new optimizer state, metrics, health].
 */
export function makeGuardedTrainStep<P extends Tree = Tree, B extends Tree = Array, S extends Tree = Tree, M extends Tree = Tree>(
  lossAndGrads: LossAndGrads<P, B, M>,
  optimizer: GradientTransformation<S>,
): OwnedFunction<(params: P, state: S, batch: B) => [Array, P, S, M, StepHealth]> {
  const step = (params: P, state: S, batch: B): [Array, P, S, M, StepHealth] => {
    const { loss, grads, metrics } = lossAndGrads(params, batch);
    const gradNorm = globalNorm(ref(grads));
    const finite = np.isfinite(loss.ref).mul(np.isfinite(gradNorm.ref)); // bool scalar
    const [updates, next] = optimizer.update(grads, ref(state), params);
    const keep = <T extends Tree>(fresh: T, old: T) => zip((a, b) => np.where(finite.ref, a, b), fresh, old);
    const nextParams = keep(applyUpdates(ref(params), updates), params);
    const nextState = keep(next, state);
    return [loss, nextParams, nextState, metrics, { gradNorm, applied: finite.astype(np.float32) }];
  };
  return jit(step as never) as unknown as OwnedFunction<(params: P, state: S, batch: B) => [Array, P, S, M, StepHealth]>;
}
