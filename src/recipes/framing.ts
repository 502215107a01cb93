// Token layouts shared by the supervised recipes. Tasks give content tokens only; the recipes
// frame them with the special tokens (src/tasks/vocab.ts):
//   prompt   <pad>… <bos> q₁ … q_m                 (left-padded to 1 + maxQuestionLength)
//   answer   <ans> a₁ … a_n  →  targets a₁ … a_n <eos>   (right-padded, padding masked)
//   chain    <bot> s₁ <sep> s₂ … s_k <eot>         (token CoT, right-padded)
// Left padding keeps every prompt's last token at the same position, so the thinking and
// answering that follow are aligned across the batch.
import { SPECIAL, type Example, type Limits } from "../tasks/index.js";

export interface TokenGrid {
  /** Row-major [rows, cols] token ids. */
  ids: Int32Array;
  rows: number;
  cols: number;
}

/** Token rows padded to `cols` columns, on the left or on the right. */
export function grid(rows: number[][], cols: number, align: "left" | "right"): TokenGrid {
  const ids = new Int32Array(rows.length * cols).fill(SPECIAL.pad);
  rows.forEach((row, r) => {
    if (row.length > cols) throw new Error(`framing: a sequence of ${row.length} tokens exceeds its width ${cols}`);
    const offset = align === "left" ? cols - row.length : 0;
    ids.set(row, r * cols + offset);
  });
  return { ids, rows: rows.length, cols };
}

export const promptWidth = (limits: Limits) => 1 + limits.maxQuestionLength;

/** `<bos> q`, left-padded. */
export function promptGrid(examples: readonly Example[], limits: Limits): TokenGrid {
  return grid(examples.map((e) => [SPECIAL.begin, ...e.question]), promptWidth(limits), "left");
}

export const answerWidth = (limits: Limits) => 1 + limits.maxAnswerLength;

/** Teacher-forced answer: inputs `<ans> a₁…a_n`, targets `a₁…a_n <eos>`, with a 0/1 mask. */
export function answerGrids(examples: readonly Example[], limits: Limits): { inputs: TokenGrid; targets: TokenGrid; mask: Float32Array } {
  const width = answerWidth(limits);
  const inputs = grid(examples.map((e) => [SPECIAL.answer, ...e.answer]), width, "right");
  const targets = grid(examples.map((e) => [...e.answer, SPECIAL.end]), width, "right");
  return { inputs, targets, mask: maskOf(examples.map((e) => e.answer.length + 1), width) };
}

/** Width of the token chain `<bot> s₁ <sep> … s_k <eot>` at its longest. */
export const chainWidth = (limits: Limits) => 2 + limits.maxSteps * limits.maxStepLength + Math.max(0, limits.maxSteps - 1);

/** The gold chain's tokens `<bot> s₁ <sep> … s_k <eot>` of one example. */
export function chainTokens(e: Example): number[] {
  const body = e.steps.flatMap((s, i) => (i === 0 ? s : [SPECIAL.separator, ...s]));
  return [SPECIAL.beginThought, ...body, SPECIAL.endThought];
}

/**
 * Token CoT, teacher-forced: inputs `<bot> chain… <eot> <ans> a₁…a_n`, targets the same shifted
 * by one and ending in `<eos>`; every real target is scored (chain and answer), padding is not.
 */
export function chainAnswerGrids(examples: readonly Example[], limits: Limits): { inputs: TokenGrid; targets: TokenGrid; mask: Float32Array } {
  const width = chainWidth(limits) + answerWidth(limits);
  const full = examples.map((e) => [...chainTokens(e), SPECIAL.answer, ...e.answer, SPECIAL.end]);
  const inputs = grid(full.map((t) => t.slice(0, -1)), width, "right");
  const targets = grid(full.map((t) => t.slice(1)), width, "right");
  return { inputs, targets, mask: maskOf(full.map((t) => t.length - 1), width) };
}

function maskOf(lengths: number[], width: number): Float32Array {
  const mask = new Float32Array(lengths.length * width);
  lengths.forEach((n, r) => mask.fill(1, r * width, r * width + n));
  return mask;
}

/** The answer a greedy decode produced: the tokens before the first `<eos>`. */
export function answerFromDecoded(tokens: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < tokens.length && tokens[i] !== SPECIAL.end; i++) out.push(tokens[i]);
  return out;
}

/** The chain of a generated token row: up to and including the first `<eot>` (all of it if none). */
export function chainFromDecoded(tokens: ArrayLike<number>): number[] {
  const seq = Array.from(tokens);
  const end = seq.indexOf(SPECIAL.endThought);
  return end >= 0 ? seq.slice(0, end + 1) : seq;
}

/** The answer inside a generated token chain: after the first `<eot> <ans>`, up to `<eos>`; [] if malformed. */
export function answerFromChain(tokens: ArrayLike<number>): number[] {
  const seq = Array.from(tokens);
  const end = seq.indexOf(SPECIAL.endThought);
  if (end < 0 || seq[end + 1] !== SPECIAL.answer) return [];
  return answerFromDecoded(seq.slice(end + 2));
}
