// The fault handling of a training run: after too many skipped updates in a row, stop, or roll
// back to the last checkpoint at a lower learning rate.
import { Budget } from "./budget.js";
import type { RunConfig } from "./config-schema.js";
import { TrainingFaultError } from "./faults.js";
import type { RunDir } from "./run-dir.js";
import type { TrainerMaker, Training } from "./run-start.js";

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

/**
 * After `badInARow` skipped updates (the last with loss `lastLoss`): stop with a TrainingFaultError
 * (faults.onBadSteps "stop", or no rollbacks left), or roll back to the last checkpoint (or the
 * initial parameters when there is none yet) at a lower learning rate. Returns the training to
 * continue with and the rollback's metrics record (written, and the new lr scale checkpointed).
 */
export async function rollBack(t: Training, badInARow: number, lastLoss: number, cfg: RunConfig, run: RunDir, maker: TrainerMaker, checkpoint: (t: Training) => Promise<void>): Promise<[Training, RollbackEvent]> {
  const { faults } = cfg;
  const c = t.budget.counters;
  const what = `${badInARow} training steps in a row (steps ${c.steps - badInARow + 1}..${c.steps}) had a non-finite loss or gradient (last loss ${lastLoss}) and were skipped`;
  const hint = "lower the learning rate (--lr), enable clipping (--clip-norm), or allow more rollbacks (--set faults.maxRollbacks=N)";
  if (faults.onBadSteps === "stop") throw new TrainingFaultError(`${what}; the run stops (faults.onBadSteps is "stop"); the last checkpoint holds finite parameters`, hint);
  if (t.loop.rollbacks >= faults.maxRollbacks) throw new TrainingFaultError(`${what}, after ${t.loop.rollbacks} rollback(s) already (faults.maxRollbacks); the run stops; the last checkpoint holds finite parameters`, hint);
  const lrScale = t.loop.lrScale * faults.lrFactor;
  let next: Training, toStep = 0;
  if (await run.hasCheckpoint()) {
    const r = maker.adopt(await run.loadCheckpoint(t.trainer.trees()), lrScale);
    t.trainer.dispose();
    [next, toStep] = [{ ...t, trainer: r.trainer, budget: r.budget }, r.step];
  } else {
    t.trainer.dispose();
    next = { ...t, trainer: maker.make(lrScale, await maker.startParams()), budget: new Budget(cfg.budget) };
  }
  const loop = t.loop;
  next.loop = { ...loop, lrScale, rollbacks: loop.rollbacks + 1, discardedSteps: loop.discardedSteps + c.steps - toStep };
  const event: RollbackEvent = { step: toStep, event: "rollback", fromStep: c.steps, badSteps: faults.maxBadSteps, lastLoss, rollbacks: next.loop.rollbacks, lrScale };
  await run.rewindMetrics(toStep);
  await run.appendMetrics(event);
  await checkpoint(next); // the new lr scale is checkpoint state: a resume from here continues exactly
  return [next, event];
}
