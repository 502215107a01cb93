// cot: token chain-of-thought SFT. Teacher-forced on the gold steps and the answer (every token
// scored); evaluation writes the chain greedily and reads the answer after `<eot> <ans>`.
//   read <bos> q  →  decode <bot> s₁ <sep> … s_k <eot> <ans> a₁…a_n  (targets shifted, ending <eos>)
import type { Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import { SPECIAL, type Limits } from "../tasks/index.js";
import { answerFromChain, answerWidth, chainFromDecoded, chainAnswerGrids, chainWidth, promptWidth } from "./framing.js";
import { greedyDecode } from "./greedy.js";
import type { SupervisedRecipe } from "./recipe.js";
import { backprop, forcedBatch, forcedLoss, readPrompt, tokenRows, type ForwardLoss } from "./supervised-parts.js";

export function cot(): SupervisedRecipe {
  const forward: ForwardLoss = (reasoner, p, batch) => forcedLoss(reasoner, p, readPrompt(reasoner, p, batch.prompt), batch, "chain");
  return {
    name: "cot",
    // prompt, then the chain and answer teacher-forced, plus the closing <eos> when decoding freely
    sequenceLength: (l: Limits) => promptWidth(l) + chainWidth(l) + answerWidth(l) + 1,
    frame: (examples, limits) => forcedBatch(examples, limits, "chain", chainAnswerGrids(examples, limits)),
    lossAndGrad: backprop(forward),
    loss: forward,
    predict<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array, limits: Limits) {
      const B = prompt.shape[0];
      return greedyDecode(reasoner, p, readPrompt(reasoner, p, prompt), tokenRows(B, [SPECIAL.beginThought]).reshape([B]), chainWidth(limits) + answerWidth(limits));
    },
    answerOf: answerFromChain,
    chainOf: chainFromDecoded,
    positions: (l: Limits) => ({ read: promptWidth(l), think: 0, decode: chainWidth(l) + answerWidth(l) }),
  };
}
