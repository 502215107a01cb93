// Operations on the part of a reasoner state that a latent chain differentiates: per-example
// norms over the reasoner's recurrent hidden state (`recurrentStateMask`), unit-norm rescaling,
// zero probes, stop-gradient. States keep the batch on axis 0 (reasoner.ts).
import { lax, np, type Array, type DType } from "../engine/jax.js";
import { dispose, flatten, leaves, ref, type Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";

/** The differentiable part of a ReasonerState (position is a trace-time number). */
export type ChainState = { latent: Array; carry: Tree };

/** Added to a per-example norm before dividing: an all-zero cotangent stays zero. */
export const UNIT_NORM_EPS = 1e-12;

type Scope = (boolean | Array)[];

const isFloat = (x: Array) => x.dtype === np.float32 || x.dtype === np.float64;

export const chainPart = (s: ReasonerState): ChainState => ({ latent: s.latent, carry: s.carry });

/**
 * The recurrent-state mask of a state-shaped tree `s` (a state or its cotangent) at `position`,
 * one entry per leaf; non-float leaves are never in it. Borrows `s`; the caller frees the masks.
 */
function scopeOf(reasoner: Pick<Reasoner, "recurrentStateMask">, s: ChainState, position: number): Scope {
  const ls = leaves(s as unknown as Tree);
  const scope = reasoner.recurrentStateMask({ ...s, position });
  if (scope.length !== ls.length) {
    throw new Error(`recurrentStateMask gave ${scope.length} entries for a state of ${ls.length} leaves`);
  }
  return scope.map((m, i) => {
    if (isFloat(ls[i])) return m;
    if (typeof m !== "boolean") m.dispose();
    return false;
  });
}

const releaseScope = (scope: Scope) => scope.forEach((m) => typeof m !== "boolean" && m.dispose());

/** Σ x² per example over the masked elements of one leaf: [B]. Consumes `x`, borrows `mask`. */
function sumSquares(x: Array, mask: true | Array): Array {
  const [B] = x.shape;
  const kept = mask === true ? x : np.where(mask.ref, x, 0);
  return np.square(kept).reshape([B, -1]).sum(-1);
}

/** ‖x‖ per example over whole leaves sharing axis 0: [B]. Consumes the leaves. */
export function perExampleNorm(xs: Array[]): Array {
  return np.sqrt(xs.map((x) => sumSquares(x, true)).reduce((a, b) => a.add(b)));
}

/** Per-example norm of the recurrent state of `s` at `position`: [B]. Borrows `s`. */
export function recurrentNorm(reasoner: Pick<Reasoner, "recurrentStateMask">, s: ChainState, position: number): Array {
  const scope = scopeOf(reasoner, s, position);
  const ls = leaves(s as unknown as Tree);
  const parts = ls.flatMap((x, i) => (scope[i] === false ? [] : [sumSquares(x.ref, scope[i] as true | Array)]));
  releaseScope(scope);
  return np.sqrt(parts.reduce((a, b) => a.add(b)));
}

/**
 * Rescale each example's recurrent-state cotangent to unit L2 norm, jointly over its elements:
 * g / (‖g‖ + 1e-12); elements outside the recurrent state pass through unchanged. Consumes `g`.
 */
export function unitNormPerExample(reasoner: Pick<Reasoner, "recurrentStateMask">, g: ChainState, position: number): ChainState {
  const norm = recurrentNorm(reasoner, g, position);
  const [B] = norm.shape;
  const factor = np.reciprocal(norm.add(UNIT_NORM_EPS));
  const scope = scopeOf(reasoner, g, position);
  const [ls, rebuild] = flatten(g as unknown as Tree);
  const scaled = ls.map((x, i) => {
    const m = scope[i];
    if (m === false) return x;
    const f = factor.ref.reshape([B, ...x.shape.slice(1).map(() => 1)]);
    return m === true ? x.mul(f) : np.where(m.ref, x.ref.mul(f), x);
  });
  factor.dispose();
  releaseScope(scope);
  return rebuild(scaled) as unknown as ChainState;
}

/**
 * Zero probes, one per leaf that holds recurrent state, in flatten order: whole-leaf for a `true`
 * entry; for a mask, the leaf's shape with the masked axes reduced to 1 (the transformer's
 * [B, 1, D] for a [1, N, 1] slot mask), so the probe's cotangent is just the selected part and the
 * backward pass does not have to write out whole caches. Borrows `s`.
 */
export function zeroProbes(reasoner: Pick<Reasoner, "recurrentStateMask">, s: ReasonerState): Array[] {
  const scope = scopeOf(reasoner, chainPart(s), s.position);
  const ls = leaves(chainPart(s) as unknown as Tree);
  const out = ls.flatMap((x, i) => {
    const m = scope[i];
    if (m === false) return [];
    const shape = m === true ? x.shape : x.shape.map((n, a) => ((m.shape[a - (x.ndim - m.ndim)] ?? 1) > 1 ? 1 : n));
    return [np.zeros(shape, { dtype: x.dtype })];
  });
  releaseScope(scope);
  return out;
}

/** Add `zeroProbes`' probes to their leaves (a reduced probe broadcast into the masked part). Consumes `s` and the probes. */
export function addProbes(reasoner: Pick<Reasoner, "recurrentStateMask">, s: ReasonerState, probes: Array[]): ReasonerState {
  const scope = scopeOf(reasoner, chainPart(s), s.position);
  const [ls, rebuild] = flatten(chainPart(s) as unknown as Tree);
  let next = 0;
  const out = ls.map((x, i) => {
    const m = scope[i];
    if (m === false) return x;
    const probe = probes[next++];
    return m === true ? x.add(probe) : np.where(m.ref, x.ref.add(probe), x);
  });
  releaseScope(scope);
  return { ...(rebuild(out) as unknown as ChainState), position: s.position };
}

/** The same state with no gradient flowing back through any leaf. Consumes `s`. */
export function stopGradientState(s: ReasonerState): ReasonerState {
  const [ls, rebuild] = flatten(chainPart(s) as unknown as Tree);
  const stopped = rebuild(ls.map((x) => (isFloat(x) ? lax.stopGradient(x) : x))) as unknown as ChainState;
  return { ...stopped, position: s.position };
}

/** Free a state's arrays. */
export function disposeState(s: ChainState | ReasonerState): void {
  dispose([s.latent, s.carry]);
}

/** A second reference to the same state (the chain goes on from `s`; the copy is read on the side). Borrows `s`. */
export const refState = (s: ReasonerState): ReasonerState => ({ latent: s.latent.ref, carry: ref(s.carry), position: s.position });

/** The dtype of the first floating-point leaf of a parameter tree (float32 or float64). */
export function floatDtype(params: Tree): DType {
  const leaf = leaves(params).find(isFloat);
  if (!leaf) throw new Error("latent chain: the parameter tree has no floating-point leaf");
  return leaf.dtype;
}

/** A readout's output as [loss, aux]. */
export function lossAndAux(out: Array | [Array, Tree]): [Array, Tree] {
  return globalThis.Array.isArray(out) ? out : [out, {}];
}

/** Stack K scalars into a [K] vector (a [0] vector when K = 0). */
export function vectorOf(scalars: Array[], dtype: DType): Array {
  return scalars.length ? np.stack(scalars) : np.zeros([0], { dtype });
}
