// Pieces the supervised recipes share: host grids → arrays, the prompt and `<eot>` read, the
// teacher-forced loss after a state, greedy answers after a state, and gradients of a loss with
// auxiliary outputs.
import { np, type Array } from "../engine/jax.js";
import { valueAndGradAux } from "../engine/vjp.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";
import { disposeState } from "../reasoning/index.js";
import { SPECIAL, type Example, type Limits } from "../tasks/index.js";
import { answerLoss } from "./answer-loss.js";
import { answerGrids, answerWidth, promptGrid, type TokenGrid } from "./framing.js";
import { greedyDecode } from "./greedy.js";
import type { Batch, StepOutput } from "./batch.js";

export const tokens = (g: TokenGrid): Array => np.array(g.ids, { dtype: np.int32 }).reshape([g.rows, g.cols]);

/** What a batch teacher-forces after the prompt: the answer, cot's chain and answer, or a curriculum stage's rest. */
export type ForcedPart = "answer" | "chain" | "rest";

/** The prompts and `part` teacher-forced after them: `prompt`, `${part}In`, `${part}Target`, `${part}Mask`. */
export function forcedBatch(examples: readonly Example[], limits: Limits, part: ForcedPart, g: { inputs: TokenGrid; targets: TokenGrid; mask: Float32Array }): Batch {
  return {
    prompt: tokens(promptGrid(examples, limits)),
    [`${part}In`]: tokens(g.inputs),
    [`${part}Target`]: tokens(g.targets),
    [`${part}Mask`]: np.array(g.mask).reshape([g.inputs.rows, g.inputs.cols]),
  };
}

/** The batch of recipes that answer after a prompt (and perhaps a latent middle). */
export const promptAnswerBatch = (examples: readonly Example[], limits: Limits): Batch => forcedBatch(examples, limits, "answer", answerGrids(examples, limits));

/** A constant token grid [B, n]: the same `ids` in every row (`<bot> <latent>… <eot>`, `<ans>`, …). */
export function tokenRows(batch: number, ids: readonly number[]): Array {
  const grid = new Int32Array(batch * ids.length);
  for (let r = 0; r < batch; r++) grid.set(ids, r * ids.length);
  return np.array(grid, { dtype: np.int32 }).reshape([batch, ids.length]);
}

/** `<bos> q <bot>`: the prompt a latent chain starts from. Consumes `prompt`. */
export const withBot = (prompt: Array) => np.concatenate([prompt, tokenRows(prompt.shape[0], [SPECIAL.beginThought])], 1);

/** The state after reading `prompt` [B, P] from the empty state. Borrows `p`, consumes `prompt`. */
export const readPrompt = <P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array) => reasoner.read(p, reasoner.start(prompt.shape[0]), prompt);

/** `state` after reading `<eot>`: the thoughts end, the answer follows. Consumes `state`. */
export const readEot = <P extends Tree>(reasoner: Reasoner<P>, p: P, state: ReasonerState) =>
  reasoner.read(p, state, tokenRows(state.latent.shape[0], [SPECIAL.endThought]));

/** The batch's teacher-forced `part` after `state`: mean CE and per-example correctness. Consumes state and the part's arrays. */
export function forcedLoss<P extends Tree>(reasoner: Reasoner<P>, p: P, state: ReasonerState, batch: Batch, part: ForcedPart = "answer"): { loss: Array; correct: Array } {
  const [logits, end] = reasoner.decode(p, state, batch[`${part}In`]);
  disposeState(end);
  return answerLoss(logits, batch[`${part}Target`], batch[`${part}Mask`]);
}

/**
 * Greedy answer tokens [B, answerWidth] after `state` (starting from `<ans>`); the first is one of
 * the task's tokens, so every recipe that is made to answer gives an answer (wrong, never malformed).
 */
export function greedyAnswer<P extends Tree>(reasoner: Reasoner<P>, p: P, state: ReasonerState, limits: Limits): Array {
  const [B] = state.latent.shape;
  return greedyDecode(reasoner, p, state, tokenRows(B, [SPECIAL.answer]).reshape([B]), answerWidth(limits), true);
}

/** A recipe's forward loss: the loss and correctness its gradient step differentiates. Borrows `p`, consumes the batch. */
export type ForwardLoss = <P extends Tree>(reasoner: Reasoner<P>, p: P, batch: Batch) => { loss: Array; correct: Array };

/** A recipe's lossAndGrad by plain reverse mode through its forward loss (no custom chain). */
export function backprop(forward: ForwardLoss) {
  return <P extends Tree>(reasoner: Reasoner<P>, params: P, batch: Batch): StepOutput => {
    const [[loss, correct], grads] = valueAndGradAux((p: P) => {
      const out = forward(reasoner, p, batch);
      return [out.loss, out.correct];
    }, params);
    return { loss, correct, grads, diagnostics: {} };
  };
}
