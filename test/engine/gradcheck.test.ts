import { test, before } from "node:test";
import assert from "node:assert/strict";
import { jit, lax, np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { gradCheck, toFloat64 } from "../../src/engine/gradcheck.js";
import { dispose } from "../../src/engine/tree.js";

before(async () => {
  await startEngine("cpu");
});

const vec = (xs: number[]) => np.array(new Float64Array(xs), { dtype: np.float64 });

test("gradCheck: a correct gradient passes, with deterministic coordinates", async () => {
  const params = { a: vec([0.3, -1.2, 0.7, 2.0]), b: { c: vec([0.5, -0.4]) } };
  const f = (p: { a: Array; b: { c: Array } }) => np.sin(p.a).sum().mul(np.square(p.b.c).sum());
  const r1 = await gradCheck(f, params, { samplesPerLeaf: 2, seed: 7 });
  const r2 = await gradCheck(f, params, { samplesPerLeaf: 2, seed: 7 });
  assert.ok(r1.maxRelError < 1e-6, `error ${r1.maxRelError}`);
  assert.deepEqual(r1.leaves.map((l) => l.path), ["a", "b.c"]);
  assert.deepEqual(r1.leaves[0].coords, r2.leaves[0].coords);
  assert.equal(r1.leaves[0].coords.length, 2);
  assert.equal(r1.leaves[1].coords.length, 2);
  dispose(params); // gradCheck borrowed the tree
});

test("gradCheck: a wrong gradient is caught", async () => {
  // d/dx Σ x·sg(x) is x analytically but 2x numerically: relative error 1/3.
  const params = { x: vec([0.5, -1.5, 2.5]) };
  const f = (p: { x: Array }) => p.x.ref.mul(lax.stopGradient(p.x)).sum();
  const r = await gradCheck(f, params, { samplesPerLeaf: 3 });
  assert.ok(Math.abs(r.maxRelError - 1 / 3) < 1e-6, `error ${r.maxRelError}`);
  assert.equal(r.worst, "x");
  dispose(params);
});

test("toFloat64 casts every leaf", () => {
  const t = toFloat64({ a: np.ones([2]), b: [np.zeros([3], { dtype: np.float64 })] });
  assert.equal(t.a.dtype, np.float64);
  assert.equal(t.b[0].dtype, np.float64);
  dispose(t);
});

test("jax-js quirk: under jit, scalar constants are rounded to float32, even in float64 code", async () => {
  // Eager x·0.1 is exact in float64; jit(x ⇒ x·0.1) multiplies by fround(0.1). Harmless for
  // gradient checks because gradCheck evaluates both sides jitted (same constants), but it caps
  // float64 agreement with a JS reference at ~1e-8 relative. If this fails, jax-js fixed it.
  const x = () => vec([1, 3]);
  const eager = await x().mul(0.1).data();
  const scale = jit((a: Array) => a.mul(0.1));
  const jitted = await scale(x()).data();
  scale.dispose();
  assert.equal(eager[1], 3 * 0.1);
  assert.equal(jitted[1], 3 * Math.fround(0.1));
});
