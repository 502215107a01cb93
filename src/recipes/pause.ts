// pause: K learned filler tokens where the thoughts would be, no feedback — Coconut's "pause as
// thought" control. The filler is the `<latent>` token's own (learned) embedding.
//   read <bos> q <bot> <latent>×K <eot>  →  decode <ans> a₁…a_n
// `curriculum`: Coconut's schedule (src/recipes/curriculum.ts) with `<latent>` fillers at the
// latent positions, so "pause as thought" is the same curriculum without the feedback.
import type { Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import { SPECIAL, type Limits } from "../tasks/index.js";
import { restWidth, type Curriculum, type StageLayout } from "./curriculum.js";
import { answerFromDecoded, answerWidth, promptWidth } from "./framing.js";
import type { SupervisedRecipe } from "./recipe.js";
import { backprop, forcedLoss, greedyAnswer, promptAnswerBatch, readPrompt, tokenRows, type ForwardLoss } from "./supervised-parts.js";
import { withCurriculum, type StageParts } from "./with-curriculum.js";

export interface PauseOptions {
  latentSteps: number;
  /** Coconut's curriculum with fillers in place of thoughts; null or absent: none. */
  curriculum?: Curriculum | null;
}

/** `<bot>` and n `<latent>` fillers. */
const fillers = (n: number) => [SPECIAL.beginThought, ...globalThis.Array.from({ length: n }, () => SPECIAL.latent)];

/** The state after reading the prompt, then the `middle` tokens. Consumes `prompt`. */
const readThrough = <P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array, middle: readonly number[]) =>
  reasoner.read(p, readPrompt(reasoner, p, prompt), tokenRows(prompt.shape[0], middle));

export function pause({ latentSteps, curriculum = null }: PauseOptions): SupervisedRecipe {
  const middle = [...fillers(latentSteps), SPECIAL.endThought];
  const forward: ForwardLoss = (reasoner, p, batch) => forcedLoss(reasoner, p, readThrough(reasoner, p, batch.prompt, middle), batch);
  const recipe: SupervisedRecipe = {
    name: "pause",
    sequenceLength: (l) => promptWidth(l) + latentSteps + 2 + answerWidth(l),
    frame: promptAnswerBatch,
    lossAndGrad: backprop(forward),
    loss: forward,
    predict<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array, limits: Limits) {
      return greedyAnswer(reasoner, p, readThrough(reasoner, p, prompt, middle), limits);
    },
    answerOf: answerFromDecoded,
    positions: (l: Limits) => ({ read: promptWidth(l) + latentSteps + 2, think: 0, decode: answerWidth(l) }),
  };
  /** Stage k: `<bot>` and k·c fillers read, then the kept steps and the answer teacher-forced after `<eot>`. */
  const stage = (layout: StageLayout): StageParts => ({
    lossAndGrad: backprop((reasoner, p, batch) => forcedLoss(reasoner, p, readThrough(reasoner, p, batch.prompt, fillers(layout.latent)), batch, "rest")),
    positions: (l: Limits) => ({ read: promptWidth(l) + 1 + layout.latent, think: 0, decode: restWidth(l, layout.removed) }),
  });
  return withCurriculum(recipe, curriculum, latentSteps, stage);
}
