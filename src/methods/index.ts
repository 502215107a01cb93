// The supervised recipes by name, with each one's options schema (checked when a run config is
// resolved) and the positions one of its sequences uses.
import { z } from "zod";
import type { Limits } from "../tasks/index.js";
import { cot } from "./cot.js";
import { direct } from "./direct.js";
import { grpoOptions, grpoTrainer } from "./grpo.js";
import { neuralese } from "./neuralese.js";
import { pause } from "./pause.js";
import type { SupervisedRecipe } from "./recipe.js";
import { helperPosteriorOptions, helperPosteriorTrainer } from "./helper-posterior.js";
import { triceOptions, triceTrainer } from "./trice.js";
import { supervisedTrainer } from "./supervised-trainer.js";
import type { TrainerFactory } from "./trainer.js";

interface MethodEntry<O extends object> {
  description: string;
  options: z.ZodType<O>;
  /** The recipe that frames, predicts and evaluates this method's answers. */
  recipe(latentSteps: number, options: O): SupervisedRecipe;
  /** How the method updates its parameters; absent: backpropagation of the recipe's loss. */
  trainer?: TrainerFactory;
}

const none = z.strictObject({});

const entry = <O extends object>(e: MethodEntry<O>): MethodEntry<O> => e;

export const METHODS = {
  direct: entry({ description: "answer straight after the question (no reasoning)", options: none, recipe: () => direct() }),
  cot: entry({ description: "token chain-of-thought SFT on the gold steps, then the answer", options: none, recipe: () => cot() }),
  pause: entry({
    description: "K learned <latent> filler tokens in place of thoughts, no feedback",
    options: none,
    recipe: (latentSteps) => pause({ latentSteps }),
  }),
  neuralese: entry({
    description: "K continuous thoughts, CE on the answer, backpropagation through the whole chain",
    options: z.strictObject({
      /** Backpropagate through the last `truncate` thoughts only; null: all of them. */
      truncate: z.number().int().nonnegative().nullable().default(null),
      /** Rescale each example's state gradient to unit norm between thoughts (the essay's fix). */
      gradNorm: z.boolean().default(false),
    }),
    recipe: (latentSteps, o) => neuralese({ latentSteps, ...o }),
  }),
  grpo: entry({
    description: "GRPO on sampled token chains of thought (rewards exact, loglik, lik), KL to the initial model",
    options: grpoOptions,
    recipe: () => cot(),
    trainer: (setup) => grpoTrainer(setup),
  }),
  "helper-posterior": entry({
    description: "the essay's two stages: a helper answer model on sampled chains, then policy gradient on its per-token answer log-likelihood",
    options: helperPosteriorOptions,
    recipe: () => cot(),
    trainer: helperPosteriorTrainer,
  }),
  trice: entry({
    description: "TRICE: a memory rationale per question, MCMC-EM with the leave-one-out control variate",
    options: triceOptions,
    recipe: () => cot(),
    trainer: triceTrainer,
  }),
} as const;

export type MethodName = keyof typeof METHODS;
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

/** The recipe a run config names (options already resolved by the schema). */
export function recipeFor(name: string, latentSteps: number, options: Record<string, unknown>): SupervisedRecipe {
  const e = (METHODS as Record<string, MethodEntry<any>>)[name];
  if (!e) throw new Error(`unknown method "${name}"; the methods are ${METHOD_NAMES.join(", ")}`);
  return e.recipe(latentSteps, options);
}

/** The trainer a method name uses. */
export function trainerFor(name: string): TrainerFactory {
  const e = (METHODS as Record<string, MethodEntry<any>>)[name];
  if (!e) throw new Error(`unknown method "${name}"; the methods are ${METHOD_NAMES.join(", ")}`);
  return e.trainer ?? supervisedTrainer;
}

/** The config specs the run-config resolver checks methods with. */
export const METHOD_CONFIG_SPECS = Object.fromEntries(
  Object.entries(METHODS).map(([name, e]) => [
    name,
    { options: e.options, maxLen: (limits: Limits, latentSteps: number, o: any) => (e as MethodEntry<any>).recipe(latentSteps, o).sequenceLength(limits) },
  ]),
);

export { initParams, type SupervisedRecipe } from "./recipe.js";
export type { MethodTrainer, TrainerFactory, TrainerSetup, TrainerStepReport, TrainerTrees } from "./trainer.js";
