// Training a supervised recipe in a run directory: the loop behind `neuralese train`.
// Data order is a pure function of the config (step s trains on train examples [sB, (s+1)B) of
// the seed's stream), so a resumed run sees exactly the batches an uninterrupted one would.
import { activeBackend } from "../engine/backend.js";
import { DataRng, modelKey } from "../engine/rng.js";
import { SeededRng } from "../common/seeded-rng.js";
import { dispose, restoreLike, type Tree } from "../engine/tree.js";
import type { Json } from "../common/json.js";
import type { FaultInjector } from "../trainers/trainer.js";
import { join } from "node:path";
import { loadModel } from "./model-file.js";
import { RUN_FILES } from "./format.js";
import { Budget } from "./budget.js";
import { evaluate, makePredictor, type Evaluation } from "./evaluate.js";
import { hackingEvaluation } from "./hacking-eval.js";
import { initParams, METHOD_CONFIG_SPECS, recipeFor, trainerFor } from "../trainers/index.js";
import { forwardFlopsPerExample } from "../trainers/supervised-trainer.js";
import type { Curriculum } from "../recipes/curriculum.js";
import { isLooped, makeReasoner } from "../models/index.js";
import type { Reasoner } from "../models/reasoner.js";
import { getTask, TaskOptionError, type Example } from "../tasks/index.js";
import { ConfigError } from "./config-errors.js";
import { reasonerConfigOf, runLimits } from "./config.js";
import { optimizerFromConfig } from "./optimizer.js";
import { TrainingFaultError } from "./faults.js";
import { RunDirError } from "./format.js";
import { readTrainData } from "./train-data.js";
import type { RunDir } from "./run-dir.js";
import type { Checkpoint } from "./checkpoint.js";
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
  /** After a rollback to the checkpoint at `event.step`. */
  onRollback?(event: RollbackEvent): void;
  /** Fault injection for reliability tests (runs/faults.ts); never set in ordinary runs. */
  faults?: FaultInjector;
}

/** The metrics record a rollback writes (at the step it rolled back to). */
export interface RollbackEvent {
  step: number;
  event: "rollback";
  /** The step count when the fault was declared (its steps past `step` are discarded). */
  fromStep: number;
  badSteps: number;
  lastLoss: number;
  rollbacks: number;
  /** The learning-rate factor from here on. */
  lrScale: number;
  [key: string]: unknown;
}

export const RUN_METHOD_SPECS = METHOD_CONFIG_SPECS;

/** The loop's own entries in a checkpoint's `extra` (the rest belongs to the trainer). */
interface LoopState {
  skippedSteps: number;
  lrScale: number;
  rollbacks: number;
  discardedSteps: number;
}

function splitExtra(extra: Record<string, Json> = {}): { loop: LoopState; trainData?: Json; rest: Record<string, Json> } {
  const { skippedSteps, lrScale, rollbacks, discardedSteps, trainData, ...rest } = extra;
  const loop = { skippedSteps: Number(skippedSteps ?? 0), lrScale: Number(lrScale ?? 1), rollbacks: Number(rollbacks ?? 0), discardedSteps: Number(discardedSteps ?? 0) };
  if (!(loop.lrScale > 0 && loop.lrScale <= 1)) throw new RunDirError(`the checkpoint holds a bad learning-rate scale ${JSON.stringify(lrScale)}`);
  return { loop, trainData, rest };
}

/**
 * Train the run `cfg` describes. The data are generated (or read from cfg.trainData) before
 * `openRun` creates (or reopens) the run directory, so a config the task cannot serve, or a bad
 * data file, leaves nothing behind.
 */
export async function trainRun(cfg: RunConfig, openRun: () => Promise<RunDir>, hooks: TrainHooks = {}): Promise<Record<string, unknown>> {
  const task = getTask(cfg.task.name);
  const taskOptions = cfg.task.options;
  const limits = runLimits(cfg);
  const vocab = task.vocab(taskOptions);
  const reasoner = makeReasoner(reasonerConfigOf(cfg, vocab.size)) as Reasoner<Tree>;
  const recipe = recipeFor(cfg.method.name, cfg.model.latentSteps, cfg.method.options);
  const B = cfg.batchSize;
  const totalSteps = plannedSteps(cfg.budget, B, forwardFlopsPerExample({ recipe, reasoner, limits }));
  const fileData = cfg.trainData === null ? undefined : await readTrainData(cfg.trainData, cfg.task.name, vocab, limits);
  if (fileData && cfg.trainDataSha256 !== null && fileData.sha256 !== cfg.trainDataSha256) {
    throw new RunDirError(`data file ${cfg.trainData} has changed since the run was configured (config.json records ${cfg.trainDataSha256})`, "train on the file the run started with, or start a new run with --force");
  }
  const stream = cfg.trainExamples ?? (totalSteps ?? 1000) * B;
  const train =
    fileData?.examples ??
    generateOrExplain(() => task.generate(cfg.seed, "train", stream, taskOptions), cfg.trainExamples ? "trainExamples" : "budget.maxSteps",
      cfg.trainExamples ? "" : `the training stream holds budget steps × batchSize = ${stream} distinct questions`);
  const batchAt = epochBatches(train, B, cfg.seed);
  const val = generateOrExplain(() => task.generate(cfg.seed, "val", cfg.eval.valExamples, taskOptions), "eval.valExamples", "");
  // drawn now, not after training: a test split too small for testExamples fails before any work
  const test = generateOrExplain(() => task.generate(cfg.seed, "test", cfg.eval.testExamples, taskOptions), "eval.testExamples", "");

  checkCurriculum(recipe, cfg);
  // the run's step-0 parameters: a fresh initialisation, or those of the run named by `init`
  const startParams = async () => {
    const fresh = initParams(recipe, reasoner, modelKey(cfg.seed));
    return cfg.init ? initFrom(cfg.init, fresh, recipe.reasonerKey) : fresh;
  };
  const params = await startParams();
  const run = await openRun();
  // a finished run is reported, not trained or evaluated again
  if (run.existed && (await run.finished())) {
    dispose(params);
    return run.readSummary();
  }
  // the learning-rate scale (lowered by rollbacks) is the optimizer's peak lr factor; a new trainer is built for each
  const makeTrainer = (lrScale: number, params: Tree = initParams(recipe, reasoner, modelKey(cfg.seed))) =>
    trainerFor(cfg.method.name, isLooped(reasoner))({
      task,
      taskOptions,
      limits,
      reasoner,
      recipe,
      optimizer: optimizerFromConfig({ ...cfg.optimizer, lr: cfg.optimizer.lr * lrScale }),
      batchSize: B,
      latentSteps: cfg.model.latentSteps,
      seed: cfg.seed,
      trainExamples: cfg.trainExamples,
      options: cfg.method.options,
      params,
      faults: hooks.faults,
      ...(cfg.model.looped
        ? { recurrence: { mean: cfg.model.looped.meanRecurrence, max: cfg.model.looped.maxRecurrence, backpropDepth: cfg.model.looped.backpropDepth } }
        : {}),
    });
  let trainer = makeTrainer(1, params);
  let budget = new Budget(cfg.budget);
  const dataRng = new DataRng(cfg.seed);
  const faults = cfg.faults;
  let loop: LoopState = { skippedSteps: 0, lrScale: 1, rollbacks: 0, discardedSteps: 0 };
  let badInARow = 0;
  const predictor = makePredictor(recipe, reasoner, limits);
  try {
    const changedData = () =>
      new RunDirError(`data file ${cfg.trainData} has changed since the run's last checkpoint`, "train on the file the run started with, or start a new run with --force");
    /** A trainer at `lrScale` (default: the checkpoint's own) holding a loaded checkpoint's trees. */
    const adopt = (ckpt: Checkpoint, lrScale?: number) => {
      let parts: ReturnType<typeof splitExtra>;
      try {
        parts = splitExtra(ckpt.extra);
        if (fileData && parts.trainData !== fileData.sha256) throw changedData();
      } catch (err) {
        dispose(ckpt.trees as Tree);
        throw err;
      }
      const next = makeTrainer(lrScale ?? parts.loop.lrScale);
      next.restore(ckpt.trees, parts.rest);
      return { trainer: next, budget: Budget.restore(ckpt.budget), saved: parts.loop, step: ckpt.step };
    };
    if (run.existed) {
      if (fileData && (await run.hasCheckpoint())) {
        // check the data file before resume() settles metrics.jsonl: a refused resume changes nothing
        const peek = await run.loadCheckpoint(trainer.trees());
        dispose(peek.trees as Tree);
        if (peek.extra?.trainData !== fileData.sha256) throw changedData();
      }
      const { checkpoint } = await run.resume(trainer.trees());
      if (checkpoint) {
        const r = adopt(checkpoint);
        trainer.dispose();
        [trainer, budget, loop] = [r.trainer, r.budget, r.saved];
      }
    }
    const evalOn = (examples: readonly Example[]) => evaluate(predictor, recipe, task, trainer.trees().params, examples, limits, B);
    const checkpoint = () =>
      run.saveCheckpoint({
        step: budget.counters.steps,
        trees: trainer.trees(),
        dataRng: dataRng.state(),
        budget: budget.snapshot(),
        extra: { ...trainer.extra(), ...loop, ...(fileData ? { trainData: fileData.sha256 } : {}) },
      });

    while (!budget.exhausted()) {
      const s = budget.counters.steps;
      const t0 = performance.now();
      const report = await trainer.step(batchAt(s), s);
      budget.charge({ ...report.charge, steps: 1, wallMs: performance.now() - t0 });
      badInARow = report.applied ? 0 : badInARow + 1;
      if (!report.applied) loop.skippedSteps++;
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
      if (badInARow >= faults.maxBadSteps) {
        const what = `${badInARow} training steps in a row (steps ${c.steps - badInARow + 1}..${c.steps}) had a non-finite loss or gradient (last loss ${report.loss}) and were skipped`;
        const hint = "lower the learning rate (--lr), enable clipping (--clip-norm), or allow more rollbacks (--set faults.maxRollbacks=N)";
        if (faults.onBadSteps === "stop") throw new TrainingFaultError(`${what}; the run stops (faults.onBadSteps is "stop"); the last checkpoint holds finite parameters`, hint);
        if (loop.rollbacks >= faults.maxRollbacks) throw new TrainingFaultError(`${what}, after ${loop.rollbacks} rollback(s) already (faults.maxRollbacks); the run stops; the last checkpoint holds finite parameters`, hint);
        // roll back: the last checkpoint (or the initial parameters when there is none yet) at a lower learning rate
        const lrScale = loop.lrScale * faults.lrFactor;
        let toStep = 0;
        if (await run.hasCheckpoint()) {
          const r = adopt(await run.loadCheckpoint(trainer.trees()), lrScale);
          trainer.dispose();
          [trainer, budget, toStep] = [r.trainer, r.budget, r.step];
        } else {
          trainer.dispose();
          [trainer, budget] = [makeTrainer(lrScale, await startParams()), new Budget(cfg.budget)];
        }
        loop = { ...loop, lrScale, rollbacks: loop.rollbacks + 1, discardedSteps: loop.discardedSteps + c.steps - toStep };
        badInARow = 0;
        const event: RollbackEvent = { step: toStep, event: "rollback", fromStep: c.steps, badSteps: faults.maxBadSteps, lastLoss: report.loss, rollbacks: loop.rollbacks, lrScale };
        await run.rewindMetrics(toStep);
        await run.appendMetrics(event);
        await checkpoint(); // the new lr scale is checkpoint state: a resume from here continues exactly
        hooks.onRollback?.(event);
        continue;
      }
      if (c.steps % cfg.eval.every === 0 && !budget.exhausted()) {
        const at = { examples: c.examples, flops: c.forwardFlops + c.backwardFlops, wallMs: c.wallMs };
        const e = await evalOn(val);
        await run.appendMetrics({ step: c.steps, split: "val", ...evalRecord(e), ...at });
        hooks.onEval?.(c.steps, "val", e);
        if (cfg.eval.testCurve) {
          const t = await evalOn(test);
          await run.appendMetrics({ step: c.steps, split: "test", ...evalRecord(t), ...at });
          hooks.onEval?.(c.steps, "test", t);
        }
      }
      if (c.steps % cfg.checkpointEvery === 0) await checkpoint();
    }
    await checkpoint();
    const valEval = await evalOn(val);
    hooks.onEval?.(budget.counters.steps, "val", valEval);
    const outputs = { answers: [] as number[][], chains: [] as number[][] };
    const testEval = await evaluate(predictor, recipe, task, trainer.trees().params, test, limits, B, outputs);
    hooks.onEval?.(budget.counters.steps, "test", testEval);
    // inexact tasks: what the final outputs score under the learned graders a policy could game
    const hacking = task.inexact ? await hackingEvaluation(task, taskOptions, limits, test, outputs.answers, outputs.chains) : undefined;
    const c = budget.counters;
    const at = { examples: c.examples, flops: c.forwardFlops + c.backwardFlops, wallMs: c.wallMs };
    await run.appendMetrics({ step: c.steps, split: "val", ...evalRecord(valEval), ...at });
    await run.appendMetrics({ step: c.steps, split: "test", ...evalRecord(testEval), ...at });
    await run.saveModel(trainer.trees().params, { step: c.steps, vocab: vocab.size });
    const summary = {
      task: cfg.task.name,
      method: cfg.method.name,
      model: cfg.model.kind,
      seed: cfg.seed,
      init: cfg.init,
      backend: activeBackend(),
      steps: c.steps,
      distinctTrainExamples: Math.min(train.length, c.examples),
      ...(fileData ? { trainData: { file: cfg.trainData, examples: train.length, sha256: fileData.sha256 } } : {}),
      skippedSteps: loop.skippedSteps,
      rollbacks: loop.rollbacks,
      lrScale: loop.lrScale,
      discardedSteps: loop.discardedSteps,
      budget: c,
      val: valEval,
      test: testEval,
      ...(hacking ? { hacking } : {}),
    };
    await run.writeSummary(summary);
    return summary;
  } finally {
    trainer.dispose();
    predictor.dispose();
    await run.close();
  }
}

/** An evaluation as a metrics record's fields. */
function evalRecord(e: Evaluation): Record<string, unknown> {
  const { n: _, ...fields } = e;
  return fields;
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

/**
 * The parameters of the finished run `dir` (its model.safetensors), shaped as `template` (consumed).
 * A recipe that adds parameters of its own (`reasonerKey`) also starts from a run that trained the
 * bare reasoner: the run's parameters fill template[reasonerKey], the rest stays as initialised.
 */
async function initFrom(dir: string, template: Tree, reasonerKey?: string): Promise<Tree> {
  const fail = (err: unknown): never => {
    throw new ConfigError([{ path: "init", message: `cannot initialise from ${dir}: ${(err as Error).message}; give a finished run of the same model and task` }]);
  };
  let loaded: Tree;
  try {
    loaded = (await loadModel(join(dir, RUN_FILES.model))).params;
  } catch (err) {
    dispose(template);
    return fail(err);
  }
  const parts = template as Record<string, Tree>;
  const bare = reasonerKey !== undefined && reasonerKey in parts && !(reasonerKey in (loaded as Record<string, Tree>));
  let params: Tree;
  try {
    params = bare ? { ...parts, [reasonerKey]: restoreLike(parts[reasonerKey], loaded) } : restoreLike(template, loaded);
  } catch (err) {
    dispose([loaded, template]);
    return fail(new Error(`its model file does not fit this model: ${(err as Error).message}`));
  }
  dispose(bare ? parts[reasonerKey] : template); // the leaves the run's replaced
  return params;
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

