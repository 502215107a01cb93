// Training a supervised recipe in a run directory: the loop behind `neuralese train`, over its
// named parts: data (run-data.ts), init/resume (run-start.ts), the step with fault handling
// (trainStep, and run-rollback.ts), evaluation and summary (run-finish.ts).
import { DataRng } from "../engine/rng.js";
import { dispose } from "../engine/tree.js";
import { METHOD_CONFIG_SPECS } from "../trainers/index.js";
import type { FaultInjector } from "../trainers/trainer.js";
import { Budget } from "./budget.js";
import type { RunConfig } from "./config-schema.js";
import type { Example } from "../tasks/index.js";
import type { TrainerStepReport } from "../trainers/index.js";
import { makePredictor } from "./evaluate.js";
import { runData, runModel } from "./run-data.js";
import type { RunDir } from "./run-dir.js";
import { evaluateDuring, finishRun, type EvalHooks } from "./run-finish.js";
import { checkCurriculum, resume, trainerMaker, type Training } from "./run-start.js";
import { rollBack, type RollbackEvent } from "./run-rollback.js";

/** A step's numbers, as written to metrics.jsonl. */
export interface StepLog extends Pick<TrainerStepReport, "loss" | "accuracy" | "gradNorm" | "applied"> {
  step: number;
  examples: number;
  flops: number;
  wallMs: number;
  [diagnostic: string]: unknown;
}

export interface TrainHooks extends EvalHooks {
  onStep?(log: StepLog, totalSteps: number | null): void;
  /** After a rollback to the checkpoint at `event.step`. */
  onRollback?(event: RollbackEvent): void;
  /** After each checkpoint is saved (its step); training waits for it (a queue worker ships the checkpoint). */
  onCheckpoint?(step: number): void | Promise<void>;
  /**
   * Where the run named by `cfg.init` really is on this machine (a queue worker downloads it to a
   * scratch directory); `cfg.init` stays the run's identity in config.json. Default: `cfg.init`.
   */
  initDir?: string;
  /** Fault injection for reliability tests (runs/faults.ts); never set in ordinary runs. */
  faults?: FaultInjector;
}

export const RUN_METHOD_SPECS = METHOD_CONFIG_SPECS;

/**
 * Train the run `cfg` describes. The data are generated (or read from cfg.trainData) before
 * `openRun` creates (or reopens) the run directory, so a config the task cannot serve, or a bad
 * data file, leaves nothing behind.
 */
export async function trainRun(cfg: RunConfig, openRun: () => Promise<RunDir>, hooks: TrainHooks = {}): Promise<Record<string, unknown>> {
  const m = runModel(cfg);
  const data = await runData(cfg, m);
  checkCurriculum(m.recipe, cfg);
  const maker = trainerMaker(cfg, m, data, hooks.faults, hooks.initDir);
  const params = await maker.startParams();
  const run = await openRun();
  // a finished run is reported, not trained or evaluated again
  if (run.existed && (await run.finished())) {
    dispose(params);
    return run.readSummary();
  }
  let t: Training = { trainer: maker.make(1, params), budget: new Budget(cfg.budget), loop: { skippedSteps: 0, lrScale: 1, rollbacks: 0, discardedSteps: 0 } };
  const dataRng = new DataRng(cfg.seed);
  const predictor = makePredictor(m.recipe, m.reasoner, m.limits);
  const evals = { cfg, m, data, predictor, run, hooks };
  const checkpoint = async (t: Training) => {
    await run.saveCheckpoint({
      step: t.budget.counters.steps,
      trees: t.trainer.trees(),
      dataRng: dataRng.state(),
      budget: t.budget.snapshot(),
      extra: { ...t.trainer.extra(), ...t.loop, ...(data.fileData ? { trainData: data.fileData.sha256 } : {}) },
    });
    await hooks.onCheckpoint?.(t.budget.counters.steps);
  };
  try {
    t = await resume(run, t, maker, data, cfg);
    let badInARow = 0;
    while (!t.budget.exhausted()) {
      const { report, log } = await trainStep(t, data.batchAt(t.budget.counters.steps), run);
      hooks.onStep?.(log, m.totalSteps);
      badInARow = report.applied ? 0 : badInARow + 1;
      if (badInARow >= cfg.faults.maxBadSteps) {
        const [next, event] = await rollBack(t, badInARow, report.loss, cfg, run, maker, checkpoint);
        [t, badInARow] = [next, 0];
        hooks.onRollback?.(event);
        continue;
      }
      const steps = t.budget.counters.steps;
      if (steps % cfg.eval.every === 0 && !t.budget.exhausted()) await evaluateDuring(evals, t);
      if (steps % cfg.checkpointEvery === 0) await checkpoint(t);
    }
    await checkpoint(t);
    return await finishRun(evals, t);
  } finally {
    t.trainer.dispose();
    predictor.dispose();
    await run.close();
  }
}

/** One update on the step's batch, charged (with its wall time) and appended to metrics.jsonl. */
export async function trainStep(t: Training, batch: readonly Example[], run: RunDir): Promise<{ report: TrainerStepReport; log: StepLog }> {
  const s = t.budget.counters.steps;
  const t0 = performance.now();
  const report = await t.trainer.step(batch, s);
  t.budget.charge({ ...report.charge, steps: 1, wallMs: performance.now() - t0 });
  if (!report.applied) t.loop.skippedSteps++;
  const c = t.budget.counters;
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
  return { report, log };
}
