// A trained run's model, loaded for evaluation: the reasoner its config describes, its recipe
// (the run's method options, or others an evaluation asks for) and its final parameters.
import { modelKey } from "../engine/rng.js";
import { dispose, type Tree } from "../engine/tree.js";
import { makeReasoner, type Reasoner } from "../models/index.js";
import { initParams, recipeFor } from "../trainers/index.js";
import type { SupervisedRecipe } from "../recipes/recipe.js";
import type { Limits, Task } from "../tasks/index.js";
import { reasonerConfigOf, runLimits } from "./config.js";
import type { ModelFileInfo } from "./model-file.js";
import type { RunDir } from "./run-dir.js";

export interface TrainedModel {
  limits: Limits;
  reasoner: Reasoner;
  recipe: SupervisedRecipe;
  /** Owned by the caller: dispose when done. */
  params: Tree;
  info: ModelFileInfo;
}

export async function loadTrainedModel(run: RunDir, task: Task, methodOptions: Record<string, unknown> = run.config.method.options): Promise<TrainedModel> {
  const cfg = run.config;
  const reasoner = makeReasoner(reasonerConfigOf(cfg, task.vocab(cfg.task.options).size));
  const recipe = recipeFor(cfg.method.name, cfg.model.latentSteps, methodOptions);
  const template = initParams(recipe, reasoner as never, modelKey(0));
  const { params, info } = await run.loadModel(template);
  dispose(template);
  return { limits: runLimits(cfg), reasoner, recipe, params, info };
}
