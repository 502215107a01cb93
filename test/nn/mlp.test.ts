import { test, before } from "node:test";
import assert from "node:assert/strict";
import { np } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { gradCheck, toFloat64 } from "../../src/engine/gradcheck.js";
import { dispose } from "../../src/engine/tree.js";
import { gelu, initMlp, mlp, type Mlp } from "../../src/nn/index.js";
import { assertGradOk, fixedWeights, host, maxAbsDiff, randomInput } from "./util.js";

before(async () => {
  await startEngine("cpu");
});

test("gelu is the tanh approximation", async () => {
  // 1e-7, not 1e-15: jnn.gelu is jitted, and jax-js rounds scalar constants to float32 under jit.
  const xs = [-3, -1, -0.5, 0, 0.3, 1, 2.5];
  const ref = xs.map((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))));
  const got = await host(gelu(np.array(new Float64Array(xs), { dtype: np.float64 })));
  assert.ok(maxAbsDiff(got, ref) < 1e-7);
});

test("mlp: shapes", () => {
  const p = initMlp(modelKey(0), 4, 16);
  assert.deepEqual(p.up.w.shape, [4, 16]);
  assert.deepEqual(p.down.w.shape, [16, 4]);
  const y = mlp(p, np.ones([2, 3, 4]));
  assert.deepEqual(y.shape, [2, 3, 4]);
  y.dispose();
  dispose(p);
});

test("mlp: gradient w.r.t. params and x (float64)", async () => {
  const params = { mlp: toFloat64(initMlp(modelKey(1), 4, 8)), x: randomInput(2, [2, 3, 4]) };
  const w = fixedWeights(3, [2, 3, 4]);
  const loss = (t: { mlp: Mlp; x: typeof w }) => mlp(t.mlp, t.x).mul(w.ref).sum();
  assertGradOk(await gradCheck(loss, params, { samplesPerLeaf: 4 }));
  dispose(params);
  w.dispose();
});
