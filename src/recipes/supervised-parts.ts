// Pieces the supervised recipes share: host grids → arrays, the answer's loss after a state,
// greedy answers after a state, and gradients of a loss with auxiliary outputs.
import { np, valueAndGrad, type Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";
import { SPECIAL, type Example, type Limits } from "../tasks/index.js";
import { answerLoss } from "./answer-loss.js";
import { answerGrids, answerWidth, promptGrid, type TokenGrid } from "./framing.js";
import { disposeState, greedyDecode } from "./greedy.js";
import type { Batch, StepOutput } from "./batch.js";

export const tokens = (g: TokenGrid): Array => np.array(g.ids, { dtype: np.int32 }).reshape([g.rows, g.cols]);

/** The batch of recipes that answer after a prompt (and perhaps a latent middle). */
export function promptAnswerBatch(examples: readonly Example[], limits: Limits): Batch {
  const a = answerGrids(examples, limits);
  return {
    prompt: tokens(promptGrid(examples, limits)),
    answerIn: tokens(a.inputs),
    answerTarget: tokens(a.targets),
    answerMask: np.array(a.mask).reshape([a.inputs.rows, a.inputs.cols]),
  };
}

/** A constant token grid [B, n]: the same `ids` in every row (`<bot> <latent>… <eot>`, `<ans>`, …). */
export function tokenRows(batch: number, ids: readonly number[]): Array {
  const grid = new Int32Array(batch * ids.length);
  for (let r = 0; r < batch; r++) grid.set(ids, r * ids.length);
  return np.array(grid, { dtype: np.int32 }).reshape([batch, ids.length]);
}

/** Teacher-forced answer after `state`: mean CE and per-example correctness. Consumes state and the answer arrays. */
export function answerAfter<P extends Tree>(reasoner: Reasoner<P>, p: P, state: ReasonerState, batch: Batch): { loss: Array; correct: Array } {
  const [logits, end] = reasoner.decode(p, state, batch.answerIn);
  disposeState(end);
  return answerLoss(logits, batch.answerTarget, batch.answerMask);
}

/**
 * Greedy answer tokens [B, answerWidth] after `state` (starting from `<ans>`); the first is one of
 * the task's tokens, so every recipe that is made to answer gives an answer (wrong, never malformed).
 */
export function greedyAnswer<P extends Tree>(reasoner: Reasoner<P>, p: P, state: ReasonerState, limits: Limits): Array {
  const [B] = state.latent.shape;
  return greedyDecode(reasoner, p, state, tokenRows(B, [SPECIAL.answer]).reshape([B]), answerWidth(limits), true);
}

/** Gradient of `f(params) → {loss, correct}` with plain reverse mode (no custom chain). */
export function plainLossAndGrad<P extends Tree>(f: (p: P) => { loss: Array; correct: Array }, params: P): StepOutput {
  const [[loss, correct], grads] = valueAndGrad((p: P) => {
    const out = f(p);
    return [out.loss, out.correct] as [Array, Array];
  }, { hasAux: true })(params as never) as unknown as [[Array, Array], Tree];
  return { loss, correct, grads, diagnostics: {} };
}
