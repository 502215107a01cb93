// The training-run config as a zod schema: every field, its allowed values and its default.
// Fields whose default depends on other fields (layers, heads, maxLen, warm-up, decay length)
// are optional here and filled in by resolveRunConfig (config.ts).
import { z } from "zod";
import { BACKENDS, type Backend } from "../engine/backends.js";
import { DEFAULT_TASK, type Limits } from "../tasks/index.js";
import { RUN_FORMAT_VERSION } from "./format.js";

export const MODEL_KINDS = ["transformer", "gru", "lstm", "looped"] as const;
export const SCHEDULES = ["cosine", "constant"] as const;

const positiveInt = () => z.number().int().positive();
const nonNegativeInt = () => z.number().int().nonnegative();
/** A budget limit: a positive number, or null for "no limit". */
const limit = (int: boolean) => (int ? positiveInt() : z.number().positive()).nullable().optional();

/** The looped (recurrent-depth) model's settings (models/looped.ts; training: trainers/depth-trainer.ts). */
export const loopedSchema = z.strictObject({
  /** Transformer blocks before the loop. */
  prelude: nonNegativeInt().max(64).default(1),
  /** Transformer blocks after the loop (the core has model.layers blocks). */
  coda: nonNegativeInt().max(64).default(1),
  /** Mean of r in training: r = Poisson(e^τ) + 1, τ ~ N(log(mean − 1) − 1/8, 1/2) (Huginn's Λ), capped at maxRecurrence. */
  meanRecurrence: z.number().min(1).max(256).default(4),
  /** Cap on the training r (each r up to it gets its own jitted step); default 3 × meanRecurrence, rounded up. */
  maxRecurrence: positiveInt().max(1024).optional(),
  /** k: backpropagate through the last k iterations only; null: all of them. */
  backpropDepth: positiveInt().max(1024).nullable().default(4),
  /** r at evaluation; default meanRecurrence, rounded. */
  recurrence: positiveInt().max(1024).optional(),
});

export const modelSchema = z.strictObject({
  kind: z.enum(MODEL_KINDS).default("transformer"),
  /** Width: embedding, hidden state and latent vector size. */
  dim: positiveInt().max(4096).default(64),
  /** Default 2 for the transformer, 1 for gru/lstm. */
  layers: positiveInt().max(64).optional(),
  /** Default 4 for the transformer; gru/lstm have none (1). */
  heads: positiveInt().max(64).optional(),
  /** K, the number of continuous thoughts. */
  latentSteps: nonNegativeInt().max(1024).default(4),
  /** Positions per sequence; default derived from the task's limits, K and the method. */
  maxLen: positiveInt().max(65536).optional(),
  /** model.kind looped only: prelude, coda, training r distribution, k, evaluation r. */
  looped: loopedSchema.optional(),
});

export const optimizerSchema = z.strictObject({
  name: z.literal("adamw").default("adamw"),
  /**
   * Peak learning rate. 3e-3: on pointer-chase (3–4 hops, K = 4, width 64) neuralese reached
   * 1.0 validation accuracy by step 500 at 3e-3 and 0.70 after 1000 steps at 1e-3 (seed 0).
   */
  lr: z.number().positive().max(10).default(3e-3),
  b1: z.number().min(0).lt(1).default(0.9),
  b2: z.number().min(0).lt(1).default(0.999),
  eps: z.number().min(0).default(1e-8),
  /** Decoupled weight decay, applied to matrices only (nanoGPT's rule). */
  weightDecay: z.number().min(0).default(0.01),
  /** cosine: linear warm-up, then half a cosine to lr·endLrFraction; constant: warm-up, then lr. */
  schedule: z.enum(SCHEDULES).default("cosine"),
  /** Default min(100, decaySteps / 10) for cosine, 0 for constant. */
  warmupSteps: nonNegativeInt().optional(),
  /** Step where the cosine reaches its end; default: the step budget (or maxExamples / batchSize). */
  decaySteps: positiveInt().nullable().optional(),
  endLrFraction: z.number().min(0).max(1).default(0.1),
  /** Global gradient-norm clipping; null turns it off. */
  clipNorm: z.number().positive().nullable().default(1),
});

export const budgetSchema = z.strictObject({
  /** Optimizer steps. Default 1000 when no limit at all is given. */
  maxSteps: limit(true),
  /** (x, y*) pairs drawn for training. */
  maxExamples: limit(true),
  /** Analytic FLOPs (forward + backward). */
  maxFlops: limit(false),
});

export const evalSchema = z.strictObject({
  /** Evaluate on the validation set every this many steps (and at the end). */
  every: positiveInt().default(250),
  valExamples: positiveInt().max(1_000_000).default(500),
  testExamples: positiveInt().max(1_000_000).default(1000),
  /**
   * Also measure test accuracy at every periodic evaluation (a learning curve on the test split,
   * for the bet's examples-to-target). Nothing is selected or tuned on it.
   */
  testCurve: z.boolean().default(false),
});

export const BAD_STEP_ACTIONS = ["rollback", "stop"] as const;

/** What the run does when steps keep failing (a non-finite loss or gradient skips the step). */
export const faultsSchema = z.strictObject({
  /** Skipped steps in a row that count as a numeric fault. */
  maxBadSteps: positiveInt().max(1_000_000).default(20),
  /** rollback: restore the last checkpoint and continue at lr·lrFactor; stop: end the run with an error. */
  onBadSteps: z.enum(BAD_STEP_ACTIONS).default("rollback"),
  /** Factor on the learning rate at each rollback. */
  lrFactor: z.number().positive().lt(1).default(0.5),
  /** Rollbacks allowed in one run; the next fault stops it. */
  maxRollbacks: nonNegativeInt().max(1000).default(3),
});

/**
 * Sizes the run pads every sequence to (tasks/task.ts Limits), beyond the task's own: `train
 * --data FILE` writes the file's here, so a model sized for the file is evaluated at the same sizes.
 */
const limitsSchema = z.strictObject({
  maxQuestionLength: positiveInt().max(65536),
  maxAnswerLength: positiveInt().max(65536),
  maxSteps: nonNegativeInt().max(65536),
  maxStepLength: nonNegativeInt().max(65536),
});

/** Open records: the task's options are checked by the task, the method's by its own schema. */
const optionsRecord = () => z.record(z.string(), z.unknown()).default({});

export const runConfigSchema = z.strictObject({
  /** Run-directory format this config was written for (configs may omit it). */
  formatVersion: z.literal(RUN_FORMAT_VERSION).default(RUN_FORMAT_VERSION),
  task: z
    .strictObject({ name: z.string().min(1).default(DEFAULT_TASK), options: optionsRecord(), limits: limitsSchema.nullable().default(null) })
    .prefault({}),
  method: z.strictObject({ name: z.string().min(1).default("neuralese"), options: optionsRecord() }).prefault({}),
  model: modelSchema.prefault({}),
  seed: nonNegativeInt().max(0xffffffff).default(0),
  batchSize: positiveInt().max(65536).default(64),
  optimizer: optimizerSchema.prefault({}),
  budget: budgetSchema.prefault({}),
  eval: evalSchema.prefault({}),
  /**
   * A fixed training set of this many distinct questions, drawn in epochs (a new seeded order
   * each epoch); null: every draw is a fresh question (the data stream never repeats).
   */
  trainExamples: positiveInt().nullable().default(null),
  /** Save a checkpoint (for --resume) every this many steps, and at the end. */
  checkpointEvery: positiveInt().default(250),
  /**
   * Train on the examples of this file (JSON lines as `neuralese data <task> --jsonl` writes, or a
   * Coconut ProsQA JSON list) instead of generated ones; null: generated. Val and test stay generated.
   */
  trainData: z.string().min(1).nullable().default(null),
  /** The sha256 digest of trainData's bytes when the run was configured; a changed file is refused. */
  trainDataSha256: z.string().regex(/^sha256:[0-9a-f]{64}$/).nullable().default(null),
  faults: faultsSchema.prefault({}),
  /** A finished run directory whose model.safetensors initialises the parameters; null: random init. */
  init: z.string().min(1).nullable().default(null),
  /**
   * The jax-js backend the run trains on: wasm (CPU, the default), webgpu (a GPU through Dawn; the
   * adapter is named in summary.json) or cpu (the slow exact interpreter). --resume keeps it.
   */
  backend: z.enum(BACKENDS as [Backend, ...Backend[]]).default("wasm"),
});

export type RunConfigInput = z.input<typeof runConfigSchema>;
type Parsed = z.output<typeof runConfigSchema>;

/** A fully resolved run config: what config.json holds. Every field is present. */
export interface RunConfig extends Omit<Parsed, "task" | "method" | "model" | "optimizer" | "budget"> {
  task: { name: string; options: Record<string, unknown>; limits: Limits | null };
  method: { name: string; options: Record<string, unknown> };
  model: Required<Omit<Parsed["model"], "looped">> & { looped?: LoopedRunConfig };
  optimizer: Required<Omit<Parsed["optimizer"], "decaySteps">> & { decaySteps: number | null };
  budget: { maxSteps: number | null; maxExamples: number | null; maxFlops: number | null };
}

/** A looped model's settings, resolved (present exactly when model.kind is looped). */
export type LoopedRunConfig = Required<z.output<typeof loopedSchema>>;

/** The schema's output before the derived fields are filled in. */
export type ParsedRunConfig = Parsed;
