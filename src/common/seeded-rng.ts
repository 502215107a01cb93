// Seeded JS-side randomness (pure-rand xoroshiro128+), shared by data generation (src/tasks) and
// training data order (src/engine's DataRng); a layer of its own so those two stay independent.
import { xoroshiro128plus, xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";

export class SeededRng {
  protected constructor(protected gen: JumpableRandomGenerator) {}

  /** The generator for `seed`, advanced by `stream` jumps of 2^64 draws (independent streams). */
  static of(seed: number, stream = 0): SeededRng {
    checkSeed(seed);
    const gen = xoroshiro128plus(seed);
    for (let i = 0; i < stream; i++) gen.jump();
    return new SeededRng(gen);
  }

  /** Restore a generator from `state()`: the exact stream continues. */
  static fromState(state: readonly number[]): SeededRng {
    return new SeededRng(xoroshiro128plusFromState(state));
  }

  /** State for checkpoints (see `fromState`). */
  state(): number[] {
    return [...this.gen.getState()];
  }

  /** Integer uniform in [lo, hi], inclusive. */
  int(lo: number, hi: number): number {
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi)) throw new Error(`rng.int: need integers lo <= hi, got ${lo}, ${hi}`);
    return uniformInt(this.gen, lo, hi);
  }

  /** Float uniform in [0, 1) with 53 random bits. */
  float(): number {
    return uniformFloat64(this.gen);
  }

  bool(): boolean {
    return this.int(0, 1) === 1;
  }

  /** One element of a non-empty list. */
  choice<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error("rng.choice: empty list");
    return xs[this.int(0, xs.length - 1)];
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(xs: readonly T[]): T[] {
    const out = xs.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** `k` distinct elements in random order (partial Fisher–Yates). */
  sample<T>(xs: readonly T[], k: number): T[] {
    if (k > xs.length) throw new Error(`rng.sample: ${k} of ${xs.length}`);
    const out = xs.slice();
    for (let i = 0; i < k; i++) {
      const j = this.int(i, out.length - 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out.slice(0, k);
  }

  /** Poisson(mean) by Knuth's product of uniforms (fine for small means). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k++;
      p *= this.float();
    }
    return k;
  }
}

export function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
}
