// The trainer of every supervised recipe: one jitted step (the recipe's loss and gradient, then
// the optimizer's guarded update) on the framed batch, charged as forward + backward passes.
import { np, type Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { StepHealth } from "../optim/index.js";
import { GRAD_SCALE, makeSupervisedStep, type StepMetrics, type SupervisedStep } from "./supervised-step.js";
import { passCharge, type MethodTrainer, type TrainerSetup, type TrainerStepReport } from "./trainer.js";
import { scalar, stateTrainer, stepReport, trainerState, vector } from "./trainer-state.js";

/** `adjust`: rewrites each step's report (flow charges what its step really runs). */
export function supervisedTrainer(setup: TrainerSetup, adjust?: ReportAdjust): MethodTrainer {
  const { recipe, reasoner, optimizer, faults } = setup;
  const step = makeSupervisedStep(recipe, reasoner, optimizer, !!faults);
  return steppedTrainer(setup, () => ({ step, reasoner }), { adjust, disposeSteps: () => step.dispose() });
}

/** The jitted step a training step runs, and the reasoner (view) it runs on. */
export interface StepChoice {
  step: SupervisedStep<Tree, Tree>;
  reasoner: TrainerSetup["reasoner"];
}

/** A step's report rewritten (charges, diagnostics), given its step number, the step chosen and the batch size. */
export type ReportAdjust = (report: TrainerStepReport, s: number, choice: StepChoice, batchSize: number) => TrainerStepReport;

/**
 * A trainer that keeps parameters and optimizer state and runs, at training step s, the jitted
 * supervised step `choose(s)` gives (the depth trainer picks one per sampled depth). `adjust`
 * may rewrite the report (charges, diagnostics); `disposeSteps` frees the steps it built.
 */
export function steppedTrainer(
  setup: TrainerSetup,
  choose: (s: number) => StepChoice,
  opts: { adjust?: ReportAdjust; disposeSteps(): void },
): MethodTrainer {
  const { recipe, optimizer, limits, faults } = setup;
  const state = trainerState(setup.params, optimizer);
  return stateTrainer(state, {
    async step(examples, s) {
      const choice = choose(s);
      const B = examples.length;
      const batch = recipe.frame(examples, limits);
      if (faults) batch[GRAD_SCALE] = np.array(faults.nanGradient(s) ? NaN : 1, { dtype: np.float32 });
      const [lossArray, metrics, health] = state.advance(choice.step(state.trees.params, state.trees.optimizer, batch));
      const report = await readSupervisedStep(lossArray, metrics, health, B, { recipe, reasoner: choice.reasoner, limits });
      return opts.adjust ? opts.adjust(report, s, choice, B) : report;
    },
    dispose: opts.disposeSteps,
  });
}

/**
 * A supervised step's outputs read back, charged as `n` examples of the recipe run forward and
 * backward (backward = 2 × forward FLOPs).
 */
export async function readSupervisedStep(
  lossArray: Array,
  metrics: StepMetrics,
  health: StepHealth,
  n: number,
  setup: Pick<TrainerSetup, "recipe" | "reasoner" | "limits">,
): Promise<TrainerStepReport> {
  const accuracy = await scalar(metrics.accuracy);
  const diagnostics = Object.fromEntries(await Promise.all(Object.entries(metrics.diagnostics).map(async ([k, v]) => [k, await vector(v)])));
  const positions = setup.recipe.positions(setup.limits);
  const tokens = positions.read + positions.think + positions.decode;
  return stepReport(lossArray, health, { accuracy, charge: { examples: n, ...passCharge(n * tokens, n * forwardFlopsPerExample(setup)) }, diagnostics });
}

/** Analytic forward FLOPs of one training example of a recipe (for planning budgets). */
export function forwardFlopsPerExample(setup: Pick<TrainerSetup, "recipe" | "reasoner" | "limits">): number {
  const positions = setup.recipe.positions(setup.limits);
  const pf = setup.reasoner.positionFlops;
  const think = setup.recipe.thinkFlops?.(setup.reasoner) ?? pf.think;
  return positions.read * pf.read + positions.think * think + positions.decode * pf.decode;
}

