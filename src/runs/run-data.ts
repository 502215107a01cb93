// The data part of a training run: the model and recipe the config names, the training examples
// (generated, or read from cfg.trainData) in seeded epoch order, and the validation and test
// splits. Data order is a pure function of the config (step s trains on draws [sB, (s+1)B) of
// the seed's stream), so a resumed run sees exactly the batches an uninterrupted one would.
import { SeededRng } from "../common/seeded-rng.js";
import type { Tree } from "../engine/tree.js";
import { makeReasoner } from "../models/index.js";
import type { Reasoner } from "../models/reasoner.js";
import { getTask, TaskOptionError, type Example } from "../tasks/index.js";
import { recipeFor } from "../trainers/index.js";
import { forwardFlopsPerExample } from "../trainers/supervised-trainer.js";
import { ConfigError } from "./config-errors.js";
import type { RunConfig } from "./config-schema.js";
import { reasonerConfigOf, runLimits } from "./config.js";
import { RunDirError } from "./format.js";
import { readTrainData } from "./train-data.js";

/** What a run trains (task, limits, model, recipe) and the steps its budget allows, built from its config. */
export type RunModel = ReturnType<typeof runModel>;

export function runModel(cfg: RunConfig) {
  const task = getTask(cfg.task.name);
  const limits = runLimits(cfg);
  const vocab = task.vocab(cfg.task.options);
  const reasoner = makeReasoner(reasonerConfigOf(cfg, vocab.size)) as Reasoner<Tree>;
  const recipe = recipeFor(cfg.method.name, cfg.model.latentSteps, cfg.method.options);
  const totalSteps = plannedSteps(cfg.budget, cfg.batchSize, forwardFlopsPerExample({ recipe, reasoner, limits }));
  return { task, taskOptions: cfg.task.options, limits, vocab, reasoner, recipe, totalSteps };
}

/** The training examples (from the data file, `fileData`, or generated), the batch of each step, val and test. */
export type RunData = Awaited<ReturnType<typeof runData>>;

export async function runData(cfg: RunConfig, m: RunModel) {
  const { task, taskOptions } = m;
  const fileData = cfg.trainData === null ? undefined : await readTrainData(cfg.trainData, cfg.task.name, m.vocab, m.limits);
  if (fileData && cfg.trainDataSha256 !== null && fileData.sha256 !== cfg.trainDataSha256) {
    throw new RunDirError(`data file ${cfg.trainData} has changed since the run was configured (config.json records ${cfg.trainDataSha256})`, "train on the file the run started with, or start a new run with --force");
  }
  const stream = cfg.trainExamples ?? (m.totalSteps ?? 1000) * cfg.batchSize;
  const train =
    fileData?.examples ??
    generateOrExplain(() => task.generate(cfg.seed, "train", stream, taskOptions), cfg.trainExamples ? "trainExamples" : "budget.maxSteps",
      cfg.trainExamples ? "" : `the training stream holds budget steps × batchSize = ${stream} distinct questions`);
  const batchAt = epochBatches(train, cfg.batchSize, cfg.seed);
  const val = generateOrExplain(() => task.generate(cfg.seed, "val", cfg.eval.valExamples, taskOptions), "eval.valExamples", "");
  // drawn now, not after training: a test split too small for testExamples fails before any work
  const test = generateOrExplain(() => task.generate(cfg.seed, "test", cfg.eval.testExamples, taskOptions), "eval.testExamples", "");
  return { fileData, train, batchAt, val, test };
}

/** Steps the budget allows (null when only a FLOP budget bounds it and none is given). */
function plannedSteps(b: { maxSteps: number | null; maxExamples: number | null; maxFlops: number | null }, batch: number, forwardPerExample: number): number | null {
  const limits = [
    b.maxSteps,
    b.maxExamples === null ? null : Math.ceil(b.maxExamples / batch),
    b.maxFlops === null ? null : Math.ceil(b.maxFlops / (3 * batch * forwardPerExample)),
  ].filter((x): x is number => x !== null);
  return limits.length ? Math.min(...limits) : null;
}

/**
 * The batch of step `s`: draws s·B … s·B + B − 1 of the training examples taken in epochs, each
 * epoch in its own seeded order (a pure function of seed and epoch, so resume needs no state).
 * A stream as long as the whole budget is one epoch.
 */
function epochBatches(train: readonly Example[], batch: number, seed: number): (s: number) => Example[] {
  const orders = new Map<number, number[]>();
  const order = (epoch: number) => {
    if (!orders.has(epoch)) {
      orders.clear(); // steps move forward: one epoch at a time is enough
      const ids = globalThis.Array.from({ length: train.length }, (_, i) => i);
      orders.set(epoch, epoch === 0 ? ids : SeededRng.of(seed, epoch).shuffle(ids));
    }
    return orders.get(epoch)!;
  };
  return (s) =>
    globalThis.Array.from({ length: batch }, (_, j) => {
      const draw = s * batch + j;
      return train[order(Math.floor(draw / train.length))[draw % train.length]];
    });
}

/** A generator's "not enough distinct questions" as a config error naming the field to change. */
function generateOrExplain(generate: () => Example[], path: string, why: string): Example[] {
  try {
    return generate();
  } catch (err) {
    if (!(err instanceof TaskOptionError)) throw err;
    throw new ConfigError([{ path, message: `${why ? `${why}; ` : ""}${err.message}. Lower ${path}, or choose task options with more distinct questions` }]);
  }
}
