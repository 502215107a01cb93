import { test, before } from "node:test";
import assert from "node:assert/strict";
import { grad, jit, np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { gradCheck, toFloat64 } from "../../src/engine/gradcheck.js";
import { dispose } from "../../src/engine/tree.js";
import { embed, initEmbedding, initLinear, linear, type Embedding } from "../../src/nn/index.js";
import { assertGradOk, fixedWeights, host, ints, maxAbsDiff } from "./util.js";

before(async () => {
  await startEngine("cpu");
});

test("embedding: shapes and rows equal the table's rows", async () => {
  const p = initEmbedding(modelKey(0), 7, 4);
  assert.deepEqual(p.table.shape, [7, 4]);
  const ids = ints([3, 0, 6, 3, 1, 2], [2, 3]);
  const y = embed(p, ids.ref);
  assert.deepEqual(y.shape, [2, 3, 4]);
  const expected = np.take(p.table.ref, ids, 0);
  assert.ok(maxAbsDiff(await host(y), await host(expected)) === 0);
  dispose(p);
});

test("embedding: gradient (float64), including rows never looked up", async () => {
  const params = toFloat64(initEmbedding(modelKey(1), 7, 4, { std: 1 }));
  const ids = ints([3, 0, 6, 3, 1, 2], [2, 3]); // id 3 twice, 4 and 5 unused
  const w = fixedWeights(2, [2, 3, 4]);
  const loss = (p: Embedding) => np.tanh(embed(p, ids.ref)).mul(w.ref).sum();
  assertGradOk(await gradCheck(loss, params, { samplesPerLeaf: 28 }));
  dispose(params);
  ids.dispose();
  w.dispose();
});

test("embedding: gradient when the loss is a plain sum or feeds a linear layer directly", async () => {
  // The two cotangent shapes that break a `take`-based embedding under jit (next test).
  const params = { e: toFloat64(initEmbedding(modelKey(3), 5, 3, { std: 1 })), head: initLinear(modelKey(4), 3, 2, { dtype: np.float64 }) };
  const ids = ints([4, 1, 1], [3]);
  const plainSum = (p: typeof params) => embed(p.e, ids.ref).sum().add(linear(p.head, embed(p.e, ids.ref)).sum());
  assertGradOk(await gradCheck(plainSum, params, { samplesPerLeaf: 6 }));
  dispose(params);
  ids.dispose();
});

test("jax-js bug (why embed uses one-hot): jit(grad) through np.take throws", () => {
  // If this starts passing, jax-js fixed the gather gradient and embed may use np.take again.
  const table = np.ones([5, 3]);
  const ids = ints([4, 1], [2]);
  const viaSum = jit(grad((e: Array) => np.take(e, ids.ref, 0).sum()));
  assert.throws(() => viaSum(table.ref), /scatter input is not imm/);
  const viaMatmul = jit(grad((e: Array) => np.matmul(np.take(e, ids.ref, 0), np.ones([3, 2])).sum()));
  assert.throws(() => viaMatmul(table.ref), /scatter input is not imm/);
  viaSum.dispose();
  viaMatmul.dispose();
  table.dispose();
  ids.dispose();
});
