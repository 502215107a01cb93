import { test, before } from "node:test";
import assert from "node:assert/strict";
import { np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey, splitKey } from "../../src/engine/rng.js";
import { gradCheck, toFloat64 } from "../../src/engine/gradcheck.js";
import { dispose } from "../../src/engine/tree.js";
import { crossEntropy, gruCell, initGru, initLinear, linear, type Gru, type Linear } from "../../src/nn/index.js";
import { assertGradOk, f64, fixedWeights, host, ints, maxAbsDiff, randomInput, sigmoid, vecMat } from "./util.js";

before(async () => {
  await startEngine("cpu");
});

test("GRU: shapes, and PyTorch's equations against a plain-JS reference", async () => {
  const [dIn, H] = [3, 4];
  const p = toFloat64(initGru(modelKey(0), dIn, H));
  assert.deepEqual([p.wi.shape, p.bi.shape, p.wh.shape, p.bh.shape], [[dIn, 3 * H], [3 * H], [H, 3 * H], [3 * H]]);
  const [h, x] = [await host(randomInput(1, [1, H])), await host(randomInput(2, [1, dIn]))];
  const [wi, bi, wh, bh] = [await host(p.wi.ref), await host(p.bi.ref), await host(p.wh.ref), await host(p.bh.ref)];
  const gx = vecMat(x, wi, 3 * H).map((v, j) => v + bi[j]);
  const gh = vecMat(h, wh, 3 * H).map((v, j) => v + bh[j]);
  const expected = h.map((hj, j) => {
    const r = sigmoid(gx[j] + gh[j]);
    const z = sigmoid(gx[H + j] + gh[H + j]);
    const n = Math.tanh(gx[2 * H + j] + r * gh[2 * H + j]);
    return (1 - z) * n + z * hj;
  });
  const got = gruCell(p, f64(h, [1, H]), f64(x, [1, dIn]));
  assert.deepEqual(got.shape, [1, H]);
  assert.ok(maxAbsDiff(await host(got), expected) < 1e-12);
  dispose(p);
});

test("GRU cell: gradient w.r.t. params, h and x (float64)", async () => {
  const params = { gru: toFloat64(initGru(modelKey(3), 3, 4)), h: randomInput(4, [2, 4]), x: randomInput(5, [2, 3]) };
  const w = fixedWeights(6, [2, 4]);
  const loss = (t: { gru: Gru; h: Array; x: Array }) => gruCell(t.gru, t.h, t.x).mul(w.ref).sum();
  assertGradOk(await gradCheck(loss, params, { samplesPerLeaf: 4 }));
  dispose(params);
  w.dispose();
});

test("GRU unrolled 8 steps, cross-entropy on the final state through a linear head (float64)", async () => {
  const [B, T, dIn, H, V] = [2, 8, 3, 4, 5];
  const [k1, k2] = splitKey(modelKey(7));
  const params = { gru: toFloat64(initGru(k1, dIn, H)), head: initLinear(k2, H, V, { dtype: np.float64 }) };
  const xs = randomInput(8, [B, T, dIn]);
  const targets = ints([1, 4], [B]);
  const loss = (p: { gru: Gru; head: Linear }) => {
    let h = np.zeros([B, H], { dtype: np.float64 });
    for (let t = 0; t < T; t++) h = gruCell(p.gru, h, xs.ref.slice([], t));
    return crossEntropy(linear(p.head, h), targets.ref);
  };
  assertGradOk(await gradCheck(loss, params, { samplesPerLeaf: 4 }));
  dispose(params);
  dispose([xs, targets]);
});
