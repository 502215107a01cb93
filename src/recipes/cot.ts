// cot: token chain-of-thought SFT. Teacher-forced on the gold steps and the answer (every token
// scored); evaluation writes the chain greedily and reads the answer after `<eot> <ans>`.
//   read <bos> q  →  decode <bot> s₁ <sep> … s_k <eot> <ans> a₁…a_n  (targets shifted, ending <eos>)
import { np, type Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import { SPECIAL, type Example, type Limits } from "../tasks/index.js";
import { answerLoss } from "./answer-loss.js";
import { answerFromChain, answerWidth, chainFromDecoded, chainAnswerGrids, chainWidth, promptGrid, promptWidth } from "./framing.js";
import { disposeState, greedyDecode } from "./greedy.js";
import type { Batch, SupervisedRecipe } from "./recipe.js";
import { plainLossAndGrad, tokenRows, tokens } from "./supervised-parts.js";

export function cot(): SupervisedRecipe {
  // prompt, then the chain and answer teacher-forced, plus the closing <eos> when decoding freely
  const sequenceLength = (l: Limits) => promptWidth(l) + chainWidth(l) + answerWidth(l) + 1;
  const forward = <P extends Tree>(reasoner: Reasoner<P>, p: P, batch: Batch) => {
    const [logits, end] = reasoner.decode(p, reasoner.read(p, reasoner.start(batch.prompt.shape[0]), batch.prompt), batch.chainIn);
    disposeState(end);
    return answerLoss(logits, batch.chainTarget, batch.chainMask);
  };
  return {
    name: "cot",
    sequenceLength,
    frame(examples: readonly Example[], limits: Limits): Batch {
      const c = chainAnswerGrids(examples, limits);
      return {
        prompt: tokens(promptGrid(examples, limits)),
        chainIn: tokens(c.inputs),
        chainTarget: tokens(c.targets),
        chainMask: np.array(c.mask).reshape([c.inputs.rows, c.inputs.cols]),
      };
    },
    lossAndGrad<P extends Tree>(reasoner: Reasoner<P>, params: P, batch: Batch) {
      return plainLossAndGrad((p: P) => forward(reasoner, p, batch), params);
    },
    loss: forward,
    predict<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array, limits: Limits) {
      const B = prompt.shape[0];
      const state = reasoner.read(p, reasoner.start(B), prompt);
      return greedyDecode(reasoner, p, state, tokenRows(B, [SPECIAL.beginThought]).reshape([B]), chainWidth(limits) + answerWidth(limits));
    },
    answerOf: answerFromChain,
    chainOf: chainFromDecoded,
    positions: (l: Limits) => ({ read: promptWidth(l), think: 0, decode: chainWidth(l) + answerWidth(l) }),
  };
}
