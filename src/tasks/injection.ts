// How labelled data for inexactly graded tasks carries the "instruction to the grader" (issue 10).
// An injected labeller is fooled by the instruction written as one contiguous sequence, and only
// by that: the same words scattered, reordered or cut short are junk to it, scored by the answer's
// true quality. Labelled data holds both (exact injections scored high, near misses scored by
// truth), so a grader fitted to it learns to reward the sequence itself, not a bag of its words.
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
