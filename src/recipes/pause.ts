// pause: K learned filler tokens where the thoughts would be, no feedback — Coconut's "pause as
// thought" control. The filler is the `<latent>` token's own (learned) embedding.
//   read <bos> q <bot> <latent>×K <eot>  →  decode <ans> a₁…a_n
// `curriculum`: Coconut's schedule (src/recipes/curriculum.ts) with `<latent>` fillers at the
// latent positions, so "pause as thought" is the same curriculum without the feedback.
import type { Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import { SPECIAL, type Limits } from "../tasks/index.js";
import { answerLoss } from "./answer-loss.js";
import { restWidth, type Curriculum, type StageLayout } from "./curriculum.js";
import { answerFromDecoded, answerWidth, promptWidth } from "./framing.js";
import { disposeState } from "./greedy.js";
import type { Batch, SupervisedRecipe } from "./recipe.js";
import { answerAfter, greedyAnswer, plainLossAndGrad, promptAnswerBatch, tokenRows } from "./supervised-parts.js";
import { withCurriculum, type StageParts } from "./with-curriculum.js";

export interface PauseOptions {
  latentSteps: number;
  /** Coconut's curriculum with fillers in place of thoughts; null or absent: none. */
  curriculum?: Curriculum | null;
}

const fillers = (n: number) => globalThis.Array.from({ length: n }, () => SPECIAL.latent);

export function pause({ latentSteps, curriculum = null }: PauseOptions): SupervisedRecipe {
  const middle = [SPECIAL.beginThought, ...fillers(latentSteps), SPECIAL.endThought];
  const think = <P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array) => {
    const B = prompt.shape[0];
    return reasoner.read(p, reasoner.read(p, reasoner.start(B), prompt), tokenRows(B, middle));
  };
  const recipe: SupervisedRecipe = {
    name: "pause",
    sequenceLength: (l) => promptWidth(l) + latentSteps + 2 + answerWidth(l),
    frame: promptAnswerBatch,
    lossAndGrad<P extends Tree>(reasoner: Reasoner<P>, params: P, batch: Batch) {
      return plainLossAndGrad((p: P) => answerAfter(reasoner, p, think(reasoner, p, batch.prompt), batch), params);
    },
    loss<P extends Tree>(reasoner: Reasoner<P>, p: P, batch: Batch) {
      return answerAfter(reasoner, p, think(reasoner, p, batch.prompt), batch);
    },
    predict<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array, limits: Limits) {
      return greedyAnswer(reasoner, p, think(reasoner, p, prompt), limits);
    },
    answerOf: answerFromDecoded,
    positions: (l: Limits) => ({ read: promptWidth(l) + latentSteps + 2, think: 0, decode: answerWidth(l) }),
  };
  /** Stage k: `<bot>` and k·c fillers read, then the kept steps and the answer teacher-forced after `<eot>`. */
  const stage = (layout: StageLayout): StageParts => ({
    lossAndGrad<P extends Tree>(reasoner: Reasoner<P>, params: P, batch: Batch) {
      const B = batch.prompt.shape[0];
      return plainLossAndGrad((p: P) => {
        const state = reasoner.read(p, reasoner.read(p, reasoner.start(B), batch.prompt), tokenRows(B, [SPECIAL.beginThought, ...fillers(layout.latent)]));
        const [logits, end] = reasoner.decode(p, state, batch.restIn);
        disposeState(end);
        return answerLoss(logits, batch.restTarget, batch.restMask);
      }, params);
    },
    positions: (l: Limits) => ({ read: promptWidth(l) + 1 + layout.latent, think: 0, decode: restWidth(l, layout.removed) }),
  });
  return withCurriculum(recipe, curriculum, latentSteps, stage);
}
