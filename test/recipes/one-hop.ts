// The small task the recipe learning tests share: one hop over 4 symbols (chance 1/4), which
// every recipe, direct included, can learn in a few hundred steps of a tiny transformer.
import { modelKey } from "../../src/engine/rng.js";
import { dispose, type Tree } from "../../src/engine/tree.js";
import { evaluate, makePredictor, type Evaluation } from "../../src/runs/evaluate.js";
import { initParams, type SupervisedRecipe } from "../../src/trainers/index.js";
import { makeSupervisedStep, type StepMetrics } from "../../src/trainers/supervised-step.js";
import { makeReasoner, type Reasoner } from "../../src/models/index.js";
import { adamw, chain, clipByGlobalNorm } from "../../src/optim/index.js";
import { getTask, type Example } from "../../src/tasks/index.js";

export const task = getTask("pointer-chase");
export const options = { symbols: 4, maxHops: 2, trainHops: { min: 1, max: 1 } };
export const limits = task.limits(options);
export const vocab = task.vocab(options).size;
const B = 32;

/** The tiny transformer the tests train (width 32, 2 layers, 2 heads). */
export const tinyReasoner = (recipe: SupervisedRecipe) =>
  makeReasoner({ model: "transformer", vocab, dim: 32, layers: 2, heads: 2, maxLen: recipe.sequenceLength(limits) }) as Reasoner<Tree>;

export interface OneHopResult<X> {
  /** Mean loss of the first and of the last 10 steps. */
  first: number;
  last: number;
  before: Evaluation;
  after: Evaluation;
  /** What `inspect` read from the trained parameters. */
  extra: X;
}

/**
 * Train `recipe` for `steps` steps of 32 of 640 training questions (seed 1; AdamW 3e-3, clip 1)
 * and evaluate on 64 validation questions before and after. `onStep` sees each step's metrics
 * before they are freed; `inspect` the trained parameters before they are.
 */
export async function learnOneHop<X = undefined>(
  recipe: SupervisedRecipe,
  opts: { steps?: number; onStep?(metrics: StepMetrics): Promise<void>; inspect?(params: Tree, reasoner: Reasoner<Tree>, val: Example[]): Promise<X> } = {},
): Promise<OneHopResult<X>> {
  const reasoner = tinyReasoner(recipe);
  const optimizer = chain(clipByGlobalNorm(1), adamw({ lr: 3e-3 }));
  let params = initParams(recipe, reasoner, modelKey(1));
  let state = optimizer.init(params);
  const step = makeSupervisedStep(recipe, reasoner, optimizer);
  const predictor = makePredictor(recipe, reasoner, limits);
  const train = task.generate(1, "train", 640, options); // of the ~819 train questions 4 symbols allow
  const val = task.generate(1, "val", 64, options);
  const before = await evaluate(predictor, recipe, task, params, val, limits, B);
  const losses: number[] = [];
  for (let s = 0; s < (opts.steps ?? 200); s++) {
    const [loss, p2, s2, metrics, health] = step(params, state, recipe.frame(train.slice((s * B) % 640, (s * B) % 640 + B), limits));
    [params, state] = [p2, s2];
    losses.push((await loss.data())[0]);
    await opts.onStep?.(metrics);
    dispose([metrics, health] as unknown as Tree);
  }
  const after = await evaluate(predictor, recipe, task, params, val, limits, B);
  const extra = (await opts.inspect?.(params, reasoner, val)) as X;
  step.dispose();
  predictor.dispose();
  dispose(params);
  dispose(state);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { first: mean(losses.slice(0, 10)), last: mean(losses.slice(-10)), before, after, extra };
}
