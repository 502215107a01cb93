// pause: K learned filler tokens where the thoughts would be, no feedback — Coconut's "pause as
// thought" control. The filler is the `<latent>` token's own (learned) embedding.
//   read <bos> q <bot> <latent>×K <eot>  →  decode <ans> a₁…a_n
import type { Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import { SPECIAL, type Limits } from "../tasks/index.js";
import { answerFromDecoded, answerWidth, promptWidth } from "./framing.js";
import type { Batch, SupervisedRecipe } from "./recipe.js";
import { answerAfter, greedyAnswer, plainLossAndGrad, promptAnswerBatch, tokenRows } from "./supervised-parts.js";

export interface PauseOptions {
  latentSteps: number;
}

export function pause({ latentSteps }: PauseOptions): SupervisedRecipe {
  const sequenceLength = (l: Limits) => promptWidth(l) + latentSteps + 2 + answerWidth(l);
  const middle = [SPECIAL.beginThought, ...globalThis.Array.from({ length: latentSteps }, () => SPECIAL.latent), SPECIAL.endThought];
  const think = <P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array) => {
    const B = prompt.shape[0];
    return reasoner.read(p, reasoner.read(p, reasoner.start(B), prompt), tokenRows(B, middle));
  };
  return {
    name: "pause",
    sequenceLength,
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
}

