// The recipes trained by backpropagation of their own loss, with no trainer of their own (direct,
// cot, pause, neuralese at their default options): the one list of what a looped model trains by
// depth sampling (src/trainers/depth-trainer.ts) and whose forward loss ES evaluates (src/trainers/es.ts).
import { cot } from "./cot.js";
import { direct } from "./direct.js";
import { neuralese } from "./neuralese.js";
import { pause } from "./pause.js";
import type { SupervisedRecipe } from "./recipe.js";

export const PLAIN_RECIPES = {
  direct: () => direct(),
  cot: () => cot(),
  pause: (latentSteps: number) => pause({ latentSteps }),
  // neuralese's options change its backward pass only, so the full chain stands for all of them forward
  neuralese: (latentSteps: number) => neuralese({ latentSteps, truncate: null, gradNorm: false }),
} satisfies Record<string, (latentSteps: number) => SupervisedRecipe>;

export type PlainRecipeName = keyof typeof PLAIN_RECIPES;
export const PLAIN_RECIPE_NAMES = Object.keys(PLAIN_RECIPES) as [PlainRecipeName, ...PlainRecipeName[]];
export const isPlainRecipe = (name: string): name is PlainRecipeName => Object.hasOwn(PLAIN_RECIPES, name);
