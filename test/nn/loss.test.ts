import { test, before } from "node:test";
import assert from "node:assert/strict";
import { np } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { gradCheck } from "../../src/engine/gradcheck.js";
import { dispose } from "../../src/engine/tree.js";
import { crossEntropy } from "../../src/nn/index.js";
import { assertGradOk, host, ints, randomInput } from "./util.js";

before(async () => {
  await startEngine("cpu");
});

/** Reference −log softmax(l)[t], from host values. */
function refCe(logits: number[], V: number, targets: number[]): number[] {
  return targets.map((t, i) => {
    const row = logits.slice(i * V, i * V + V);
    const m = Math.max(...row);
    return -(row[t] - m - Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0)));
  });
}

test("crossEntropy: mean and masked mean match a reference", async () => {
  const V = 5;
  const targets = [0, 4, 2, 2, 1, 3];
  const logitsHost = await host(randomInput(0, [2, 3, V]).mul(2));
  const per = refCe(logitsHost, V, targets);
  const logits = () => np.array(Float64Array.from(logitsHost), { dtype: np.float64 }).reshape([2, 3, V]);
  const mean = (await host(crossEntropy(logits(), ints(targets, [2, 3]))))[0];
  assert.ok(Math.abs(mean - per.reduce((a, b) => a + b) / 6) < 1e-12);
  const mask = [1, 0, 1, 1, 0, 0];
  const masked = (await host(crossEntropy(logits(), ints(targets, [2, 3]), ints(mask, [2, 3]).astype(np.bool))))[0];
  assert.ok(Math.abs(masked - (per[0] + per[2] + per[3]) / 3) < 1e-12);
  const none = (await host(crossEntropy(logits(), ints(targets, [2, 3]), np.zeros([2, 3]))))[0];
  assert.equal(none, 0);
});

test("crossEntropy: gradient w.r.t. logits, with and without mask (float64)", async () => {
  const params = { logits: randomInput(1, [2, 3, 5]).mul(2) };
  const targets = ints([0, 4, 2, 2, 1, 3], [2, 3]);
  const mask = np.array(new Float64Array([1, 0, 1, 1, 0.5, 0]), { dtype: np.float64 }).reshape([2, 3]);
  const plain = (p: typeof params) => crossEntropy(p.logits, targets.ref);
  const masked = (p: typeof params) => crossEntropy(p.logits, targets.ref, mask.ref);
  assertGradOk(await gradCheck(plain, params, { samplesPerLeaf: 10 }));
  assertGradOk(await gradCheck(masked, params, { samplesPerLeaf: 10 }));
  dispose(params);
  targets.dispose();
  mask.dispose();
});
