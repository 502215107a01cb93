// Plain-JS float64 reference optimizers and small tree helpers for the optimizer tests.
import assert from "node:assert/strict";
import { np } from "../../src/engine/jax.js";
import { dispose, flattenNamed, ref, type Tree } from "../../src/engine/tree.js";
import { applyUpdates, type GradientTransformation } from "../../src/optim/index.js";

/** A host-side parameter tree: dotted name → flat values (plus its shape). */
export type HostTree = Record<string, { shape: number[]; values: number[] }>;

export const SHAPES: Record<string, number[]> = { "layer.w": [3, 4], "layer.b": [4], "norm.g": [4] };

/** Deterministic values in [-scale, scale), already rounded to float32. */
export function fixedValues(seed: number, n: number, scale = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround((s / 2 ** 32 - 0.5) * 2 * scale);
  });
}

export function hostTree(seed: number, scale = 1): HostTree {
  return Object.fromEntries(
    Object.entries(SHAPES).map(([name, shape], i) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return [name, { shape, values: fixedValues(seed * 7 + i + 1, n, scale) }];
    }),
  );
}

/** The device tree { layer: { w, b }, norm: { g } } for a host tree. */
export function deviceTree(h: HostTree): Tree {
  const arr = (name: string) => np.array(Float32Array.from(h[name].values)).reshape(h[name].shape);
  return { layer: { w: arr("layer.w"), b: arr("layer.b") }, norm: { g: arr("norm.g") } };
}

/** Host copy of a device tree (consumes it). */
export async function toHost(t: Tree): Promise<HostTree> {
  const out: HostTree = {};
  for (const [name, leaf] of Object.entries(flattenNamed(t))) {
    const shape = leaf.shape;
    out[name] = { shape, values: Array.from(await leaf.data()) };
  }
  return out;
}

/** |a − b| ≤ rtol·|b| + atol everywhere. */
export function assertClose(actual: HostTree, expected: HostTree, rtol = 1e-6, atol = 1e-7, what = ""): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const name of Object.keys(expected)) {
    expected[name].values.forEach((e, i) => {
      const a = actual[name].values[i];
      assert.ok(Math.abs(a - e) <= rtol * Math.abs(e) + atol, `${what} ${name}[${i}]: got ${a}, want ${e}`);
    });
  }
}

/** max|a − b| ≤ rtol·max|b| over the whole tree (elementwise checks would punish cancellation). */
export function assertNormwiseClose(actual: HostTree, expected: HostTree, rtol: number, what = ""): void {
  let [err, size, worst] = [0, 0, ""];
  for (const name of Object.keys(expected)) {
    expected[name].values.forEach((e, i) => {
      const d = Math.abs(actual[name].values[i] - e);
      if (d > err) [err, worst] = [d, `${name}[${i}]`];
      size = Math.max(size, Math.abs(e));
    });
  }
  assert.ok(err <= rtol * size, `${what}: error ${err.toExponential(2)} at ${worst} > ${rtol} × ${size.toExponential(2)}`);
}

const mapHost = (h: HostTree, f: (name: string, i: number, x: number) => number): HostTree =>
  Object.fromEntries(Object.entries(h).map(([n, { shape, values }]) => [n, { shape, values: values.map((x, i) => f(n, i, x)) }]));

/** torch.optim.SGD(momentum, nesterov, dampening=0) on host trees: (params, grads) → updates. */
export function referenceSgd(lr: (step: number) => number, momentum: number, nesterov: boolean) {
  let trace: HostTree | undefined;
  let step = 0;
  return (params: HostTree, grads: HostTree): HostTree => {
    trace = mapHost(grads, (n, i, g) => g + momentum * (trace ? trace[n].values[i] : 0));
    const t = trace;
    const rate = lr(step++);
    return mapHost(params, (n, i) => {
      const g = grads[n].values[i];
      const u = momentum === 0 ? g : nesterov ? g + momentum * t[n].values[i] : t[n].values[i];
      return -rate * u;
    });
  };
}

/** torch.optim.AdamW / optax.adamw: (params, grads) → updates; `decay(name)`: which leaves decay. */
export function referenceAdamW(o: { lr: (step: number) => number; b1: number; b2: number; eps: number; wd: number; decay: (name: string) => boolean }) {
  let mu: HostTree | undefined;
  let nu: HostTree | undefined;
  let step = 0;
  return (params: HostTree, grads: HostTree): HostTree => {
    mu = mapHost(grads, (n, i, g) => o.b1 * (mu ? mu[n].values[i] : 0) + (1 - o.b1) * g);
    nu = mapHost(grads, (n, i, g) => o.b2 * (nu ? nu[n].values[i] : 0) + (1 - o.b2) * g * g);
    const rate = o.lr(step++);
    const [c1, c2] = [1 - o.b1 ** step, 1 - o.b2 ** step];
    const [m, v] = [mu, nu];
    return mapHost(params, (n, i, p) => {
      const u = m[n].values[i] / c1 / (Math.sqrt(v[n].values[i] / c2) + o.eps) + (o.decay(n) ? o.wd * p : 0);
      return -rate * u;
    });
  };
}


/**
 * Run `steps` updates of `optimizer` (eagerly) and of the host reference from the same start and
 * the same gradients; compare the updates (relative to their size) and the parameters each step.
 */
export async function compareWithReference(
  optimizer: GradientTransformation<Tree>,
  reference: (params: HostTree, grads: HostTree) => HostTree,
  opts: { steps?: number; rtol?: number; gradScale?: number } = {},
): Promise<void> {
  const { steps = 6, rtol = 1e-6, gradScale = 1 } = opts;
  let expected = hostTree(1);
  let params = deviceTree(expected);
  let state = optimizer.init(params);
  for (let step = 0; step < steps; step++) {
    const grads = hostTree(100 + step, gradScale);
    const [updates, next] = optimizer.update(deviceTree(grads), state, params);
    const expectedUpdates = reference(expected, grads);
    assertNormwiseClose(await toHost(ref(updates)), expectedUpdates, rtol, `step ${step} updates`);
    params = applyUpdates(params, updates);
    state = next;
    expected = mapHost(expected, (n, i, p) => p + expectedUpdates[n].values[i]);
    assertClose(await toHost(ref(params)), expected, 1e-6, 1e-7, `step ${step} params`);
  }
  dispose(params);
  dispose(state);
}
