import { test, before } from "node:test";
import assert from "node:assert/strict";
import type { Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { gradCheck, toFloat64 } from "../../src/engine/gradcheck.js";
import { dispose } from "../../src/engine/tree.js";
import { initLstm, lstmCell, type Lstm, type LstmState } from "../../src/nn/index.js";
import { assertGradOk, f64, fixedWeights, host, maxAbsDiff, randomInput, sigmoid, vecMat } from "./util.js";

before(async () => {
  await startEngine("cpu");
});

test("LSTM: shapes, forget-gate bias 1, and the standard equations against a plain-JS reference", async () => {
  const [dIn, H] = [3, 2];
  const p = toFloat64(initLstm(modelKey(9), dIn, H));
  assert.deepEqual([p.wi.shape, p.wh.shape, p.b.shape], [[dIn, 4 * H], [H, 4 * H], [4 * H]]);
  assert.deepEqual(await host(p.b.ref), [0, 0, 1, 1, 0, 0, 0, 0]);
  p.b.dispose();
  p.b = randomInput(10, [4 * H]);
  const [h, c, x] = [await host(randomInput(11, [1, H])), await host(randomInput(12, [1, H])), await host(randomInput(13, [1, dIn]))];
  const [wi, wh, b] = [await host(p.wi.ref), await host(p.wh.ref), await host(p.b.ref)];
  const pre = vecMat(x, wi, 4 * H).map((v, j) => v + vecMat(h, wh, 4 * H)[j] + b[j]);
  const cNew = c.map((cj, j) => sigmoid(pre[H + j]) * cj + sigmoid(pre[j]) * Math.tanh(pre[2 * H + j]));
  const hNew = cNew.map((cj, j) => sigmoid(pre[3 * H + j]) * Math.tanh(cj));
  const got = lstmCell(p, { h: f64(h, [1, H]), c: f64(c, [1, H]) }, f64(x, [1, dIn]));
  assert.ok(maxAbsDiff(await host(got.h), hNew) < 1e-12);
  assert.ok(maxAbsDiff(await host(got.c), cNew) < 1e-12);
  dispose(p);
});

test("LSTM cell: gradient w.r.t. params, h, c and x (float64)", async () => {
  const params = {
    lstm: toFloat64(initLstm(modelKey(14), 3, 4)),
    state: { h: randomInput(15, [2, 4]), c: randomInput(16, [2, 4]) },
    x: randomInput(17, [2, 3]),
  };
  const [wh, wc] = [fixedWeights(18, [2, 4]), fixedWeights(19, [2, 4])];
  const loss = (t: { lstm: Lstm; state: LstmState; x: Array }) => {
    const s = lstmCell(t.lstm, t.state, t.x);
    return s.h.mul(wh.ref).sum().add(s.c.mul(wc.ref).sum());
  };
  assertGradOk(await gradCheck(loss, params, { samplesPerLeaf: 4 }));
  dispose(params);
  dispose([wh, wc]);
});
