// A recipe trained by Coconut's curriculum (src/recipes/curriculum.ts), shared by neuralese and
// pause: the recipe itself is the final stage's (and evaluates); stage k frames `<bos> q <bot>`,
// k·c latent positions and the kept steps and answer, and trains with the loss the wrapped recipe
// gives for that layout (what a latent position is stays the recipe's own).
import type { Limits } from "../tasks/index.js";
import { allStages, restWidth, stageFrame, stageLayout, type Curriculum, type StageLayout } from "./curriculum.js";
import { promptWidth } from "./framing.js";
import type { SupervisedRecipe } from "./recipe.js";

/** What a recipe trains at one curriculum stage: its loss on the stage's batch and the positions it runs. */
export type StageParts = Pick<SupervisedRecipe, "lossAndGrad" | "positions">;

/** Positions of a curriculum stage's sequence: `<bos> q <bot>`, its latent positions, the rest. */
export const stageLength = (l: Limits, s: StageLayout) => promptWidth(l) + 1 + s.latent + restWidth(l, s.removed);

/** `recipe` with the curriculum `schedule` (null: `recipe` unchanged). */
export function withCurriculum(recipe: SupervisedRecipe, schedule: Curriculum | null, latentSteps: number, stage: (layout: StageLayout) => StageParts): SupervisedRecipe {
  if (!schedule) return recipe;
  const plainLength = recipe.sequenceLength;
  const stageRecipe = (layout: StageLayout): SupervisedRecipe => ({
    ...recipe,
    name: `${recipe.name} (curriculum stage ${layout.stage})`,
    sequenceLength: (l) => stageLength(l, layout),
    frame: (examples, l) => stageFrame(examples, l, layout),
    ...stage(layout),
    curriculum: undefined,
  });
  return {
    ...recipe,
    sequenceLength: (l) => Math.max(plainLength(l), ...allStages(schedule, latentSteps).map((s) => stageLength(l, s))),
    curriculum: { schedule, stage: (k) => stageRecipe(stageLayout(schedule, latentSteps, k)) },
  };
}
