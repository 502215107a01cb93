// direct: answer straight after the question, no reasoning. The lower bound of every comparison.
//   read <bos> q  →  decode <ans> a₁…a_n  (CE on a₁…a_n <eos>)
import type { Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import type { Limits } from "../tasks/index.js";
import { answerFromDecoded, answerWidth, promptWidth } from "./framing.js";
import type { SupervisedRecipe } from "./recipe.js";
import { backprop, forcedLoss, greedyAnswer, promptAnswerBatch, readPrompt, type ForwardLoss } from "./supervised-parts.js";

export function direct(): SupervisedRecipe {
  const forward: ForwardLoss = (reasoner, p, batch) => forcedLoss(reasoner, p, readPrompt(reasoner, p, batch.prompt), batch);
  return {
    name: "direct",
    sequenceLength: (l: Limits) => promptWidth(l) + answerWidth(l),
    frame: promptAnswerBatch,
    lossAndGrad: backprop(forward),
    loss: forward,
    predict<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array, limits: Limits) {
      return greedyAnswer(reasoner, p, readPrompt(reasoner, p, prompt), limits);
    },
    answerOf: answerFromDecoded,
    positions: (l: Limits) => ({ read: promptWidth(l), think: 0, decode: answerWidth(l) }),
  };
}
