// The trainer of a recipe with Coconut's curriculum (src/recipes/curriculum.ts): each step trains
// the stage its step number schedules (or a mixed-in one), with that stage's own jitted step
// (one trace per stage: shapes differ between stages). The optimizer state is re-initialised as
// the config's `optimizerReset` says: never, when the scheduled stage changes (Coconut resets its
// optimizer at every stage), or at every epoch of the fixed training set. Everything depends on
// the step number only, so a resumed run trains exactly as an uninterrupted one would.
// A reset also restarts the learning-rate schedule (warm-up and cosine run on the optimizer's own
// step count), as a fresh optimizer per stage does in Coconut; use `--schedule constant` for
// Coconut's constant rate.
// `mixing: "example"` draws the stage of each example instead (curriculum-mixed-step.ts): the
// batch is split into one group per drawn stage and one update follows from their summed gradients.
import { mean } from "../common/mean.js";
import { ref } from "../engine/tree.js";
import type { Example } from "../tasks/index.js";
import { groupRows, scheduledStage, stageAt, stagesAt, stepsPerStage } from "../recipes/curriculum.js";
import { frameGroup, makeMixedUpdate, makeStageAccumulator, zeroSums } from "./curriculum-mixed-step.js";
import { makeSupervisedStep } from "./supervised-step.js";
import { forwardFlopsPerExample, readSupervisedStep, supervisedTrainer } from "./supervised-trainer.js";
import { passCharge, type MethodTrainer, type TrainerSetup, type TrainerStepReport } from "./trainer.js";
import { memo, stateTrainer, stepReport, trainerState, vector } from "./trainer-state.js";

/** The supervised trainer, or the curriculum trainer when the recipe has a curriculum. */
export function curriculumTrainer(setup: TrainerSetup): MethodTrainer {
  const plan = setup.recipe.curriculum;
  if (!plan) return supervisedTrainer(setup);
  const { reasoner, optimizer, limits, batchSize: B, seed } = setup;
  const schedule = plan.schedule;
  const trainExamples = setup.trainExamples ?? null;
  const perStage = stepsPerStage(schedule, B, trainExamples);
  if (schedule.optimizerReset === "epoch" && trainExamples === null) {
    throw new Error('curriculum.optimizerReset "epoch" needs a fixed training set: give trainExamples (--train-examples N)');
  }
  const epochOf = (step: number) => Math.floor((step * B) / trainExamples!);
  /** Whether the optimizer state is re-initialised before training step `step`. */
  const resetBefore = (step: number) =>
    step > 0 &&
    ((schedule.optimizerReset === "stage" && scheduledStage(schedule, perStage, step) !== scheduledStage(schedule, perStage, step - 1)) ||
      (schedule.optimizerReset === "epoch" && epochOf(step) !== epochOf(step - 1)));

  const state = trainerState(setup.params, optimizer);
  const trees = state.trees;
  const stageStep = memo((k: number) => {
    const recipe = plan.stage(k);
    return { step: makeSupervisedStep(recipe, reasoner, optimizer), recipe };
  });

  // per-example mixing: one accumulator per stage (jit retraces per group size), one update
  const accumulator = memo((k: number) => makeStageAccumulator(stageStep(k).recipe, reasoner));
  let update: ReturnType<typeof makeMixedUpdate> | null = null;

  /** One update on a batch whose examples train the stages `stages` (one group per stage). */
  async function mixedStep(examples: readonly Example[], stages: number[]): Promise<TrainerStepReport> {
    const groups = new Map<number, Example[]>();
    examples.forEach((e, i) => groups.set(stages[i], [...(groups.get(stages[i]) ?? []), e]));
    let sums = zeroSums(trees.params);
    const corrects: Promise<number[]>[] = [];
    let [forwardTokens, forwardFlops] = [0, 0];
    for (const [k, group] of [...groups.entries()].sort((a, b) => a[0] - b[0])) {
      const recipe = stageStep(k).recipe;
      const [next, correct] = accumulator(k)(ref(trees.params), frameGroup(recipe, group, limits, B), sums);
      sums = next;
      corrects.push(vector(correct).then((c) => c.slice(0, group.length)));
      // charged as run: padded rows cost as much as real ones
      const rows = groupRows(group.length, B);
      const p = recipe.positions(limits);
      forwardTokens += rows * (p.read + p.think + p.decode);
      forwardFlops += rows * forwardFlopsPerExample({ recipe, reasoner, limits });
    }
    update ??= makeMixedUpdate(optimizer);
    const [lossArray, , health] = state.advance(update(trees.params, trees.optimizer, sums));
    const correct = await Promise.all(corrects);
    const stageCounts = globalThis.Array.from({ length: schedule.stages + 1 }, (_, k) => groups.get(k)?.length ?? 0);
    return stepReport(lossArray, health, {
      accuracy: mean(correct.flat()),
      charge: { examples: examples.length, ...passCharge(forwardTokens, forwardFlops) },
      diagnostics: { stageCounts },
    });
  }

  return stateTrainer(state, {
    async step(examples, s) {
      if (resetBefore(s)) state.resetOptimizer();
      if (schedule.mixing === "example") {
        const report = await mixedStep(examples, stagesAt(schedule, perStage, seed, s, examples.length));
        return { ...report, diagnostics: { ...report.diagnostics, stage: scheduledStage(schedule, perStage, s) } };
      }
      const k = stageAt(schedule, perStage, seed, s);
      const { step, recipe } = stageStep(k);
      const [lossArray, metrics, health] = state.advance(step(trees.params, trees.optimizer, recipe.frame(examples, limits)));
      const report = await readSupervisedStep(lossArray, metrics, health, examples.length, { recipe, reasoner, limits });
      return { ...report, diagnostics: { ...report.diagnostics, stage: k } };
    },
    dispose() {
      for (const { step } of stageStep.built.values()) step.dispose();
      for (const a of accumulator.built.values()) a.dispose();
      update?.dispose();
    },
  });
}
