// The init/resume part of a training run: the step-0 parameters (fresh, or those of the run named
// by `init`), the trainer the method registry chooses, and what a checkpoint restores (the
// trainer's trees and JSON state, the budget spent, the loop's own counters).
import { join } from "node:path";
import type { Json } from "../common/json.js";
import { modelKey } from "../engine/rng.js";
import { dispose, restoreLike, type Tree } from "../engine/tree.js";
import { isLooped } from "../models/index.js";
import type { Curriculum } from "../recipes/curriculum.js";
import { initParams, trainerFor, type MethodTrainer } from "../trainers/index.js";
import type { FaultInjector } from "../trainers/trainer.js";
import { Budget } from "./budget.js";
import type { Checkpoint } from "./checkpoint.js";
import { ConfigError } from "./config-errors.js";
import type { RunConfig } from "./config-schema.js";
import { RUN_FILES, RunDirError } from "./format.js";
import { loadModel } from "./model-file.js";
import { optimizerFromConfig } from "./optimizer.js";
import type { RunData, RunModel } from "./run-data.js";
import type { RunDir } from "./run-dir.js";

/** The loop's own entries in a checkpoint's `extra` (the rest belongs to the trainer). */
export interface LoopState {
  skippedSteps: number;
  lrScale: number;
  rollbacks: number;
  discardedSteps: number;
}

/** What the loop trains with: the trainer, the budget spent so far, the loop's counters. */
export interface Training {
  trainer: MethodTrainer;
  budget: Budget;
  loop: LoopState;
}

/**
 * How a run (re)builds its trainer: `make` at a learning-rate scale (rollbacks lower it) from
 * given or fresh parameters, `startParams` (the step-0 parameters), and `adopt`, a trainer at
 * `lrScale` (default: the checkpoint's own) holding a loaded checkpoint's trees, with its budget and counters.
 */
export type TrainerMaker = ReturnType<typeof trainerMaker>;

/** `initDir`: where the run named by `cfg.init` is on this machine (a queue worker's download); default `cfg.init`. */
export function trainerMaker(cfg: RunConfig, m: RunModel, data: RunData, faults?: FaultInjector, initDir?: string) {
  const { task, taskOptions, limits, reasoner, recipe } = m;
  const looped = cfg.model.looped;
  const make = (lrScale: number, params: Tree = initParams(recipe, reasoner, modelKey(cfg.seed))) =>
    trainerFor(cfg.method.name, isLooped(reasoner))({
      task,
      taskOptions,
      limits,
      reasoner,
      recipe,
      optimizer: optimizerFromConfig({ ...cfg.optimizer, lr: cfg.optimizer.lr * lrScale }),
      batchSize: cfg.batchSize,
      latentSteps: cfg.model.latentSteps,
      seed: cfg.seed,
      trainExamples: cfg.trainExamples,
      options: cfg.method.options,
      params,
      faults,
      ...(looped ? { recurrence: { mean: looped.meanRecurrence, max: looped.maxRecurrence, backpropDepth: looped.backpropDepth } } : {}),
    });
  return {
    make,
    async startParams(): Promise<Tree> {
      const fresh = initParams(recipe, reasoner, modelKey(cfg.seed));
      return cfg.init ? initFrom(initDir ?? cfg.init, fresh, recipe.reasonerKey) : fresh;
    },
    adopt(ckpt: Checkpoint, lrScale?: number): Training & { step: number } {
      let parts: ReturnType<typeof splitExtra>;
      try {
        parts = splitExtra(ckpt.extra);
        if (data.fileData && parts.trainData !== data.fileData.sha256) throw changedData(cfg);
      } catch (err) {
        dispose(ckpt.trees as Tree);
        throw err;
      }
      const trainer = make(lrScale ?? parts.loop.lrScale);
      trainer.restore(ckpt.trees, parts.rest);
      return { trainer, budget: Budget.restore(ckpt.budget), loop: parts.loop, step: ckpt.step };
    },
  };
}

/** `t` resumed from the run directory's last checkpoint, if any (a data file must be the one the run started with). */
export async function resume(run: RunDir, t: Training, maker: TrainerMaker, data: RunData, cfg: RunConfig): Promise<Training> {
  if (!run.existed) return t;
  if (data.fileData && (await run.hasCheckpoint())) {
    // check the data file before resume() settles metrics.jsonl: a refused resume changes nothing
    const peek = await run.loadCheckpoint(t.trainer.trees());
    dispose(peek.trees as Tree);
    if (peek.extra?.trainData !== data.fileData.sha256) throw changedData(cfg);
  }
  const { checkpoint } = await run.resume(t.trainer.trees());
  if (!checkpoint) return t;
  const r = maker.adopt(checkpoint);
  t.trainer.dispose();
  return { trainer: r.trainer, budget: r.budget, loop: r.loop };
}

const changedData = (cfg: RunConfig) =>
  new RunDirError(`data file ${cfg.trainData} has changed since the run's last checkpoint`, "train on the file the run started with, or start a new run with --force");

function splitExtra(extra: Record<string, Json> = {}): { loop: LoopState; trainData?: Json; rest: Record<string, Json> } {
  const { skippedSteps, lrScale, rollbacks, discardedSteps, trainData, ...rest } = extra;
  const loop = { skippedSteps: Number(skippedSteps ?? 0), lrScale: Number(lrScale ?? 1), rollbacks: Number(rollbacks ?? 0), discardedSteps: Number(discardedSteps ?? 0) };
  if (!(loop.lrScale > 0 && loop.lrScale <= 1)) throw new RunDirError(`the checkpoint holds a bad learning-rate scale ${JSON.stringify(lrScale)}`);
  return { loop, trainData, rest };
}

/** A curriculum whose stages are counted in epochs needs a fixed training set: say so before a run directory exists. */
export function checkCurriculum(recipe: { curriculum?: { schedule: Curriculum } }, cfg: RunConfig): void {
  const c = recipe.curriculum?.schedule;
  if (!c || cfg.trainExamples !== null) return;
  if (c.epochsPerStage !== null) {
    throw new ConfigError([{ path: "method.options.curriculum.epochsPerStage", message: "counts epochs of a fixed training set: give trainExamples (--train-examples N), or use curriculum.stepsPerStage" }]);
  }
  if (c.optimizerReset === "epoch") {
    throw new ConfigError([{ path: "method.options.curriculum.optimizerReset", message: '"epoch" needs a fixed training set: give trainExamples (--train-examples N), or reset "never" or per "stage"' }]);
  }
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
