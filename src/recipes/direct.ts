// direct: answer straight after the question, no reasoning. The lower bound of every comparison.
//   read <bos> q  →  decode <ans> a₁…a_n  (CE on a₁…a_n <eos>)
import type { Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import type { Limits } from "../tasks/index.js";
import { answerFromDecoded, answerWidth, promptWidth } from "./framing.js";
import type { Batch, SupervisedRecipe } from "./recipe.js";
import { answerAfter, greedyAnswer, plainLossAndGrad, promptAnswerBatch } from "./supervised-parts.js";

export function direct(): SupervisedRecipe {
  const sequenceLength = (l: Limits) => promptWidth(l) + answerWidth(l);
  const forward = <P extends Tree>(reasoner: Reasoner<P>, p: P, batch: Batch) =>
    answerAfter(reasoner, p, reasoner.read(p, reasoner.start(batch.prompt.shape[0]), batch.prompt), batch);
  return {
    name: "direct",
    sequenceLength,
    frame: promptAnswerBatch,
    lossAndGrad<P extends Tree>(reasoner: Reasoner<P>, params: P, batch: Batch) {
      return plainLossAndGrad((p: P) => forward(reasoner, p, batch), params);
    },
    loss: forward,
    predict<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array, limits: Limits) {
      return greedyAnswer(reasoner, p, reasoner.read(p, reasoner.start(prompt.shape[0]), prompt), limits);
    },
    answerOf: answerFromDecoded,
    positions: (l: Limits) => ({ read: promptWidth(l), think: 0, decode: answerWidth(l) }),
  };
}
