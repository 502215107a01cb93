// One jitted training step: loss and gradients, optimizer update, new parameters.
import { jit, valueAndGrad, type Array, type OwnedFunction } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
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

/**
 * `makeTrainStep` for losses whose gradient is not plain `valueAndGrad` (gradient-normalised BPTT,
 * truncation): `lossAndGrads(params, batch)` borrows `params`, consumes `batch`, and returns the
 * loss, the gradient tree and any metrics (diagnostics, predictions). The returned step consumes
 * its arguments and returns [loss, new params, new optimizer state, metrics]; one jit in all.
 */
export function makeTrainStepFromGradients<P extends Tree = Tree, B extends Tree = Array, S extends Tree = Tree, M extends Tree = Tree>(
  lossAndGrads: (params: P, batch: B) => { loss: Array; grads: P; metrics: M },
  optimizer: GradientTransformation<S>,
): OwnedFunction<(params: P, state: S, batch: B) => [Array, P, S, M]> {
  return jit((params: P, state: S, batch: B): [Array, P, S, M] => {
    const { loss, grads, metrics } = lossAndGrads(params, batch);
    const [updates, next] = optimizer.update(grads, state, params);
    return [loss, applyUpdates(params, updates), next, metrics];
  }) as unknown as OwnedFunction<(params: P, state: S, batch: B) => [Array, P, S, M]>;
}
