// vjp with a workaround for a jax-js 0.1.25 bug: when an output of the differentiated function is
// also consumed by another operation inside it (a KV cache that the same step attends to, a lower
// layer's h that feeds the layer above), vjp throws "TypeError: Invalid atom type: undefined".
// Cause: `toposort` (dist/backend-*.js) decrements the child count of every terminal, so an
// output that is also a parent is ordered after its consumers, and the linear jaxpr reads an
// unbound variable. Fix here: each output leaf is passed through a multiply by 1, a fresh node
// that nothing else consumes (fused away under jit). test/engine/jax-bugs.test.ts pins the bug.
import { jtree, np, valueAndGrad, vjp as jaxVjp, type Array, type OwnedFunction } from "./jax.js";

/** A fresh handle on every leaf of `out` (consumes `out`). */
function freshLeaves<T>(out: T): T {
  return jtree.map((x: Array) => x.mul(1), out as never) as T;
}

/**
 * jax-js `vjp(f, primals)` with the fix above: returns [f(...primals), pullback]; the pullback takes
 * a cotangent tree shaped like the output and returns one cotangent per primal. Call `.dispose()`
 * on the pullback. `f` follows the usual ownership of its arguments.
 */
export function vjpFresh<F extends (...args: any[]) => any>(
  f: F,
  primals: Parameters<F>,
): [ReturnType<F>, OwnedFunction<(ct: ReturnType<F>) => any[]>] {
  const wrapped = (...args: Parameters<F>) => freshLeaves(f(...args));
  return jaxVjp(wrapped as never, primals as never) as never;
}

/** `vjpFresh` for a function returning [out, aux]; aux is not differentiated. Returns [out, pullback, aux]. */
export function vjpFreshWithAux<F extends (...args: any[]) => [any, any]>(
  f: F,
  primals: Parameters<F>,
): [ReturnType<F>[0], OwnedFunction<(ct: ReturnType<F>[0]) => any[]>, ReturnType<F>[1]] {
  const wrapped = (...args: Parameters<F>) => {
    const [out, aux] = f(...args);
    return [freshLeaves(out), aux];
  };
  return jaxVjp(wrapped as never, primals as never, { hasAux: true }) as never;
}

/** `valueAndGrad(f, { hasAux: true })(x)`, typed: [[loss, aux], ∂loss/∂x]. `x` is consumed. */
export function valueAndGradAux<X, A>(f: (x: X) => [Array, A], x: X): [[Array, A], X] {
  const vg = valueAndGrad(f as never, { hasAux: true }) as unknown as (x: X) => [[Array, A], X];
  return vg(x);
}

/**
 * `valueAndGrad(f, { hasAux: true })(x)` for an `f` that itself calls `grad`/`valueAndGrad`
 * (a gradient taken inside a loss, e.g. a regression target ∇_z log p). jax-js 0.1.25 bug: with a
 * nested grad inside, the aux outputs of valueAndGrad (and of vjp with hasAux) come out as
 * tracers of the inner transformation (eager: a JVPTracer; jit: "Can't lift Tracer level n to
 * level m"). Fix here: aux is made a differentiated output too and pulled back with zero
 * cotangents. Pin: test/engine/jax-bugs.test.ts. Returns [[loss, aux], ∂loss/∂x]; `f` consumes
 * its argument, `x` is consumed. Aux leaves must be float arrays.
 */
export function valueAndGradNestedAux<X, A>(f: (x: X) => [Array, A], x: X): [[Array, A], X] {
  const [[loss, aux], pull] = vjpFresh((xx: X) => f(xx), [x] as never) as unknown as [[Array, A], OwnedFunction<(ct: [Array, A]) => [X]>];
  const ones = np.ones(loss.shape, { dtype: loss.dtype });
  const zeros = jtree.map((a: Array) => np.zeros(a.shape, { dtype: a.dtype }), aux as never) as A;
  const [grads] = pull([ones, zeros]);
  pull.dispose();
  return [[loss, aux], grads];
}
