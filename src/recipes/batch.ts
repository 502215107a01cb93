// What a recipe's frame() builds and its lossAndGrad() returns (the shapes every recipe and trainer pass around).
import type { Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";

/** A batch: named arrays (token grids int32, masks float32). */
export type Batch = Record<string, Array>;

export interface StepOutput {
  loss: Array;
  /** [B] 1 where the teacher-forced answer was right. */
  correct: Array;
  grads: Tree;
  /** Recipe-specific diagnostics, e.g. the gradient norm at each latent step [K]. */
  diagnostics: Record<string, Array>;
}
