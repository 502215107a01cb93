// The contract of the supervised recipes (direct, pause, cot, neuralese): how examples become
// fixed-shape batches, the loss and its gradient (one jit with the optimizer update), and how
// answers are predicted. The shared trainer (src/trainers/supervised-trainer.ts) drives them.
import type { Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import type { ThoughtTrace } from "../reasoning/index.js";
import type { Example, Limits } from "../tasks/index.js";
import type { Batch, StepOutput } from "./batch.js";
import type { CurriculumPlan } from "./curriculum.js";

export type { Batch, StepOutput } from "./batch.js";

/** Positions of each kind in one sequence: tokens read, latent steps, tokens decoded (read + head). */
export interface Positions {
  read: number;
  think: number;
  decode: number;
}

export interface SupervisedRecipe {
  name: string;
  /**
   * The parameter tree this recipe trains, when it adds parameters of its own to the reasoner's
   * (a halting head, a feedback network...); absent: `reasoner.init(key)`.
   */
  init?(reasoner: Reasoner<Tree>, key: Array): Tree;
  /**
   * With `init`: the key of this recipe's tree that holds the reasoner's parameters, so that a run
   * started (`--init`) from a run that trained the bare reasoner takes them and keeps this recipe's
   * own parameters (a halting head...) as `init` made them.
   */
  reasonerKey?: string;
  /** Positions one sequence uses (the transformer's maxLen), for a task's limits. */
  sequenceLength(limits: Limits): number;
  /** Host side: examples → the batch's arrays. */
  frame(examples: readonly Example[], limits: Limits): Batch;
  /** jit-traceable: loss, correctness and gradients. Borrows params, consumes the batch. */
  lossAndGrad<P extends Tree>(reasoner: Reasoner<P>, params: P, batch: Batch): StepOutput;
  /**
   * jit-traceable, forward only: the loss `lossAndGrad` differentiates and the correctness, with
   * no gradient (evolution strategies evaluate it per population member). Borrows params, consumes the batch.
   */
  loss?<P extends Tree>(reasoner: Reasoner<P>, params: P, batch: Batch): { loss: Array; correct: Array };
  /** jit-traceable: answer tokens [B, n] int32 for prompts [B, P] (greedy). Borrows params, consumes prompt. */
  predict<P extends Tree>(reasoner: Reasoner<P>, params: P, prompt: Array, limits: Limits): Array;
  /**
   * jit-traceable, for recipes that think in latent steps: the chain's states for prompts [B, P]
   * (monitorability probes and logit lens). Borrows params, consumes prompt.
   */
  trace?<P extends Tree>(reasoner: Reasoner<P>, params: P, prompt: Array): ThoughtTrace;
  /** Host side: decoded token row → the answer tokens to grade. */
  answerOf(decoded: ArrayLike<number>): number[];
  /**
   * Host side, for recipes that write a token chain of thought: decoded row → the chain's tokens
   * (up to and including `<eot>`), what a grader reading the chain sees. Absent: no readable chain.
   */
  chainOf?(decoded: ArrayLike<number>): number[];
  /**
   * Host side, for recipes whose number of latent steps varies per example (halting, exit
   * rules): the steps this decoded row used (the recipe puts it in the row `predict` returns).
   */
  stepsOf?(decoded: ArrayLike<number>): number;
  /**
   * Host side, for recipes that decode an answer after every block of thoughts (halting): each
   * block's answer tokens to grade, in block order (evaluation reports accuracy per block).
   */
  blockAnswersOf?(decoded: ArrayLike<number>): number[][];
  /** Latent steps per block, for recipes with `blockAnswersOf` (block n ends after n·stepsPerBlock thoughts). */
  stepsPerBlock?: number;
  /** Positions one training example runs, by kind (FLOPs per kind: Reasoner.positionFlops). */
  positions(limits: Limits): Positions;
  /** Forward FLOPs of one latent step when the recipe adds to the reasoner's (a feedback operator); absent: positionFlops.think. */
  thinkFlops?(reasoner: Reasoner<Tree>): number;
  /**
   * Recipes trained by Coconut's curriculum (src/recipes/curriculum.ts): the schedule and the
   * recipe of each stage; this recipe itself is the final stage's and evaluates. Absent: no curriculum.
   */
  curriculum?: CurriculumPlan<SupervisedRecipe>;
}

/** The initial parameters a recipe trains (the reasoner's, plus any the recipe adds). */
export function initParams(recipe: SupervisedRecipe, reasoner: Reasoner<Tree>, key: Array): Tree {
  return recipe.init ? recipe.init(reasoner, key) : reasoner.init(key);
}
