// The host side of policy-gradient rollouts (src/trainers/policy-gradient.ts): sampled tokens
// become rows (a free chain, a chain then the gold answer, a fixed chain, a gold row) and rows
// become fixed-width grids. Rows use the cot recipe's layout (src/recipes/cot.ts), so its greedy
// predict evaluates them:
//   prompt  <pad>… <bos> q
//   inputs  <bot> z₁ … z_m [<ans> a₁ … a_n]      targets  z₁ … z_m [<ans> a₁ … a_n <eos>]
import { np, type Array } from "../engine/jax.js";
import { SPECIAL, type Example, type Limits } from "../tasks/index.js";
import { answerFromChain, answerWidth, chainFromDecoded, chainTokens, chainWidth, promptGrid, type TokenGrid } from "../recipes/framing.js";
import { tokens } from "../recipes/supervised-parts.js";

/** Tokens a full chain-and-answer rollout may sample after `<bot>` (the cot recipe's decode width). */
export const fullWidth = (limits: Limits) => chainWidth(limits) + answerWidth(limits);
/** Tokens a chain may sample after `<bot>`, up to and including its `<eot>`. */
export const chainOnlyWidth = (limits: Limits) => chainWidth(limits) - 1;

/** Rollout grids: row-major [rows, cols] (cols = fullWidth) plus the prompt grid. */
export interface Rollouts {
  prompt: TokenGrid;
  inputs: TokenGrid;
  targets: TokenGrid;
  /** 1 on targets the policy sampled (its actions: the chain, and the answer when sampled). */
  action: Float32Array;
  /** 1 on the gold answer's targets a₁ … a_n <eos> teacher-forced after a sampled chain. */
  answer: Float32Array;
  /** Per row: the sampled tokens kept (the chain, or chain and answer), for grading and memories. */
  sampled: number[][];
  /** 1 on targets drawn with the special tokens masked (RolloutRow.restricted); null when no row has any. */
  restricted: Float32Array | null;
}

/** A row of target tokens, how many of its first targets are actions, and where the gold answer starts (−1: none). */
export interface RolloutRow {
  targets: number[];
  actions: number;
  answerFrom: number;
  /** Targets among the first `actions` that were forced, not sampled (a fixed chain's `<eot> <ans>`): not actions. */
  forced?: readonly number[];
  /** Targets chosen among the task's own tokens only (special tokens masked: a fixed chain's tokens): scored so. */
  restricted?: readonly number[];
}

/** Rows → grids of `cols` columns (default: the free chain's full width): inputs are `<bot>` followed by the targets but the last (right-padded). */
export function rolloutGrids(examples: readonly Example[], rows: readonly RolloutRow[], limits: Limits, cols = fullWidth(limits)): Rollouts {
  const N = rows.length;
  const inputs = new Int32Array(N * cols).fill(SPECIAL.pad);
  const targets = new Int32Array(N * cols).fill(SPECIAL.pad);
  const action = new Float32Array(N * cols);
  const answer = new Float32Array(N * cols);
  const restricted = rows.some((row) => row.restricted?.length) ? new Float32Array(N * cols) : null;
  rows.forEach((row, r) => {
    if (row.targets.length > cols) throw new Error(`rollout of ${row.targets.length} tokens exceeds its width ${cols}`);
    inputs.set([SPECIAL.beginThought, ...row.targets.slice(0, -1)], r * cols);
    targets.set(row.targets, r * cols);
    action.fill(1, r * cols, r * cols + row.actions);
    for (const t of row.forced ?? []) action[r * cols + t] = 0;
    for (const t of row.restricted ?? []) restricted![r * cols + t] = 1;
    // the gold answer a₁…a_n <eos> follows the `<ans>` target at answerFrom
    if (row.answerFrom >= 0) answer.fill(1, r * cols + row.answerFrom + 1, r * cols + row.targets.length);
  });
  return {
    prompt: promptGrid(examples, limits),
    inputs: { ids: inputs, rows: N, cols },
    targets: { ids: targets, rows: N, cols },
    action,
    answer,
    sampled: rows.map((row) => row.targets.slice(0, row.actions).filter((_, t) => !row.forced?.includes(t))),
    restricted,
  };
}

/** A sampled chain-and-answer row: every token up to and including the first `<eos>` is an action. */
export function fullRow(sampled: ArrayLike<number>): RolloutRow {
  const s = globalThis.Array.from(sampled);
  const end = s.indexOf(SPECIAL.end);
  const targets = end < 0 ? s : s.slice(0, end + 1);
  return { targets, actions: targets.length, answerFrom: -1 };
}

/**
 * A sampled chain (up to and including its first `<eot>`), then the gold answer teacher-forced:
 * `z… <eot> <ans> a… <eos>`. A chain that reaches the cap without `<eot>` is cut one short and
 * closed with a forced `<eot>` (not an action).
 */
export function chainRow(sampled: ArrayLike<number>, goldAnswer: readonly number[], limits: Limits): RolloutRow {
  const s = globalThis.Array.from(sampled).slice(0, chainOnlyWidth(limits));
  const end = s.indexOf(SPECIAL.endThought);
  const chain = end >= 0 ? s.slice(0, end + 1) : [...s.slice(0, chainOnlyWidth(limits) - 1), SPECIAL.endThought];
  const actions = end >= 0 ? chain.length : chain.length - 1;
  return { targets: [...chain, SPECIAL.answer, ...goldAnswer, SPECIAL.end], actions, answerFrom: chain.length };
}

/** The gold chain and answer of an example as a row `s₁ <sep> … <eot> <ans> a… <eos>` (every token an action). */
export function goldRow(e: Example): RolloutRow {
  const targets = [...chainTokens(e).slice(1), SPECIAL.answer, ...e.answer, SPECIAL.end];
  return { targets, actions: targets.length, answerFrom: -1 };
}

/**
 * A fixed chain's row (src/recipes/fixed-chain.ts): K sampled chain tokens, the forced `<eot> <ans>`,
 * then the gold answer teacher-forced (`goldAnswer` given: the chain is the only action) or the
 * sampled answer up to its `<eos>` (actions: the chain and the answer, not the forced pair).
 */
export function fixedChainRow(sampled: ArrayLike<number>, chainTokens: number, goldAnswer: readonly number[] | null): RolloutRow {
  const chain = globalThis.Array.from(sampled).slice(0, chainTokens);
  const head = [...chain, SPECIAL.endThought, SPECIAL.answer];
  // the K chain tokens were drawn among the task's own tokens (and a sampled answer's first token)
  const inChain = chain.map((_, t) => t);
  if (goldAnswer) return { targets: [...head, ...goldAnswer, SPECIAL.end], actions: chainTokens, answerFrom: chainTokens + 1, restricted: inChain };
  const answer = globalThis.Array.from(sampled).slice(chainTokens + 2);
  const end = answer.indexOf(SPECIAL.end);
  const targets = [...head, ...(end < 0 ? answer : answer.slice(0, end + 1))];
  return { targets, actions: targets.length, answerFrom: -1, forced: [chainTokens, chainTokens + 1], restricted: [...inChain, chainTokens + 2] };
}

/** The answer a full row gives (as greedy evaluation would read it). */
export const rowAnswer = (row: RolloutRow) => answerFromChain(row.targets);
/** The chain of a full row: up to and including `<eot>`. */
export const rowChain = (row: RolloutRow) => chainFromDecoded(row.targets);

/** The rollout grids as device arrays. */
export function rolloutArrays(r: Rollouts): Record<string, Array> {
  const { rows, cols } = r.inputs;
  return {
    prompt: tokens(r.prompt),
    inputs: tokens(r.inputs),
    targets: tokens(r.targets),
    action: np.array(r.action).reshape([rows, cols]),
    answer: np.array(r.answer).reshape([rows, cols]),
    ...(r.restricted ? { restricted: np.array(r.restricted).reshape([rows, cols]) } : {}),
  };
}

/** Each example repeated `g` times in a row (a question's group of rollouts is contiguous). */
export const repeatEach = <T>(xs: readonly T[], g: number): T[] => xs.flatMap((x) => globalThis.Array.from({ length: g }, () => x));

/** Each row's log-probabilities of its gold-answer targets (in order), from per-token log-probs [N, L]. */
export function perRowAnswer(logp: ArrayLike<number>, r: Rollouts): number[][] {
  const { rows, cols } = r.inputs;
  return globalThis.Array.from({ length: rows }, (_, i) => {
    const out: number[] = [];
    for (let t = 0; t < cols; t++) if (r.answer[i * cols + t] === 1) out.push(logp[i * cols + t]);
    return out;
  });
}
