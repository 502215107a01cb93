// Seeded randomness for data generation (pure-rand xoroshiro128+). Tasks know nothing of the
// engine, so this is the tasks' own small wrapper rather than the engine's DataRng.
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";

export class TaskRng {
  private constructor(private readonly gen: JumpableRandomGenerator) {}

  /** The generator for `seed`, advanced by `stream` jumps of 2^64 draws (independent streams per split). */
  static of(seed: number, stream = 0): TaskRng {
    const gen = xoroshiro128plus(seed);
    for (let i = 0; i < stream; i++) gen.jump();
    return new TaskRng(gen);
  }

  /** Integer uniform in [lo, hi], inclusive. */
  int(lo: number, hi: number): number {
    return uniformInt(this.gen, lo, hi);
  }

  /** Float uniform in [0, 1). */
  float(): number {
    return uniformFloat64(this.gen);
  }

  bool(): boolean {
    return this.int(0, 1) === 1;
  }

  choice<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error("TaskRng.choice: empty list");
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
    if (k > xs.length) throw new Error(`TaskRng.sample: ${k} of ${xs.length}`);
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
