import { test, before } from "node:test";
import assert from "node:assert/strict";
import { np } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { gradCheck } from "../../src/engine/gradcheck.js";
import { dispose } from "../../src/engine/tree.js";
import { initLinear, linear, type Linear } from "../../src/nn/index.js";
import { assertGradOk, fixedWeights, randomInput } from "./util.js";

before(async () => {
  await startEngine("cpu");
});

test("linear: shapes, bias option, float64 init", () => {
  const p = initLinear(modelKey(0), 3, 5);
  assert.deepEqual(p.w.shape, [3, 5]);
  assert.deepEqual(p.b.shape, [5]);
  assert.equal(p.w.dtype, np.float32);
  const y = linear(p, np.ones([2, 4, 3]));
  assert.deepEqual(y.shape, [2, 4, 5]);
  y.dispose();
  dispose(p);
  const q = initLinear(modelKey(0), 3, 5, { bias: false, dtype: np.float64 });
  assert.ok(!("b" in q));
  assert.equal(q.w.dtype, np.float64);
  dispose(q);
});

test("linear: gradient w.r.t. w, b and x (float64 finite differences)", async () => {
  const p = initLinear(modelKey(1), 4, 3, { dtype: np.float64 });
  const b = np.array(new Float64Array([0.1, -0.2, 0.3]), { dtype: np.float64 }); // non-zero bias
  p.b.dispose();
  const params = { layer: { w: p.w, b }, x: randomInput(2, [2, 5, 4]) };
  const w = fixedWeights(3, [2, 5, 3]);
  const loss = (t: { layer: Linear; x: typeof b }) => np.tanh(linear(t.layer, t.x)).mul(w.ref).sum();
  assertGradOk(await gradCheck(loss, params, { samplesPerLeaf: 4 }));
  dispose(params);
  w.dispose();
});
