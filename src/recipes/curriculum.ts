// Coconut's curriculum (arXiv 2412.06769, §3): training starts from the token CoT and, stage by
// stage, replaces the first k gold steps with k × c continuous thoughts; the remaining steps stay
// as tokens and are scored with the answer. After the last stage every step is latent and the
// chain has the model's K thoughts (set K = stages × c to match Coconut). Stage k's sequence:
//   read <bos> q <bot>  →  k·c latent positions  →  decode <eot> s_{k+1} <sep> … s_n <ans> a₁…a_m
//   targets                                              s_{k+1} …           s_n  ·   a₁…a_m <eos>
// The target of <ans> is never scored: at evaluation the answer marker is given, never chosen,
// so the final stage's loss is exactly the curriculum-free recipe's.
// Shapes are fixed per stage: every example of a batch has the same k·c thoughts (an example with
// fewer than k steps has all of them removed). Stage mixing (with probability p a stage drawn
// uniformly over 0..stages instead of the scheduled one) draws per batch (`mixing: "batch"`: one
// batch trains one stage, one trace per stage) or per example, as Coconut does (`"example"`: the
// batch is split by drawn stage, each group runs its stage's shapes and the gradients are summed,
// see curriculum-trainer.ts).
// What a latent position is belongs to the recipe: neuralese feeds the last hidden state back
// (a continuous thought), pause reads its learned `<latent>` filler token ("pause as thought").
import { z } from "zod";
import { SeededRng } from "../common/seeded-rng.js";
import { SPECIAL, type Example, type Limits } from "../tasks/index.js";
import { answerWidth, grid } from "./framing.js";
import type { Batch } from "./batch.js";
import { forcedBatch } from "./supervised-parts.js";

export const OPTIMIZER_RESETS = ["never", "stage", "epoch"] as const;
export const MIXINGS = ["batch", "example"] as const;

export const curriculumSchema = z
  .strictObject({
    /** Number of stages before the all-latent one: stage k = 0..stages−1 removes the first k steps; stage `stages` removes all. */
    stages: z.number().int().positive().max(64),
    /** c, thoughts per removed step. */
    latentPerStep: z.number().int().positive().max(64).default(1),
    /** Training steps per stage (give this or epochsPerStage). */
    stepsPerStage: z.number().int().positive().nullable().default(null),
    /** Epochs of the fixed training set per stage (needs trainExamples). */
    epochsPerStage: z.number().positive().nullable().default(null),
    /** With this probability a batch (or an example) trains a stage drawn uniformly from 0..stages instead of the scheduled one. */
    mixProbability: z.number().min(0).max(1).default(0),
    /** What mixProbability draws a stage for: the whole batch, or each example (Coconut's). */
    mixing: z.enum(MIXINGS).default("batch"),
    /** Re-initialise the optimizer state: never, at each new stage (Coconut), or at each epoch. */
    optimizerReset: z.enum(OPTIMIZER_RESETS).default("stage"),
  })
  .refine((c) => (c.stepsPerStage === null) !== (c.epochsPerStage === null), {
    message: "give exactly one of curriculum.stepsPerStage and curriculum.epochsPerStage",
  });

export type Curriculum = z.output<typeof curriculumSchema>;

/** The curriculum option of neuralese and pause: null (the default) trains the final stage only. */
export const curriculumOption = () => curriculumSchema.nullable().default(null);

/** What stage k looks like: how many gold steps are removed and how many latent positions replace them. */
export interface StageLayout {
  stage: number;
  /** Gold steps replaced (Infinity: all of them). */
  removed: number;
  /** Latent positions after `<bot>`. */
  latent: number;
}

/** Stage k's layout (k = stages: all steps removed, K thoughts). */
export function stageLayout(c: Pick<Curriculum, "stages" | "latentPerStep">, latentSteps: number, stage: number): StageLayout {
  if (!(Number.isInteger(stage) && stage >= 0 && stage <= c.stages)) throw new Error(`curriculum stage must be in 0..${c.stages}, got ${stage}`);
  return stage < c.stages ? { stage, removed: stage, latent: stage * c.latentPerStep } : { stage, removed: Infinity, latent: latentSteps };
}

/** Training steps one stage lasts (epochsPerStage × steps per epoch of the fixed training set). */
export function stepsPerStage(c: Curriculum, batchSize: number, trainExamples: number | null): number {
  if (c.stepsPerStage !== null) return c.stepsPerStage;
  if (trainExamples === null) {
    throw new Error("curriculum.epochsPerStage needs a fixed training set: give trainExamples (--train-examples N), or use curriculum.stepsPerStage");
  }
  return Math.max(1, Math.round((c.epochsPerStage! * trainExamples) / batchSize));
}

/** The scheduled stage at training step `step` (0-based): floor(step / perStage), at most `stages`. */
export const scheduledStage = (c: Pick<Curriculum, "stages">, perStage: number, step: number) => Math.min(c.stages, Math.floor(step / perStage));

/**
 * The stage a step trains: the scheduled one, or with probability mixProbability one drawn
 * uniformly from 0..stages (a pure function of seed and step, so a resumed run draws the same).
 */
export function stageAt(c: Curriculum, perStage: number, seed: number, step: number): number {
  const scheduled = scheduledStage(c, perStage, step);
  if (c.mixProbability === 0) return scheduled;
  const rng = SeededRng.of((seed ^ Math.imul(step + 1, 0x9e3779b1)) >>> 0);
  return rng.float() < c.mixProbability ? rng.int(0, c.stages) : scheduled;
}

/**
 * The stage each of a step's `n` examples trains under per-example mixing: the scheduled one, or
 * with probability mixProbability one drawn uniformly from 0..stages. A pure function of seed,
 * step and the example's place in the batch (a resumed run draws the same).
 */
export function stagesAt(c: Curriculum, perStage: number, seed: number, step: number, n: number): number[] {
  const scheduled = scheduledStage(c, perStage, step);
  if (c.mixProbability === 0) return globalThis.Array.from({ length: n }, () => scheduled);
  const rng = SeededRng.of((seed ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0);
  return globalThis.Array.from({ length: n }, () => {
    const u = rng.float(); // both draws every example, so example i's stage does not depend on the others'
    const k = rng.int(0, c.stages);
    return u < c.mixProbability ? k : scheduled;
  });
}

/** Rows a group of `n` examples is padded to: the next power of two, at most the batch size (few shapes, few traces). */
export const groupRows = (n: number, batchSize: number) => Math.min(Math.max(batchSize, n), 2 ** Math.ceil(Math.log2(Math.max(1, n))));

/** Width of `<eot> s_{k+1} <sep> … s_n <ans> a₁…a_m` at its longest, with k steps removed. */
export function restWidth(limits: Limits, removed: number): number {
  const left = Math.max(0, limits.maxSteps - removed);
  return 1 + left * limits.maxStepLength + Math.max(0, left - 1) + answerWidth(limits);
}

/**
 * One example's whole sequence at a stage, as the model sees it (inputs, in order): `<bos> q
 * <bot>`, `<latent>` at each latent position, then `<eot>`, the kept steps, `<ans>`, the answer.
 * The ground truth of which positions are latent (the tests read it; framing builds on it).
 */
export function stageSequence(e: Example, layout: StageLayout): { prompt: number[]; latent: number; rest: number[] } {
  const kept = e.steps.slice(Math.min(layout.removed, e.steps.length));
  const body = kept.flatMap((s, i) => (i === 0 ? s : [SPECIAL.separator, ...s]));
  return {
    prompt: [SPECIAL.begin, ...e.question, SPECIAL.beginThought],
    latent: layout.latent,
    rest: [SPECIAL.endThought, ...body, SPECIAL.answer, ...e.answer],
  };
}

/**
 * Stage batch: `prompt` [B, P] (`<bos> q`, left-padded as every recipe's), and the teacher-forced
 * rest: `restIn` [B, W], `restTarget` [B, W] (restIn shifted by one, ending `<eos>`), `restMask`
 * (1 on scored targets: kept steps, answer, `<eos>`; not the `<ans>` marker, not padding).
 */
export function stageFrame(examples: readonly Example[], limits: Limits, layout: StageLayout): Batch {
  const width = restWidth(limits, layout.removed);
  const rests = examples.map((e) => stageSequence(e, layout).rest);
  const long = rests.find((rest) => rest.length > width);
  if (long) throw new Error(`curriculum framing: ${long.length} tokens exceed the width ${width}`);
  const targets = rests.map((rest) => [...rest.slice(1), SPECIAL.end]);
  const mask = new Float32Array(examples.length * width);
  targets.forEach((target, r) => target.forEach((t, i) => (mask[r * width + i] = t === SPECIAL.answer ? 0 : 1)));
  return forcedBatch(examples, limits, "rest", { inputs: grid(rests, width, "right"), targets: grid(targets, width, "right"), mask });
}

/** The recipe side of a curriculum: the schedule, and the recipe that trains stage k. */
export interface CurriculumPlan<R> {
  schedule: Curriculum;
  stage(k: number): R;
}

/** Stages 0..stages of a curriculum (every stage's layout), for sizing sequences. */
export function allStages(c: Curriculum, latentSteps: number): StageLayout[] {
  return globalThis.Array.from({ length: c.stages + 1 }, (_, k) => stageLayout(c, latentSteps, k));
}
