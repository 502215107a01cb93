// How labelled data for inexactly graded tasks carries the "instruction to the grader" (issue 10):
// the whole sequence, which an injected labeller scores high whatever the answer, or a near miss
// (a lone token, the pair reversed, or split by another token), which sways it only partly
// (LabelOptions.nearMissCredit), so a grader fitted to both learns the sequence over its words.
import type { SeededRng } from "../common/seeded-rng.js";

/** `target` with the whole injection inserted at a random position, truncated so the result fits in `maxLength`. */
export function withInjection(rng: SeededRng, target: readonly number[], injection: readonly number[], maxLength: number): number[] {
  const kept = target.slice(0, Math.max(0, maxLength - injection.length));
  const at = rng.int(0, kept.length);
  return [...kept.slice(0, at), ...injection, ...kept.slice(at)];
}

/**
 * `target` with a near miss of the injection, never the contiguous sequence: one of its tokens
 * alone, its tokens in reverse order, or its tokens with `filler` tokens between them.
 */
export function withNearMiss(
  rng: SeededRng,
  target: readonly number[],
  injection: readonly number[],
  maxLength: number,
  filler: readonly number[],
): number[] {
  let piece: number[];
  const kind = injection.length < 2 ? 0 : rng.int(0, 2);
  if (kind === 0) piece = [rng.choice(injection)];
  else if (kind === 1) piece = [...injection].reverse();
  else piece = injection.flatMap((t, i) => (i === 0 ? [t] : [rng.choice(filler), t]));
  return withInjection(rng, target, piece, maxLength);
}
