// Training a supervised recipe in a run directory: the loop behind `neuralese train`.
// Data order is a pure function of the config (step s trains on train examples [sB, (s+1)B) of
// the seed's stream), so a resumed run sees exactly the batches an uninterrupted one would.
import { activeBackend } from "../engine/backend.js";
import { DataRng, modelKey } from "../engine/rng.js";
import { SeededRng } from "../common/seeded-rng.js";
import type { Tree } from "../engine/tree.js";
import { Budget } from "../methods/budget.js";
import { evaluate, makePredictor, type Evaluation } from "../methods/evaluate.js";
import { initParams, METHOD_CONFIG_SPECS, recipeFor, trainerFor } from "../methods/index.js";
import { forwardFlopsPerExample } from "../methods/supervised-trainer.js";
import type { Curriculum } from "../methods/curriculum.js";
import { makeReasoner } from "../models/index.js";
import type { Reasoner } from "../models/reasoner.js";
import { getTask, TaskOptionError, type Example } from "../tasks/index.js";
import { ConfigError } from "./config-errors.js";
import { reasonerConfigOf } from "./config.js";
import { optimizerFromConfig } from "./optimizer.js";
import type { RunDir } from "./run-dir.js";
import type { RunConfig } from "./config-schema.js";

/** A step's numbers, as written to metrics.jsonl. */
export interface StepLog {
  step: number;
  loss: number;
  accuracy: number;
  gradNorm: number;
  applied: boolean;
  examples: number;
  flops: number;
  wallMs: number;
  [diagnostic: string]: unknown;
}

export interface TrainHooks {
  onStep?(log: StepLog, totalSteps: number | null): void;
  onEval?(step: number, split: "val" | "test", evaluation: Evaluation): void;
}

/** Consecutive non-finite steps after which the run stops (issue 11 adds rollback). */
const MAX_BAD_STEPS_IN_A_ROW = 20;

export const RUN_METHOD_SPECS = METHOD_CONFIG_SPECS;

/**
 * Train the run `cfg` describes. The data are generated before `openRun` creates (or reopens)
 * the run directory, so a config the task cannot serve leaves nothing behind.
 */
export async function trainRun(cfg: RunConfig, openRun: () => Promise<RunDir>, hooks: TrainHooks = {}): Promise<Record<string, unknown>> {
  const task = getTask(cfg.task.name);
  const taskOptions = cfg.task.options;
  const limits = task.limits(taskOptions);
  const vocab = task.vocab(taskOptions);
  const reasoner = makeReasoner(reasonerConfigOf(cfg, vocab.size)) as Reasoner<Tree>;
  const recipe = recipeFor(cfg.method.name, cfg.model.latentSteps, cfg.method.options);
  const B = cfg.batchSize;
  const totalSteps = plannedSteps(cfg.budget, B, forwardFlopsPerExample({ recipe, reasoner, limits }));
  const stream = cfg.trainExamples ?? (totalSteps ?? 1000) * B;
  const train = generateOrExplain(() => task.generate(cfg.seed, "train", stream, taskOptions), cfg.trainExamples ? "trainExamples" : "budget.maxSteps",
    cfg.trainExamples ? "" : `the training stream holds budget steps × batchSize = ${stream} distinct questions`);
  const batchAt = epochBatches(train, B, cfg.seed);
  const val = generateOrExplain(() => task.generate(cfg.seed, "val", cfg.eval.valExamples, taskOptions), "eval.valExamples", "");

  checkCurriculum(recipe, cfg);
  const run = await openRun();
  // a finished run is reported, not trained or evaluated again
  if (run.existed && (await run.finished())) return run.readSummary();
  const trainer = trainerFor(cfg.method.name)({
    task,
    taskOptions,
    limits,
    reasoner,
    recipe,
    optimizer: optimizerFromConfig(cfg.optimizer),
    batchSize: B,
    seed: cfg.seed,
    trainExamples: cfg.trainExamples,
    options: cfg.method.options,
    params: initParams(recipe, reasoner, modelKey(cfg.seed)),
  });
  let budget = new Budget(cfg.budget);
  const dataRng = new DataRng(cfg.seed);
  let badInARow = 0;
  let skipped = 0;
  const predictor = makePredictor(recipe, reasoner, limits);
  try {
    if (run.existed) {
      const { checkpoint } = await run.resume(trainer.trees());
      if (checkpoint) {
        const { skippedSteps, ...extra } = checkpoint.extra ?? {};
        trainer.restore(checkpoint.trees, extra);
        budget = Budget.restore(checkpoint.budget);
        skipped = Number(skippedSteps ?? 0);
      }
    }
    const evalOn = (examples: readonly Example[]) => evaluate(predictor, recipe, task, trainer.trees().params, examples, limits, B);
    const checkpoint = () =>
      run.saveCheckpoint({
        step: budget.counters.steps,
        trees: trainer.trees(),
        dataRng: dataRng.state(),
        budget: budget.snapshot(),
        extra: { ...trainer.extra(), skippedSteps: skipped },
      });

    while (!budget.exhausted()) {
      const s = budget.counters.steps;
      const t0 = performance.now();
      const report = await trainer.step(batchAt(s), s);
      budget.charge({ ...report.charge, steps: 1, wallMs: performance.now() - t0 });
      badInARow = report.applied ? 0 : badInARow + 1;
      if (!report.applied) skipped++;
      if (badInARow >= MAX_BAD_STEPS_IN_A_ROW) {
        throw new Error(`${badInARow} training steps in a row had a non-finite loss or gradient (last loss ${report.loss}); lower the learning rate (--lr) or enable clipping (--clip-norm)`);
      }
      const c = budget.counters;
      const log: StepLog = {
        step: c.steps,
        loss: report.loss,
        accuracy: report.accuracy,
        gradNorm: report.gradNorm,
        applied: report.applied,
        examples: c.examples,
        flops: c.forwardFlops + c.backwardFlops,
        wallMs: c.wallMs,
        ...report.diagnostics,
      };
      await run.appendMetrics(log);
      hooks.onStep?.(log, totalSteps);
      if (c.steps % cfg.eval.every === 0 && !budget.exhausted()) {
        const e = await evalOn(val);
        await run.appendMetrics({ step: c.steps, split: "val", accuracy: e.accuracy, byDifficulty: e.byDifficulty, examples: c.examples, flops: c.forwardFlops + c.backwardFlops, wallMs: c.wallMs });
        hooks.onEval?.(c.steps, "val", e);
      }
      if (c.steps % cfg.checkpointEvery === 0) await checkpoint();
    }
    await checkpoint();
    const valEval = await evalOn(val);
    hooks.onEval?.(budget.counters.steps, "val", valEval);
    const testEval = await evalOn(task.generate(cfg.seed, "test", cfg.eval.testExamples, taskOptions));
    hooks.onEval?.(budget.counters.steps, "test", testEval);
    const c = budget.counters;
    const at = { examples: c.examples, flops: c.forwardFlops + c.backwardFlops, wallMs: c.wallMs };
    await run.appendMetrics({ step: c.steps, split: "val", accuracy: valEval.accuracy, byDifficulty: valEval.byDifficulty, ...at });
    await run.appendMetrics({ step: c.steps, split: "test", accuracy: testEval.accuracy, byDifficulty: testEval.byDifficulty, ...at });
    await run.saveModel(trainer.trees().params, { step: c.steps, vocab: vocab.size });
    const summary = {
      task: cfg.task.name,
      method: cfg.method.name,
      model: cfg.model.kind,
      seed: cfg.seed,
      backend: activeBackend(),
      steps: c.steps,
      distinctTrainExamples: Math.min(train.length, c.examples),
      skippedSteps: skipped,
      budget: c,
      val: valEval,
      test: testEval,
    };
    await run.writeSummary(summary);
    return summary;
  } finally {
    trainer.dispose();
    predictor.dispose();
    await run.close();
  }
}

/** A curriculum whose stages are counted in epochs needs a fixed training set: say so before a run directory exists. */
function checkCurriculum(recipe: { curriculum?: { schedule: Curriculum } }, cfg: RunConfig): void {
  const c = recipe.curriculum?.schedule;
  if (!c || cfg.trainExamples !== null) return;
  if (c.epochsPerStage !== null) {
    throw new ConfigError([{ path: "method.options.curriculum.epochsPerStage", message: "counts epochs of a fixed training set: give trainExamples (--train-examples N), or use curriculum.stepsPerStage" }]);
  }
  if (c.optimizerReset === "epoch") {
    throw new ConfigError([{ path: "method.options.curriculum.optimizerReset", message: '"epoch" needs a fixed training set: give trainExamples (--train-examples N), or reset "never" or per "stage"' }]);
  }
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

