// The trainer of a recipe with Coconut's curriculum (src/methods/curriculum.ts): each step trains
// the stage its step number schedules (or a mixed-in one), with that stage's own jitted step
// (one trace per stage: shapes differ between stages). The optimizer state is re-initialised as
// the config's `optimizerReset` says: never, when the scheduled stage changes (Coconut resets its
// optimizer at every stage), or at every epoch of the fixed training set. Everything depends on
// the step number only, so a resumed run trains exactly as an uninterrupted one would.
// A reset also restarts the learning-rate schedule (warm-up and cosine run on the optimizer's own
// step count), as a fresh optimizer per stage does in Coconut; use `--schedule constant` for
// Coconut's constant rate.
import { dispose, type Tree } from "../engine/tree.js";
import { scheduledStage, stageAt, stepsPerStage } from "./curriculum.js";
import { makeSupervisedStep, type SupervisedStep } from "./supervised-step.js";
import { readSupervisedStep, supervisedTrainer } from "./supervised-trainer.js";
import type { MethodTrainer, TrainerSetup, TrainerTrees } from "./trainer.js";

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

  let params: Tree = setup.params;
  let optState: Tree = optimizer.init(params) as Tree;
  const steps = new Map<number, { step: SupervisedStep<Tree, Tree>; recipe: ReturnType<typeof plan.stage> }>();
  const stageStep = (k: number) => {
    if (!steps.has(k)) {
      const recipe = plan.stage(k);
      steps.set(k, { step: makeSupervisedStep(recipe, reasoner, optimizer), recipe });
    }
    return steps.get(k)!;
  };

  return {
    trees: () => ({ params, optimizer: optState }),
    restore(trees: TrainerTrees) {
      dispose(params);
      dispose(optState);
      [params, optState] = [trees.params, trees.optimizer];
    },
    extra: () => ({}),
    async step(examples, s) {
      const k = stageAt(schedule, perStage, seed, s);
      if (resetBefore(s)) {
        dispose(optState);
        optState = optimizer.init(params) as Tree;
      }
      const { step, recipe } = stageStep(k);
      const [lossArray, nextParams, nextState, metrics, health] = step(params, optState, recipe.frame(examples, limits));
      [params, optState] = [nextParams, nextState];
      const report = await readSupervisedStep(lossArray, metrics, health, examples.length, { recipe, reasoner, limits });
      return { ...report, diagnostics: { ...report.diagnostics, stage: k } };
    },
    dispose() {
      for (const { step } of steps.values()) step.dispose();
      dispose(params);
      dispose(optState);
    },
  };
}
