// Training a supervised recipe in a run directory: the loop behind `neuralese train`.
// Data order is a pure function of the config (step s trains on train examples [sB, (s+1)B) of
// the seed's stream), so a resumed run sees exactly the batches an uninterrupted one would.
import { activeBackend } from "../engine/backend.js";
import type { Array } from "../engine/jax.js";
import { DataRng, modelKey } from "../engine/rng.js";
import { SeededRng } from "../common/seeded-rng.js";
import { dispose, type Tree } from "../engine/tree.js";
import { Budget } from "../methods/budget.js";
import { evaluate, makePredictor, type Evaluation } from "../methods/evaluate.js";
import { METHOD_CONFIG_SPECS, recipeFor } from "../methods/index.js";
import { makeSupervisedStep } from "../methods/supervised-step.js";
import { makeReasoner } from "../models/index.js";
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
  const reasoner = makeReasoner(reasonerConfigOf(cfg, vocab.size));
  const recipe = recipeFor(cfg.method.name, cfg.model.latentSteps, cfg.method.options);
  const optimizer = optimizerFromConfig(cfg.optimizer);
  const B = cfg.batchSize;
  const positions = recipe.positions(limits);
  const pf = reasoner.positionFlops;
  const forwardPerExample = positions.read * pf.read + positions.think * pf.think + positions.decode * pf.decode;
  const tokensPerExample = positions.read + positions.think + positions.decode;
  const totalSteps = plannedSteps(cfg.budget, B, forwardPerExample);
  const stream = cfg.trainExamples ?? (totalSteps ?? 1000) * B;
  const train = generateOrExplain(() => task.generate(cfg.seed, "train", stream, taskOptions), cfg.trainExamples ? "trainExamples" : "budget.maxSteps",
    cfg.trainExamples ? "" : `the training stream holds budget steps × batchSize = ${stream} distinct questions`);
  const batchAt = epochBatches(train, B, cfg.seed);
  const val = generateOrExplain(() => task.generate(cfg.seed, "val", cfg.eval.valExamples, taskOptions), "eval.valExamples", "");

  const run = await openRun();
  // a finished run is reported, not trained or evaluated again
  if (run.existed && (await run.finished())) return run.readSummary();
  let params = reasoner.init(modelKey(cfg.seed)) as Tree;
  let optState = optimizer.init(params) as Tree;
  let budget = new Budget(cfg.budget);
  const dataRng = new DataRng(cfg.seed);
  let badInARow = 0;
  let skipped = 0;
  if (run.existed) {
    const { checkpoint } = await run.resume({ params, optimizer: optState });
    if (checkpoint) {
      dispose(params);
      dispose(optState);
      [params, optState] = [checkpoint.trees.params, checkpoint.trees.optimizer];
      budget = Budget.restore(checkpoint.budget);
      skipped = Number(checkpoint.extra?.skippedSteps ?? 0);
    }
  }

  const step = makeSupervisedStep(recipe, reasoner, optimizer);
  const predictor = makePredictor(recipe, reasoner, limits);
  const evalOn = (examples: readonly Example[]) => evaluate(predictor, recipe, task, params, examples, limits, B);
  const checkpoint = () =>
    run.saveCheckpoint({
      step: budget.counters.steps,
      trees: { params, optimizer: optState },
      dataRng: dataRng.state(),
      budget: budget.snapshot(),
      extra: { skippedSteps: skipped },
    });

  try {
    while (!budget.exhausted()) {
      const s = budget.counters.steps;
      const examples = batchAt(s);
      const t0 = performance.now();
      const [lossArray, nextParams, nextState, metrics, health] = step(params, optState, recipe.frame(examples, limits));
      [params, optState] = [nextParams, nextState];
      const [loss, accuracy, gradNorm, applied] = await Promise.all([lossArray, metrics.accuracy, health.gradNorm, health.applied].map(scalar));
      const diagnostics = Object.fromEntries(await Promise.all(Object.entries(metrics.diagnostics).map(async ([k, v]) => [k, await vector(v)])));
      const wallMs = performance.now() - t0;
      const flops = { forward: B * forwardPerExample, backward: 2 * B * forwardPerExample };
      budget.charge({ steps: 1, examples: B, forwardTokens: B * tokensPerExample, backwardTokens: B * tokensPerExample, flops, wallMs });
      badInARow = applied ? 0 : badInARow + 1;
      if (!applied) skipped++;
      if (badInARow >= MAX_BAD_STEPS_IN_A_ROW) {
        throw new Error(`${badInARow} training steps in a row had a non-finite loss or gradient (last loss ${loss}); lower the learning rate (--lr) or enable clipping (--clip-norm)`);
      }
      const c = budget.counters;
      const log: StepLog = { step: c.steps, loss, accuracy, gradNorm, applied: applied === 1, examples: c.examples, flops: c.forwardFlops + c.backwardFlops, wallMs: c.wallMs, ...diagnostics };
      await run.appendMetrics(log);
      hooks.onStep?.(log, totalSteps);
      if (c.steps % cfg.eval.every === 0 && !budget.exhausted()) {
        const e = await evalOn(val);
        await run.appendMetrics({ step: c.steps, split: "val", accuracy: e.accuracy, byDifficulty: e.byDifficulty });
        hooks.onEval?.(c.steps, "val", e);
      }
      if (c.steps % cfg.checkpointEvery === 0) await checkpoint();
    }
    await checkpoint();
    const valEval = await evalOn(val);
    hooks.onEval?.(budget.counters.steps, "val", valEval);
    const testEval = await evalOn(task.generate(cfg.seed, "test", cfg.eval.testExamples, taskOptions));
    hooks.onEval?.(budget.counters.steps, "test", testEval);
    await run.appendMetrics({ step: budget.counters.steps, split: "val", accuracy: valEval.accuracy, byDifficulty: valEval.byDifficulty });
    await run.appendMetrics({ step: budget.counters.steps, split: "test", accuracy: testEval.accuracy, byDifficulty: testEval.byDifficulty });
    await run.saveModel(params, { step: budget.counters.steps, vocab: vocab.size });
    const summary = {
      task: cfg.task.name,
      method: cfg.method.name,
      model: cfg.model.kind,
      seed: cfg.seed,
      backend: activeBackend(),
      steps: budget.counters.steps,
      distinctTrainExamples: Math.min(train.length, budget.counters.examples),
      skippedSteps: skipped,
      budget: budget.counters,
      val: valEval,
      test: testEval,
    };
    await run.writeSummary(summary);
    return summary;
  } finally {
    step.dispose();
    predictor.dispose();
    dispose(params);
    dispose(optState);
    await run.close();
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

const scalar = async (x: Array): Promise<number> => (await x.data())[0];
const vector = async (x: Array): Promise<number[]> => globalThis.Array.from(await x.data(), (v) => Number(v));
