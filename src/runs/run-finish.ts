// The evaluation and summary parts of a training run: validation (and test) curves during
// training, and at the end the final evaluations, the hacking evaluation of inexact tasks, the
// model file and summary.json.
import { activeAdapter, activeBackend } from "../engine/backend.js";
import type { Tree } from "../engine/tree.js";
import type { Example } from "../tasks/index.js";
import type { Budget } from "./budget.js";
import type { RunConfig } from "./config-schema.js";
import { evaluate, type Evaluation, type Predictor } from "./evaluate.js";
import { hackingEvaluation } from "./hacking-eval.js";
import type { RunData, RunModel } from "./run-data.js";
import type { RunDir } from "./run-dir.js";
import type { Training } from "./run-start.js";

export interface EvalHooks {
  onEval?(step: number, split: "val" | "test", evaluation: Evaluation): void;
}

/** What evaluation reads: the run's model, data and predictor, the run directory and hooks. */
export interface EvalContext {
  cfg: RunConfig;
  m: RunModel;
  data: RunData;
  predictor: Predictor<Tree>;
  run: RunDir;
  hooks: EvalHooks;
}

/** The budget's counters a metrics record carries with an evaluation. */
const spent = (budget: Budget) => {
  const c = budget.counters;
  return { examples: c.examples, flops: budget.flops, wallMs: c.wallMs };
};

/** An evaluation as a metrics record's fields. */
const evalRecord = ({ n: _, ...fields }: Evaluation): Record<string, unknown> => fields;

const evalOn = (x: EvalContext, t: Training, examples: readonly Example[], outputs?: { answers: number[][]; chains: number[][] }) =>
  evaluate(x.predictor, x.m.recipe, x.m.task, t.trainer.trees().params, examples, x.m.limits, x.cfg.batchSize, outputs);

/** The validation point (and, with eval.testCurve, the test point) of the curve at the current step. */
export async function evaluateDuring(x: EvalContext, t: Training): Promise<void> {
  const step = t.budget.counters.steps;
  const at = spent(t.budget);
  for (const split of x.cfg.eval.testCurve ? (["val", "test"] as const) : (["val"] as const)) {
    const e = await evalOn(x, t, x.data[split]);
    await x.run.appendMetrics({ step, split, ...evalRecord(e), ...at });
    x.hooks.onEval?.(step, split, e);
  }
}

/** Final evaluations, the model file and summary.json (returned). */
export async function finishRun(x: EvalContext, t: Training): Promise<Record<string, unknown>> {
  const { cfg, m, data, run } = x;
  const valEval = await evalOn(x, t, data.val);
  x.hooks.onEval?.(t.budget.counters.steps, "val", valEval);
  const outputs = { answers: [] as number[][], chains: [] as number[][] };
  const testEval = await evalOn(x, t, data.test, outputs);
  x.hooks.onEval?.(t.budget.counters.steps, "test", testEval);
  // inexact tasks: what the final outputs score under the learned graders a policy could game
  const hacking = m.task.inexact ? await hackingEvaluation(m.task, m.taskOptions, m.limits, data.test, outputs.answers, outputs.chains) : undefined;
  const c = t.budget.counters;
  const at = spent(t.budget);
  await run.appendMetrics({ step: c.steps, split: "val", ...evalRecord(valEval), ...at });
  await run.appendMetrics({ step: c.steps, split: "test", ...evalRecord(testEval), ...at });
  await run.saveModel(t.trainer.trees().params, { step: c.steps, vocab: m.vocab.size });
  const { fileData, train } = data;
  const summary = {
    task: cfg.task.name,
    method: cfg.method.name,
    model: cfg.model.kind,
    seed: cfg.seed,
    init: cfg.init,
    backend: activeBackend(),
    ...(activeAdapter() ? { adapter: activeAdapter() } : {}),
    steps: c.steps,
    distinctTrainExamples: Math.min(train.length, c.examples),
    ...(fileData ? { trainData: { file: cfg.trainData, examples: train.length, sha256: fileData.sha256 } } : {}),
    skippedSteps: t.loop.skippedSteps,
    rollbacks: t.loop.rollbacks,
    lrScale: t.loop.lrScale,
    discardedSteps: t.loop.discardedSteps,
    budget: c,
    val: valEval,
    test: testEval,
    ...(hacking ? { hacking } : {}),
  };
  await run.writeSummary(summary);
  return summary;
}
