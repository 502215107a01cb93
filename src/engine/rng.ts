// Seeded randomness. Model randomness uses jax-js threefry keys (bitwise-stable, splittable);
// data randomness uses a pure-rand xoroshiro128+ generator, whose state can be saved and restored.
import { xoroshiro128plus, xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import { SeededRng, checkSeed } from "../common/seeded-rng.js";
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

/**
 * Deterministic JS-side generator for data: sampling questions, shuffling, minibatches.
 * The shared SeededRng (src/common) with a seed constructor; `state()`/`fromState` for resume.
 */
export class DataRng extends SeededRng {
  constructor(seed: number) {
    checkSeed(seed);
    super(xoroshiro128plus(seed));
  }

  static override fromState(state: readonly number[]): DataRng {
    const r = new DataRng(0);
    r.gen = xoroshiro128plusFromState(state);
    return r;
  }
}
