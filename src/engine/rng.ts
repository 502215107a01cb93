// Seeded randomness. Model randomness uses jax-js threefry keys (bitwise-stable, splittable);
// data randomness uses a pure-rand xoroshiro128+ generator, whose state can be saved and restored.
import { xoroshiro128plus, xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { random, type Array } from "./jax.js";

/** A jax-js PRNG key for model initialisation and sampling. */
export function modelKey(seed: number): Array {
  checkSeed(seed);
  return random.key(seed);
}

/** Split a key into `n` keys (consumes `key`). */
export function splitKey(key: Array, n = 2): Array[] {
  const ks = random.split(key, n);
  const out: Array[] = [];
  for (let i = 0; i < n; i++) out.push(ks.ref.slice(i));
  ks.dispose();
  return out;
}

/** Deterministic JS-side generator for data: sampling questions, shuffling, minibatches. */
export class DataRng {
  private gen: ReturnType<typeof xoroshiro128plus>;

  constructor(seed: number) {
    checkSeed(seed);
    this.gen = xoroshiro128plus(seed);
  }

  /** Integer uniform in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi)) {
      throw new Error(`DataRng.int: need integers lo <= hi, got ${lo}, ${hi}`);
    }
    return uniformInt(this.gen, lo, hi);
  }

  /** Float uniform in [0, 1) with 53 random bits. */
  float(): number {
    return uniformFloat64(this.gen);
  }

  /** One element of a non-empty list. */
  choice<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error("DataRng.choice: empty list");
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

  /** An independent stream (2^64 draws ahead), for per-split or per-worker generators. */
  fork(): DataRng {
    const child = Object.create(DataRng.prototype) as DataRng;
    child.gen = this.gen.clone();
    child.gen.jump();
    this.gen.jump();
    this.gen.jump();
    return child;
  }

  /** State for checkpoints; `DataRng.fromState` restores the exact stream. */
  state(): number[] {
    return [...this.gen.getState()];
  }

  static fromState(state: readonly number[]): DataRng {
    const r = Object.create(DataRng.prototype) as DataRng;
    r.gen = xoroshiro128plusFromState(state);
    return r;
  }
}

function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
}
