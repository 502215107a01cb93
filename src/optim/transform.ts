// The optimizer contract (optax-style): pure (init, update) pairs over parameter trees whose
// state is itself a tree of Arrays, so `update` runs inside a jitted step and the state can be
// checkpointed like parameters.
import { np, type Array } from "../engine/jax.js";
import { leafPaths, leaves, sameStructure, zip, type Tree } from "../engine/tree.js";
import type { Schedule } from "./schedule.js";

export interface GradientTransformation<S extends Tree = Tree> {
  /** Fresh state for `params` (borrows `params`). */
  init(params: Tree): S;
  /**
   * Turn gradients into updates (to be added to the parameters).
   * Consumes `grads` and `state`; borrows `params` (needed only for weight decay).
   */
  update<P extends Tree>(grads: P, state: S, params?: P): [P, S];
}

/** A learning rate: a constant, or a schedule of the optimizer's step count. */
export type LearningRate = number | Schedule;

/** params + updates, leaf by leaf (consumes both). */
export function applyUpdates<P extends Tree>(params: P, updates: P): P {
  return zip((p, u) => p.add(u), params, updates);
}

/** The step counter every stateful transform keeps: an int32 scalar, 0 before the first update. */
export function initCount(): Array {
  return np.array(0, { dtype: np.int32 });
}

/** -lr(count), the factor that turns a descent direction into an update (consumes `count`). */
export function negativeLearningRate(lr: LearningRate, count: Array): number | Array {
  if (typeof lr === "number") {
    count.dispose();
    return -lr;
  }
  return lr(count).mul(-1);
}

/** x·factor, borrowing `factor` when it is an Array (consumes `x`). */
export function scaleBy(x: Array, factor: number | Array): Array {
  return typeof factor === "number" ? x.mul(factor) : x.mul(factor.ref);
}

/** Release a factor after its last `scaleBy`. */
export function releaseFactor(factor: number | Array): void {
  if (typeof factor !== "number") factor.dispose();
}

/** The leaves of a state (or params) subtree, checked to have the gradients' structure. */
export function leavesMatching(t: Tree, grads: Tree, what: string): Array[] {
  if (!sameStructure(t, grads)) {
    throw new Error(`${what} does not have the structure of the gradients: [${leafPaths(t)}] vs [${leafPaths(grads)}]`);
  }
  return leaves(t);
}
