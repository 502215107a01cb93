// Disjoint splits. A problem's split is decided by a hash of its canonical key: 80% of all
// problems belong to train, 10% to val, 10% to test. Generation draws candidates from a per-split
// stream and keeps those whose key hashes into the requested split, so two splits can never share
// a question, for any seeds; it also drops repeats, so the n examples of one call are distinct.
import { TaskRng } from "./rng.js";
import { SPLITS, TaskOptionError, type Example, type Split } from "./task.js";

/** Split of a problem, from its canonical key: hash buckets 0-7 train, 8 val, 9 test. */
export function splitOfKey(key: string): Split {
  const bucket = hash32(key) % 10;
  return bucket < 8 ? "train" : bucket < 9 ? "val" : "test";
}

/** Expected share of all problems that land in `split`. */
export const SPLIT_SHARE: Record<Split, number> = { train: 0.8, val: 0.1, test: 0.1 };

/** How a task draws the problems of one split (`drawDistinct`). */
export interface Sampler<P, M> {
  /** One random problem of this split's distribution (it may hash into another split), or undefined for an unusable draw. */
  draw: (rng: TaskRng) => P | undefined;
  key: (problem: P) => string;
  /**
   * Optional: the same problem shape with fresh random names. A draw that hashes into another
   * split is renamed (cheap) rather than redrawn (costly); names are independent of the shape,
   * so the shapes' distribution in each split is unchanged.
   */
  rename?: (problem: P, rng: TaskRng) => P;
  build: (problem: P) => Example<M>;
  /** Number of distinct problems these options allow (all splits together), if known. */
  problemCount?: number;
}

/** Throws a TaskOptionError naming the bad argument of `generate(seed, split, n)`. */
export function checkDraw(seed: number, split: Split, n: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new TaskOptionError("--seed", `--seed must be an integer in 0..4294967295, got ${seed}`);
  }
  if (!Number.isInteger(n) || n < 1) throw new TaskOptionError("--n", `--n must be a positive integer, got ${n}`);
  if (!SPLITS.includes(split)) throw new TaskOptionError("--split", `--split must be one of ${SPLITS.join(", ")}, got ${split}`);
}

/**
 * `n` distinct examples of `task` whose problems hash into `split` (arguments as `checkDraw`
 * passes them); fails clearly when too few exist.
 */
export function drawDistinct<P, M>(task: string, seed: number, split: Split, n: number, sampler: Sampler<P, M>): Example<M>[] {
  const tooFew = (found: number, draws: number): string => {
    const total = sampler.problemCount;
    const space =
      total === undefined
        ? ""
        : `; these options allow ${total} distinct questions in all, about ${Math.floor(total * SPLIT_SHARE[split])} of them in ${split}`;
    const tried = draws > 0 ? ` (found ${found} after ${draws} draws)` : "";
    return `--n ${n}: not enough distinct ${task} questions in the ${split} split${tried}${space}`;
  };
  if (sampler.problemCount !== undefined && n > sampler.problemCount) {
    throw new TaskOptionError("--n", tooFew(0, 0), "lower --n or choose options that allow more questions");
  }
  const rng = TaskRng.of(seed, SPLITS.indexOf(split));
  const seen = new Set<string>();
  const out: Example<M>[] = [];
  const maxDraws = 100 * n + 10_000;
  let draws = 0;
  let unusable = 0;
  while (out.length < n) {
    if (draws++ >= maxDraws) {
      if (unusable > maxDraws / 2) {
        const usable = `${maxDraws - unusable} of ${maxDraws} draws were usable, ${out.length} of ${n} examples found`;
        throw new TaskOptionError("--n", `${task} questions with these options are too rare to draw: ${usable}`, "widen the option ranges (see --help)");
      }
      throw new TaskOptionError("--n", tooFew(out.length, maxDraws), "lower --n or choose options that allow more questions");
    }
    const problem = sampler.draw(rng);
    if (problem === undefined) {
      unusable++;
      continue;
    }
    let p: P = problem;
    let key = sampler.key(p);
    for (let r = 0; sampler.rename && r < 50 && splitOfKey(key) !== split; r++) key = sampler.key((p = sampler.rename(p, rng)));
    if (seen.has(key) || splitOfKey(key) !== split) continue;
    seen.add(key);
    out.push(sampler.build(p));
  }
  return out;
}

/** FNV-1a over UTF-16 code units, then the murmur3 finalizer for well-mixed low bits. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
