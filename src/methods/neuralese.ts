// neuralese: the essay's recipe. K continuous thoughts (the last hidden state fed back as the next
// input), cross-entropy on the answer only, the gradient through the whole latent chain.
//   read <bos> q <bot>  →  think ×K  →  read <eot>  →  decode <ans> a₁…a_n
// Options: `truncate` (BPTT through the last k thoughts only), `gradNorm` (each example's
// state cotangent rescaled to unit norm between thoughts on the backward pass); see src/reasoning.
import { np, type Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";
import { latentChainValueAndGrad, thinkSteps, traceThoughts } from "../reasoning/index.js";
import { SPECIAL, type Limits } from "../tasks/index.js";
import { answerFromDecoded, answerWidth, promptWidth } from "./framing.js";
import { disposeState } from "./greedy.js";
import type { Batch, SupervisedRecipe } from "./recipe.js";
import { answerAfter, greedyAnswer, promptAnswerBatch, tokenRows } from "./supervised-parts.js";

export interface NeuraleseOptions {
  latentSteps: number;
  /** Backpropagate through the last `truncate` thoughts only; null: all of them. */
  truncate: number | null;
  gradNorm: boolean;
}

export function neuralese(opts: NeuraleseOptions): SupervisedRecipe {
  const { latentSteps } = opts;
  const sequenceLength = (l: Limits) => promptWidth(l) + 1 + latentSteps + 1 + answerWidth(l);
  /** `<bos> q <bot>`: the prompt the chain starts from. */
  const withBot = (prompt: Array) => np.concatenate([prompt, tokenRows(prompt.shape[0], [SPECIAL.beginThought])], 1);
  return {
    name: "neuralese",
    sequenceLength,
    frame: promptAnswerBatch,
    lossAndGrad<P extends Tree>(reasoner: Reasoner<P>, params: P, batch: Batch) {
      const B = batch.prompt.shape[0];
      const readout = (p: P, state: ReasonerState): [Array, Tree] => {
        const { loss, correct } = answerAfter(reasoner, p, reasoner.read(p, state, tokenRows(B, [SPECIAL.endThought])), batch);
        return [loss, correct];
      };
      const r = latentChainValueAndGrad(reasoner, params, withBot(batch.prompt), readout, {
        latentSteps,
        truncate: opts.truncate ?? undefined,
        gradNorm: opts.gradNorm,
      });
      return { loss: r.loss, correct: r.aux as Array, grads: r.grads, diagnostics: { stepGradNorms: r.stepGradNorms, latentNorms: r.latentNorms } };
    },
    predict<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array, limits: Limits) {
      const B = prompt.shape[0];
      const thought = thinkSteps(reasoner, p, reasoner.read(p, reasoner.start(B), withBot(prompt)), latentSteps);
      return greedyAnswer(reasoner, p, reasoner.read(p, thought, tokenRows(B, [SPECIAL.endThought])), limits);
    },
    trace<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array) {
      const B = prompt.shape[0];
      const [trace, end] = traceThoughts(reasoner, p, reasoner.read(p, reasoner.start(B), withBot(prompt)), latentSteps);
      disposeState(end);
      return trace;
    },
    answerOf: answerFromDecoded,
    positions: (l: Limits) => ({ read: promptWidth(l) + 2, think: latentSteps, decode: answerWidth(l) }),
  };
}
