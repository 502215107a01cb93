// Per-example stage mixing (Coconut's, `curriculum.mixing: "example"`): the examples of one batch
// train different curriculum stages, whose sequences differ in shape. The batch is split by stage;
// each group runs its stage's recipe at that stage's shapes, padded to a power of two rows whose
// padding is never scored (so a stage traces a handful of shapes, not one per group size), and
// the groups' gradients are combined into the gradient of the token-mean loss over the whole
// batch, as if it had been one sequence grid: Σ_g M_g·∇L_g / Σ_g M_g, M_g the group's scored
// tokens. One guarded optimizer update follows, as in every supervised step.
import { jit, np, type Array, type OwnedFunction } from "../engine/jax.js";
import { dispose, map, zerosLike, zip, type Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import { makeGuardedTrainStep, type GradientTransformation } from "../optim/index.js";
import type { Example, Limits } from "../tasks/index.js";
import { groupRows } from "../recipes/curriculum.js";
import type { Batch, SupervisedRecipe } from "../recipes/recipe.js";

/** Token-weighted sums over the groups done so far. */
export type MixedSums = {
  /** Σ_g M_g·L_g */
  loss: Array;
  /** Σ_g M_g·∇L_g */
  grads: Tree;
  /** Σ_g M_g */
  tokens: Array;
};

/** One stage's group added to the sums: borrows params, consumes the batch and the sums; also returns the rows' correctness [rows]. */
export type StageAccumulator = OwnedFunction<(params: Tree, batch: Batch, sums: MixedSums) => [MixedSums, Array]>;

export function makeStageAccumulator(recipe: SupervisedRecipe, reasoner: Reasoner<Tree>): StageAccumulator {
  return jit((params: Tree, batch: Batch, sums: MixedSums): [MixedSums, Array] => {
    const tokens = batch.restMask.ref.sum();
    const out = recipe.lossAndGrad(reasoner, params, batch);
    dispose(out.diagnostics as Tree);
    const next: MixedSums = {
      loss: sums.loss.add(out.loss.mul(tokens.ref)),
      grads: zip((acc: Array, g: Array) => acc.add(g.mul(tokens.ref)), sums.grads, out.grads),
      tokens: sums.tokens.add(tokens),
    };
    return [next, out.correct];
  }) as unknown as StageAccumulator;
}

/** The guarded update from the sums: loss and gradient are their token means. Consumes params, state and sums. */
export function makeMixedUpdate(optimizer: GradientTransformation<Tree>) {
  return makeGuardedTrainStep<Tree, MixedSums, Tree, Record<string, never>>((params, sums) => {
    const inv = np.reciprocal(np.maximum(sums.tokens, 1e-9));
    const grads = map((g: Array) => g.mul(inv.ref), sums.grads);
    const loss = sums.loss.mul(inv);
    return { loss, grads, metrics: {} };
  }, optimizer);
}

/** A stage's group of a batch: which examples (by index), framed at the stage with padded rows unscored. */
export function frameGroup(recipe: SupervisedRecipe, examples: readonly Example[], limits: Limits, batchSize: number): Batch {
  const rows = groupRows(examples.length, batchSize);
  const filled = [...examples, ...globalThis.Array.from({ length: rows - examples.length }, (_, i) => examples[i % examples.length])];
  const batch = recipe.frame(filled, limits);
  if (!batch.restMask) throw new Error(`per-example stage mixing needs a curriculum stage's frame (restMask); ${recipe.name} has none`);
  const scored = np.array(Float32Array.from({ length: rows }, (_, r) => (r < examples.length ? 1 : 0))).reshape([rows, 1]);
  return { ...batch, restMask: batch.restMask.mul(scored) };
}

/** Zero sums shaped like params (borrows params). */
export function zeroSums(params: Tree): MixedSums {
  return { loss: np.zeros([]), grads: zerosLike(params), tokens: np.zeros([]) };
}
