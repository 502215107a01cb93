// The form criteria every inexactly graded task's hidden quality H shares (compose, digest): an
// answer is bracketed by `open` … `close`, no longer than its content needs, and not repetitive.

export interface AnswerForm {
  /** ½ for starting with `open`, ½ for ending with `close`. */
  structure: number;
  /** 1 up to `target` tokens, falling linearly to 0 just past L. */
  brevity: number;
  /** Distinct tokens / tokens. */
  variety: number;
}

/** The form of a non-empty answer `y` whose ideal length is `target` (≤ L, the longest answer). */
export function answerForm(y: readonly number[], open: number, close: number, target: number, L: number): AnswerForm {
  return {
    structure: 0.5 * Number(y[0] === open) + 0.5 * Number(y[y.length - 1] === close),
    brevity: y.length <= target ? 1 : Math.max(0, 1 - (y.length - target) / (L - target + 1)),
    variety: new Set(y).size / y.length,
  };
}
