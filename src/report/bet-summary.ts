// The bet's machine-readable results (DIR/summary.json) as a zod schema: what the report renders
// and what other tools may read. DIR/summary.schema.json is its JSON Schema. Every wall-clock
// figure sits in a field whose name contains "wall" (they vary between machines and between a
// resumed and an uninterrupted bet; nothing else does).
import { z } from "zod";

export const BET_SUMMARY_FORMAT = "neuralese-bet-summary";
export const BET_SUMMARY_VERSION = 1;

const interval = z.strictObject({
  mean: z.number(),
  lo: z.number(),
  hi: z.number(),
  std: z.number(),
  n: z.number().int().nonnegative(),
});

/** Examples, FLOPs or wall time to reach the target, over the seeds that reached it. */
const toTarget = z.strictObject({
  /** Per seed, in seed order; null where the seed never reached the target. */
  values: z.array(z.number().nullable()),
  /**
   * Per seed: the cost at the last evaluation below the target before `values` (0 when the first
   * evaluation reached it; null where never reached). The crossing lies in (before, value].
   */
  before: z.array(z.number().nullable()).optional(),
  reached: z.number().int().nonnegative(),
  /** Over the seeds that reached it (null when none did). */
  interval: interval.nullable(),
});

export const curvePointSchema = z.strictObject({
  step: z.number().int().nonnegative(),
  examples: z.number().nonnegative(),
  flops: z.number().nonnegative(),
  wallMs: z.number().nonnegative(),
  val: z.number().min(0).max(1).nullable(),
  test: z.number().min(0).max(1).nullable(),
});

/** Reward-hacking diagnostics over training (grpo with a learned reward model), averaged over a window of steps. */
export const hackingPointSchema = z.strictObject({
  step: z.number().nonnegative(),
  trueQuality: z.number(),
  proxyReward: z.number(),
  injectionAnswer: z.number(),
  injectionChain: z.number(),
  injectionTokens: z.number().optional(),
  diversity: z.number(),
  proxyGap: z.number(),
});

export const adaptiveRunSchema = z.strictObject({
  stepsUsed: z.number().nonnegative(),
  latentSteps: z.number().int().positive(),
  spearman: z.number().min(-1).max(1).nullable(),
  /** Spearman(steps the task says each question needs, steps used), for tasks that know it (Task.stepsNeeded). */
  spearmanNeeded: z.number().min(-1).max(1).nullable().optional(),
  /** The oracle halting rule on the same chain (first block as good as the last): its mean steps and Spearman; null when the recipe does not decode every block. */
  oracle: z.strictObject({ stepsUsed: z.number().nonnegative(), spearman: z.number().min(-1).max(1).nullable() }).nullable().optional(),
});

/**
 * How much of a run's chain can be read (issue 12), from its inspect.json. Per step k (thought k,
 * or written step k for a token chain), in step order; null where too few examples had a step k.
 */
export const runMonitorSchema = z.strictObject({
  kind: z.enum(["latent", "cot"]),
  /** latent: held-out accuracy of a linear probe reading step k's variable from thought k; cot: how often written step k is the true variable. */
  readout: z.array(z.number().nullable()),
  /** latent: the same probe fitted on shuffled labels (chance as a probe sees it); null for cot. */
  control: z.array(z.number().nullable()).nullable(),
  /** latent: how often the output head's top token on thought k is step k's variable (logit lens); null for cot. */
  lensTop1: z.array(z.number().nullable()).nullable(),
  /** cot: fraction of answers that change when written step 1 is corrupted; null for latent. */
  corruptionChanged: z.number().nullable(),
  /** Examples inspected (half fit the probes, half score them). */
  n: z.number().int().nonnegative(),
});

/** Reward hacking of a run's final greedy test outputs (inexact tasks): true quality, learned graders' scores, injection rates. */
export const hackingFinalSchema = z.strictObject({
  trueQuality: z.number(),
  /** Flawed-label reward model reading the answer only / the chain and the answer. */
  proxyAnswer: z.number(),
  proxyChain: z.number(),
  injectionAnswer: z.number(),
  injectionChain: z.number(),
  injectionTokens: z.number(),
  diversity: z.number(),
});

/** A run's score on one data file (its DIR/data-NAME.json, written by `neuralese eval --data`'s scorer). */
export const dataScoreSchema = z.strictObject({
  examples: z.number().int().positive(),
  sha256: z.string(),
  accuracy: z.number().min(0).max(1),
  byDifficulty: z.record(z.string(), z.number().min(0).max(1)),
  namesAnOption: z.number().min(0).max(1).nullable(),
});

export const runResultSchema = z.strictObject({
  id: z.string(),
  task: z.string(),
  arm: z.string(),
  seed: z.number().int().nonnegative(),
  budget: z.string(),
  /** Relative to the bet directory. */
  dir: z.string(),
  status: z.enum(["finished", "failed", "missing"]),
  error: z.string().nullable(),
  steps: z.number().int().nonnegative(),
  examples: z.number().nonnegative(),
  flops: z.number().nonnegative(),
  forwardTokens: z.number().nonnegative(),
  backwardTokens: z.number().nonnegative(),
  wallMs: z.number().nonnegative(),
  val: z.number().min(0).max(1).nullable(),
  test: z.number().min(0).max(1).nullable(),
  /** Fraction of the final greedy test outputs with an answer to read (1: never malformed); null for runs that are not finished. */
  wellFormed: z.number().min(0).max(1).nullable().optional(),
  testByDifficulty: z.record(z.string(), z.number()),
  /** Mean latent steps used per difficulty on the test split (halting / exit rules only). */
  stepsUsedByDifficulty: z.record(z.string(), z.number()).nullable(),
  /** Runs that choose their steps per example (test split): mean steps used, the most (K), Spearman(difficulty, steps) (null: either constant). */
  adaptive: adaptiveRunSchema.nullable().optional(),
  curve: z.array(curvePointSchema),
  /** Gradient norm arriving at each latent step, averaged over the last fifth of training (neuralese-type runs). */
  gradNormProfile: z.array(z.number()).nullable(),
  /** Reward-hacking curve (grpo with reward "model" only). */
  hacking: z.array(hackingPointSchema).nullable().optional(),
  /** Reward hacking of the final test outputs (inexact tasks only). */
  hackingFinal: hackingFinalSchema.nullable().optional(),
  /** Chain readability (runs with a latent chain or a token CoT on a task with known intermediates). */
  monitor: runMonitorSchema.nullable().optional(),
  /**
   * The run started from another run's parameters (its arm's initArm): that run's id and cost,
   * already included in this run's counters and curve (the start is part of the recipe's price).
   */
  initCharged: z.strictObject({ from: z.string(), examples: z.number().nonnegative(), flops: z.number().nonnegative(), wallMs: z.number().nonnegative() }).nullable().optional(),
  /** Scores on the bet's data files (spec.evalData), by file name: the final model's accuracy, per difficulty, and (Coconut files) how often it names an option. */
  data: z.record(z.string(), dataScoreSchema).optional(),
});

/** runMonitorSchema over an arm's seeds: bootstrap intervals per step, means elsewhere. */
export const armMonitorSchema = z.strictObject({
  kind: z.enum(["latent", "cot"]),
  seeds: z.number().int().positive(),
  readout: z.array(interval.nullable()),
  control: z.array(z.number().nullable()).nullable(),
  lensTop1: z.array(z.number().nullable()).nullable(),
  corruptionChanged: interval.nullable(),
});

export const armSummarySchema = z.strictObject({
  task: z.string(),
  arm: z.string(),
  label: z.string(),
  method: z.string(),
  budget: z.string(),
  seeds: z.array(z.number().int()),
  finishedSeeds: z.number().int().nonnegative(),
  test: interval.nullable(),
  val: interval.nullable(),
  testByDifficulty: z.record(z.string(), interval),
  examplesToTarget: toTarget,
  flopsToTarget: toTarget,
  wallMsToTarget: toTarget,
  stepsUsedByDifficulty: z.record(z.string(), z.number()).nullable(),
  /**
   * adaptiveRunSchema over the finished seeds: intervals of the mean steps used and of Spearman
   * (over the seeds where it is defined: `spearmanSeeds`), and the most steps K.
   */
  adaptive: z
    .strictObject({
      stepsUsed: interval,
      latentSteps: z.number().int().positive(),
      spearman: interval.nullable(),
      spearmanSeeds: z.number().int().nonnegative(),
      /** Spearman against the steps each question needs, mean over the seeds that have it. */
      spearmanNeeded: z.number().nullable().optional(),
      /** The oracle halting rule's mean steps and Spearman (means over the seeds that have them). */
      oracleSteps: z.number().nullable().optional(),
      oracleSpearman: z.number().nullable().optional(),
    })
    .nullable()
    .optional(),
  gradNormProfile: z.array(z.number()).nullable(),
  monitor: armMonitorSchema.nullable().optional(),
  /** Per field of the runs' final hacking figures, the interval over finished seeds (inexact tasks only). */
  hackingFinal: z.record(z.string(), interval).nullable().optional(),
  /** dataScoreSchema over the seeds scored on each data file: intervals overall and per difficulty. */
  data: z.record(z.string(), z.strictObject({ seeds: z.number().int().positive(), accuracy: interval, byDifficulty: z.record(z.string(), interval), namesAnOption: interval.nullable() })).optional(),
});

/**
 * One arm's cost to the target against the reference arm's (other ÷ reference, paired by seed).
 * ratio: both reached it in every seed; atLeast: the other arm did not in some seeds, whose whole
 * budget stands in (a lower bound); atMost: the reference did not (an upper bound); neither: no
 * seed of either did; undetermined: both missed it in some seeds.
 */
export const costRatioSchema = z.strictObject({
  kind: z.enum(["ratio", "atLeast", "atMost", "neither", "undetermined", "noData"]),
  value: z.number().nullable(),
  /**
   * Paired percentile-bootstrap interval (95%) over seeds, widened by the evaluation grid: each
   * run reached the target somewhere between the evaluation before and the one that saw it. hi
   * null with lo set: unbounded above (the reference reached it at its first evaluation).
   */
  lo: z.number().nullable(),
  hi: z.number().nullable(),
  seeds: z.number().int().nonnegative(),
  referenceReached: z.number().int().nonnegative(),
  otherReached: z.number().int().nonnegative(),
  /** The largest budget (examples or FLOPs) of a run that did not reach the target; null when all did. */
  censoredAt: z.number().nullable(),
  text: z.string(),
});

export const comparisonSchema = z.strictObject({
  arm: z.string(),
  label: z.string(),
  /** An arm the bet is about: policy gradient with a likelihood reward or evolution strategies, from scratch. */
  bet: z.boolean(),
  /** Who needed fewer examples: the reference, the other arm, or not settled by the intervals. */
  outcome: z.enum(["reference", "other", "inconclusive"]),
  examples: costRatioSchema,
  flops: costRatioSchema,
});

/** The bet's answer for one task and budget: the reference arm (neuralese) against every other arm. */
export const verdictSchema = z.strictObject({
  task: z.string(),
  budget: z.string(),
  reference: z.string(),
  referenceLabel: z.string(),
  /** Seeds behind the answer (finished in the reference arm). */
  seeds: z.number().int().nonnegative(),
  comparisons: z.array(comparisonSchema),
  answer: z.string(),
});

export const betSummarySchema = z.strictObject({
  format: z.literal(BET_SUMMARY_FORMAT),
  version: z.literal(BET_SUMMARY_VERSION),
  preset: z.string(),
  tasks: z.array(z.string()),
  /** The accuracy the *-to-target figures refer to, on the split named. */
  target: z.strictObject({ accuracy: z.number().min(0).max(1), split: z.enum(["val", "test"]) }),
  arms: z.array(
    z.strictObject({
      id: z.string(),
      label: z.string(),
      method: z.string(),
      options: z.record(z.string(), z.unknown()),
      /** The arm whose finished run this arm starts from (its cost is charged to this arm); null: from scratch. */
      initArm: z.string().nullable().optional(),
    }),
  ),
  budgets: z.array(z.strictObject({ id: z.string(), label: z.string() })),
  seeds: z.array(z.number().int().nonnegative()),
  runs: z.array(runResultSchema),
  summaries: z.array(armSummarySchema),
  /** The computed answer to the bet, per task and budget (src/experiments/bet/verdict.ts); empty when the bet has no neuralese arm. */
  verdicts: z.array(verdictSchema).default([]),
  /** Where and how long (varies between machines and resumes). */
  wall: z.strictObject({ machine: z.string(), jobs: z.number().int().positive(), runWallMsTotal: z.number().nonnegative() }),
  notes: z.array(z.string()),
});

export type DataScore = z.infer<typeof dataScoreSchema>;
export type Interval = z.infer<typeof interval>;
export type CurvePoint = z.infer<typeof curvePointSchema>;
export type HackingPoint = z.infer<typeof hackingPointSchema>;
export type HackingFinal = z.infer<typeof hackingFinalSchema>;
export type RunResult = z.infer<typeof runResultSchema>;
export type AdaptiveRun = z.infer<typeof adaptiveRunSchema>;
export type RunMonitor = z.infer<typeof runMonitorSchema>;
export type ArmMonitor = z.infer<typeof armMonitorSchema>;
export type ArmSummary = z.infer<typeof armSummarySchema>;
export type BetSummary = z.infer<typeof betSummarySchema>;
export type CostRatio = z.infer<typeof costRatioSchema>;
export type Comparison = z.infer<typeof comparisonSchema>;
export type Verdict = z.infer<typeof verdictSchema>;

/** The JSON Schema of summary.json (draft 2020-12), written next to it. */
export function betSummaryJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(betSummarySchema) as Record<string, unknown>;
}
