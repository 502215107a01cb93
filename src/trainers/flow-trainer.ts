// The trainer of `flow` (src/recipes/flow.ts): the supervised step, charged with what a flow step
// really runs (the recipe's trainingCharge), not one inference pass.
import type { FlowRecipe } from "../recipes/flow.js";
import { supervisedTrainer } from "./supervised-trainer.js";
import type { MethodTrainer, TrainerSetup } from "./trainer.js";

export function flowTrainer(setup: TrainerSetup): MethodTrainer {
  const recipe = setup.recipe as Partial<FlowRecipe>;
  if (typeof recipe.trainingCharge !== "function") throw new Error(`flowTrainer needs the flow recipe, got "${setup.recipe.name}"`);
  const charge = recipe.trainingCharge.bind(recipe);
  return supervisedTrainer(setup, (report, _s, _choice, B) => ({ ...report, charge: charge(setup.reasoner, setup.limits, B) }));
}
