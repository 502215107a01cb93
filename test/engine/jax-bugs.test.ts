// jax-js 0.1.25 behaviours we work around. Each test asserts the bug is still there: when one
// fails after an upgrade, the bug is fixed and the workaround it names can go.
import { test } from "node:test";
import assert from "node:assert/strict";
import { np } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";

await startEngine("wasm");
const hex = (t: ArrayBufferView) => Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString("hex");

test("np.array of a one-element Float32Array quiets a signaling NaN (workaround: arrayFromBytes)", async () => {
  // Arrays under 128 elements that are all equal become a JS-number constant; float32 → number
  // → float32 sets the quiet bit. Two elements (NaN !== NaN) keep a real buffer and the bits.
  const snan = new Float32Array(Uint32Array.of(0x7f800001).buffer);
  assert.equal(hex(await np.array(snan).data()), "0100c07f"); // was 0100807f
  const two = new Float32Array(Uint32Array.of(0x7f800001, 0x7f800001).buffer);
  assert.equal(hex(await np.array(two).data()), "0100807f0100807f");
});

test("np.array of an empty typed array throws (workaround: np.zeros for size-0 leaves)", () => {
  assert.throws(() => np.array(new Float32Array(0), { shape: [0, 3] }), /Expected a number for constant, got undefined/);
});

test("vjp throws when an output is also consumed inside the function (workaround: vjpFresh)", async () => {
  const { vjp } = await import("../../src/engine/jax.js");
  const { vjpFresh } = await import("../../src/engine/vjp.js");
  type A = import("../../src/engine/jax.js").Array;
  // y is returned and also feeds y·3: jax-js's toposort orders y's equation after its consumer
  const f = (x: A): A[] => {
    const y = x.mul(2);
    return [y.ref, y.mul(3)];
  };
  assert.throws(() => vjp(f as never, [np.array([1, 2, 3])] as never), /Invalid atom type: undefined/);
  const [out, pull] = vjpFresh(f, [np.array([1, 2, 3])]);
  const [g] = pull([np.ones([3]), np.ones([3])]);
  pull.dispose();
  assert.deepEqual(Array.from(await g.data()), [8, 8, 8]); // ∂(2x + 6x)/∂x
  for (const o of out) o.dispose();
});

test("aux of valueAndGrad is a stray tracer when the function takes a grad inside (workaround: valueAndGradNestedAux)", async () => {
  const { grad, jit, valueAndGrad } = await import("../../src/engine/jax.js");
  const { valueAndGradNestedAux } = await import("../../src/engine/vjp.js");
  type A = import("../../src/engine/jax.js").Array;
  const f = (w: A, z: A): [A, A] => {
    const g = grad((zz: A) => np.sin(zz).sum())(z) as unknown as A; // independent of w
    return [w.ref.mul(g).sum(), w.mul(2)];
  };
  const plain = (w: A, z: A) => (valueAndGrad((ww: A) => f(ww, z), { hasAux: true }) as unknown as (w: A) => [[A, A], A])(w);
  const [[, strayAux]] = plain(np.array([0.5, 1]), np.array([2, 3]));
  assert.equal(typeof (strayAux as { data?: unknown }).data, "undefined"); // a JVPTracer, not an Array
  assert.throws(() => jit(plain)(np.array([0.5, 1]), np.array([2, 3])), /Can't lift Tracer level/);
  const fixed = jit((w: A, z: A) => valueAndGradNestedAux((ww: A) => f(ww, z), w));
  const [[loss, aux], g] = fixed(np.array([0.5, 1]), np.array([2, 3])) as unknown as [[A, A], A];
  const close = (a: ArrayLike<number>, b: number[]) => b.every((v, i) => Math.abs(a[i] - v) < 1e-6);
  assert.ok(close(await aux.data(), [1, 2]));
  assert.ok(close(await g.data(), [Math.cos(2), Math.cos(3)]));
  assert.ok(close(await loss.data(), [0.5 * Math.cos(2) + Math.cos(3)]));
  fixed.dispose();
});

test("float64 jit(grad) of sum(a·b, axis).mean() is wrong when a and b both depend on the input (workaround: meanAll)", async () => {
  const { grad, jit } = await import("../../src/engine/jax.js");
  const { meanAll } = await import("../../src/engine/reduce.js");
  type A = import("../../src/engine/jax.js").Array;
  type P = { z: A; L: A };
  const f64 = (xs: number[]) => np.array(new Float64Array(xs), { dtype: np.float64 }).reshape([2, 3]);
  const input = (): P => ({ z: f64([0.1, 0.2, 0.3, -0.4, 0.5, 0.6]), L: f64([1, 2, 3, 4, 5, 6]) });
  const zGrad = async (f: (p: P) => A, jitted: boolean) => {
    const g = jitted ? jit(grad(f)) : grad(f);
    const out = g(input() as never) as unknown as P;
    out.L.dispose();
    return Array.from(await out.z.data(), Number);
  };
  const buggy = (p: P) => np.exp(p.z).mul(p.L).sum(1).mean();
  const fixed = (p: P) => meanAll(np.exp(p.z).mul(p.L).sum(1));
  const exact = await zGrad(buggy, false); // eager grad is right: 0.5·exp(z)·L
  const far = (a: number[]) => Math.max(...a.map((x, i) => Math.abs(x - exact[i])));
  assert.ok(far(await zGrad(buggy, true)) > 1, "jit(grad) of .sum(1).mean() is right now: drop meanAll");
  assert.ok(far(await zGrad(fixed, true)) < 1e-5, "meanAll's gradient under jit");
});
