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
