import { test, before } from "node:test";
import assert from "node:assert/strict";
import { np } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { gradCheck } from "../../src/engine/gradcheck.js";
import { dispose } from "../../src/engine/tree.js";
import { initLayerNorm, layerNorm, type LayerNorm } from "../../src/nn/index.js";
import { assertGradOk, fixedWeights, host, randomInput } from "./util.js";

before(async () => {
  await startEngine("cpu");
});

test("layer norm: default gain/bias give zero mean, unit (biased) variance per row", async () => {
  const p = initLayerNorm(6);
  assert.deepEqual(p.gain.shape, [6]);
  assert.deepEqual(p.bias.shape, [6]);
  const x = randomInput(0, [3, 2, 6]).astype(np.float32).mul(5).add(3);
  const y = layerNorm(p, x);
  assert.deepEqual(y.shape, [3, 2, 6]);
  const v = await host(y);
  for (let r = 0; r < 6; r++) {
    const row = v.slice(r * 6, r * 6 + 6);
    const mean = row.reduce((a, b) => a + b, 0) / 6;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 6;
    assert.ok(Math.abs(mean) < 1e-6, `mean ${mean}`);
    // var(y) = var(x) / (var(x) + eps) with var(x) ≈ 25
    assert.ok(Math.abs(variance - 1) < 1e-5, `variance ${variance}`);
  }
  dispose(p);
});

test("layer norm: gradient w.r.t. gain, bias and x (float64)", async () => {
  const params = {
    ln: { gain: randomInput(1, [5]), bias: randomInput(2, [5]) },
    x: randomInput(3, [2, 3, 5]),
  };
  const w = fixedWeights(4, [2, 3, 5]);
  const loss = (t: { ln: LayerNorm; x: typeof w }) => layerNorm(t.ln, t.x).mul(w.ref).sum();
  assertGradOk(await gradCheck(loss, params, { samplesPerLeaf: 5 }));
  dispose(params);
  w.dispose();
});
