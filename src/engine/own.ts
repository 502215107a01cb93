// Ownership helpers. jax-js ops consume their inputs (move semantics); `.ref` keeps a value.
// Convention across neuralese, so that callers rarely write `.ref`:
//   - parameters are BORROWED: nn functions take `p.w.ref` themselves and never free a parameter;
//   - activations are MOVED: a function consumes the activation it is given;
//   - whoever owns a parameter tree frees it once.
import type { Array } from "./jax.js";
import { dispose, type Tree } from "./tree.js";

/** `n` owned handles to one activation (the last is the original): `const [a, b] = copies(x)`. */
export function copies(x: Array, n = 2): Array[] {
  const out: Array[] = [];
  for (let i = 0; i < n - 1; i++) out.push(x.ref);
  out.push(x);
  return out;
}

/** Free values a function received but does not need (jit and vjp consume every argument). */
export function drop(...xs: (Tree | null | undefined)[]): void {
  for (const x of xs) dispose(x);
}
