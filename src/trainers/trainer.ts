// The contract between the training loop (src/runs/train-run.ts) and a method: the loop owns the
// data order, the budget, evaluation, checkpoints and the run directory; a MethodTrainer owns the
// tensors it updates and how one update is made (backpropagation, evolution strategies, policy
// gradient...). Every trainer keeps its trees in a TrainerState (trainer-state.ts); the method
// registry (index.ts) picks it; supervised recipes get theirs from supervised-trainer.ts.
import type { Json } from "../common/json.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import type { GradientTransformation } from "../optim/index.js";
import type { Example, Limits, Task } from "../tasks/index.js";
import type { BudgetCharge } from "../engine/flops.js";
import type { SupervisedRecipe } from "../recipes/recipe.js";

/** A looped model's training depth distribution (model.looped; sampled by depth-trainer.ts). */
export interface RecurrenceSampling {
  /** E[r] before the cap. */
  mean: number;
  /** r is capped here. */
  max: number;
  /** k: iterations backpropagated (null: all r). */
  backpropDepth: number | null;
}

/** What a method's trainer is built from (all resolved from the run config). */
export interface TrainerSetup {
  task: Task;
  taskOptions: Record<string, unknown>;
  limits: Limits;
  reasoner: Reasoner<Tree>;
  /** The recipe that frames, predicts and grades this method's answers (evaluation uses it too). */
  recipe: SupervisedRecipe;
  /** The optimizer the run config describes (a method may ignore it, e.g. ES builds its own from it). */
  optimizer: GradientTransformation<Tree>;
  batchSize: number;
  /** The run's latent steps (model.latentSteps): what a method needs to rebuild its recipe elsewhere (ES workers). */
  latentSteps?: number;
  seed: number;
  /** Size of the fixed training set drawn in epochs (the run's trainExamples); null or absent: a fresh stream. */
  trainExamples?: number | null;
  /** The method's options, resolved by its schema. */
  options: Record<string, unknown>;
  /** A looped model's training depth distribution (model.looped; trainers/depth-trainer.ts); absent for other models. */
  recurrence?: RecurrenceSampling;
  /** Initial parameters (owned by the trainer from here on). */
  params: Tree;
  /**
   * Fault injection for reliability tests (never set in ordinary runs): a trainer that supports
   * it makes the gradient of step `s` non-finite when `nanGradient(s)` is true.
   */
  faults?: FaultInjector;
}

/** Which steps get an injected non-finite gradient (see runs/faults.ts). */
export interface FaultInjector {
  nanGradient(step: number): boolean;
}

/** What one update reports; the loop charges `charge` (plus one step and the wall time). */
export interface TrainerStepReport {
  loss: number;
  /** Fraction of the step's examples answered right (teacher-forced, or sampled for RL). */
  accuracy: number;
  /** Norm of the update direction before clipping (the gradient, or ES's estimate). */
  gradNorm: number;
  /** False when the update was skipped (non-finite loss or gradient). */
  applied: boolean;
  charge: Omit<BudgetCharge, "steps" | "wallMs">;
  /** Per-step numbers written to metrics.jsonl next to the loss (arrays of per-latent-step values...). */
  diagnostics?: Record<string, Json>;
}

/** What `tokens` positions run forward cost (`forward` FLOPs), and backward too (2 × the FLOPs) when `backward`. */
export const passCharge = (tokens: number, forward: number, backward = true): TrainerStepReport["charge"] => ({
  forwardTokens: tokens,
  backwardTokens: backward ? tokens : 0,
  flops: { forward, backward: backward ? 2 * forward : 0 },
});

/** The trees a checkpoint holds: the parameters, the optimizer state, and any a method keeps. */
export interface TrainerTrees {
  params: Tree;
  optimizer: Tree;
  [name: string]: Tree;
}

export interface MethodTrainer {
  /** The current trees (borrowed: the trainer keeps ownership). */
  trees(): TrainerTrees;
  /** Replace the trees with restored ones (ownership passes to the trainer) and the JSON state from `extra()`. */
  restore(trees: TrainerTrees, extra: Record<string, Json>): void;
  /** Small JSON state a checkpoint keeps (e.g. a memory index); {} when none. */
  extra(): Record<string, Json>;
  /** One update on the step's training examples (step = updates done before this one). */
  step(examples: readonly Example[], step: number): Promise<TrainerStepReport>;
  /** Free everything the trainer owns. */
  dispose(): void;
}

export type TrainerFactory = (setup: TrainerSetup) => MethodTrainer;
