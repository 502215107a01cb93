// The method registry: each method by name, with its options schema (checked when a run config
// is resolved), its recipe and its trainer. It alone chooses a run's trainer (`trainerFor`),
// depth sampling for a looped model included.
import { z } from "zod";
import { EXIT_RULES, FEEDBACKS } from "../reasoning/index.js";
import type { Limits } from "../tasks/index.js";
import { cot } from "../recipes/cot.js";
import { curriculumOption } from "../recipes/curriculum.js";
import { curriculumTrainer } from "./curriculum-trainer.js";
import { depthSamplingTrainer } from "./depth-trainer.js";
import { isPlainRecipe } from "../recipes/plain.js";
import { direct } from "../recipes/direct.js";
import { fixedChain } from "../recipes/fixed-chain.js";
import { esOptions, esTrainer } from "./es.js";
import { esRecipe } from "./es-members.js";
import { flow, FLOW_OBJECTIVES } from "../recipes/flow.js";
import { flowTrainer } from "./flow-trainer.js";
import { halting } from "../recipes/halting.js";
import { grpoOptions, grpoTrainer } from "./grpo.js";
import { neuralese } from "../recipes/neuralese.js";
import { pause } from "../recipes/pause.js";
import type { SupervisedRecipe } from "../recipes/recipe.js";
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

/** A policy-gradient method's evaluation recipe: cot's free chain, or the fixed chain of K tokens it trains. */
const tokenChain = (chain: "free" | "fixed", latentSteps: number): SupervisedRecipe => (chain === "fixed" ? fixedChain(latentSteps) : cot());

const entry = <O extends object>(e: MethodEntry<O>): MethodEntry<O> => e;

export const METHODS = {
  direct: entry({ description: "answer straight after the question (no reasoning)", options: none, recipe: () => direct() }),
  cot: entry({ description: "token chain-of-thought SFT on the gold steps, then the answer", options: none, recipe: () => cot() }),
  pause: entry({
    description: "K learned <latent> filler tokens in place of thoughts, no feedback",
    options: z.strictObject({
      /** Coconut's curriculum with fillers in place of thoughts ("pause as thought"); null: none. */
      curriculum: curriculumOption(),
    }),
    recipe: (latentSteps, o) => pause({ latentSteps, ...o }),
    trainer: curriculumTrainer,
  }),
  neuralese: entry({
    description: "K continuous thoughts, CE on the answer, backpropagation through the whole chain",
    options: z.strictObject({
      /** Backpropagate through the last `truncate` thoughts only; null: all of them. */
      truncate: z.number().int().nonnegative().nullable().default(null),
      /** Rescale each example's state gradient to unit norm between thoughts (the essay's fix). */
      gradNorm: z.boolean().default(false),
      /** Coconut's curriculum (stages of gold steps replaced by thoughts); null: none. */
      curriculum: curriculumOption(),
      /** What a thought feeds back: identity (Coconut), mlp (CODI), soft-token (Soft Thinking). */
      feedback: z.enum(FEEDBACKS).default("identity"),
      /** Exit rule at inference: all K thoughts (fixed), or stop once the latent's relative change or the answer's KL is below threshold. */
      exit: z
        .strictObject({ rule: z.enum(EXIT_RULES).default("fixed"), threshold: z.number().nonnegative().default(0.01) })
        .prefault({}),
    }),
    recipe: (latentSteps, o) => neuralese({ latentSteps, ...o }),
    trainer: curriculumTrainer,
  }),
  es: entry({
    description: "evolution strategies (antithetic pairs, centred ranks, AdamW on the estimate) on a recipe's forward loss, no backprop",
    options: esOptions,
    recipe: (latentSteps, o) => esRecipe(o.recipe, latentSteps),
    trainer: esTrainer,
  }),
  flow: entry({
    description: "a latent moved K steps by a learned velocity field toward higher answer likelihood (src/recipes/flow.ts)",
    options: z.strictObject({
      /** regress: velocity onto the unit ∇_z log p(y*|x,z); improve: maximise log p after each step; bptt: end to end (control). */
      objective: z.enum(FLOW_OBJECTIVES).default("regress"),
      /** Δ, the longest move of the latent in one flow step. */
      stepSize: z.number().positive().max(1000).default(1),
      /** Hidden width of the velocity MLP; null: 2 × model.dim. */
      velocityHidden: z.number().int().positive().max(65536).nullable().default(null),
      /** Weight of the velocity loss against the answer's cross-entropy. */
      velocityWeight: z.number().min(0).max(1000).default(1),
    }),
    recipe: (latentSteps, o) => flow({ flowSteps: latentSteps, ...o }),
    trainer: flowTrainer,
  }),
  halting: entry({
    description: "neuralese with a learned number of thoughts: a halting head after every block, PonderNet or ACT expected loss",
    options: z.strictObject({
        /** pondernet: Σ p_n L_n + β·KL(p ‖ geometric(λ_p)); act: Σ p_n L_n + τ·(N(t) + R). */
        rule: z.enum(["pondernet", "act"]).default("pondernet"),
        /** N, the most blocks; null: --latent-steps / blockSize (if given, N·c must equal --latent-steps). */
        maxSteps: z.number().int().positive().nullable().default(null),
        /** c, latent steps per block: the halting head looks after every c thoughts. */
        blockSize: z.number().int().positive().default(1),
        beta: z.number().nonnegative().default(0.01),
        /** Geometric prior's halting probability per block, in (0, 1). */
        lambdaP: z.number().gt(0).lt(1).default(0.2),
        epsilon: z.number().gt(0).lt(1).default(0.01),
        tau: z.number().nonnegative().default(0.01),
        inference: z.enum(["sample", "threshold"]).default("threshold"),
        /** Cumulative halting mass that stops inference; null: 0.5 (pondernet), 1 − ε (act). */
        threshold: z.number().gt(0).lt(1).nullable().default(null),
        sampleSeed: z.number().int().nonnegative().default(0),
      }),
    recipe: (latentSteps, o) => halting(latentSteps, o),
  }),
  grpo: entry({
    description: "GRPO on sampled token chains of thought (rewards exact, loglik, lik), KL to the initial model",
    options: grpoOptions,
    recipe: (latentSteps, o) => tokenChain(o.chain, latentSteps),
    trainer: grpoTrainer,
  }),
  "helper-posterior": entry({
    description: "the essay's two stages: a helper answer model on sampled chains, then policy gradient on its per-token answer log-likelihood",
    options: helperPosteriorOptions,
    recipe: (latentSteps, o) => tokenChain(o.chain, latentSteps),
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

/**
 * The trainer a method uses: its own, or backpropagation of its recipe's loss; on a looped model
 * (`looped`), depth sampling, for the plain recipes only (recipes/plain.ts).
 */
export function trainerFor(name: string, looped = false): TrainerFactory {
  const e = (METHODS as Record<string, MethodEntry<any>>)[name];
  if (!e) throw new Error(`unknown method "${name}"; the methods are ${METHOD_NAMES.join(", ")}`);
  if (looped && !isPlainRecipe(name)) throw new Error(`a looped model trains the methods ${METHOD_NAMES.filter(isPlainRecipe).join(", ")} only, not ${name}`);
  return looped ? depthSamplingTrainer : (e.trainer ?? supervisedTrainer);
}

/** The config specs the run-config resolver checks methods with. */
export const METHOD_CONFIG_SPECS = Object.fromEntries(
  Object.entries(METHODS).map(([name, e]) => [
    name,
    {
      options: e.options,
      maxLen: (limits: Limits, latentSteps: number, o: any) => (e as MethodEntry<any>).recipe(latentSteps, o).sequenceLength(limits),
      looped: isPlainRecipe(name),
    },
  ]),
);

export { initParams, type SupervisedRecipe } from "../recipes/recipe.js";
export type { MethodTrainer, TrainerFactory, TrainerSetup, TrainerStepReport, TrainerTrees } from "./trainer.js";
