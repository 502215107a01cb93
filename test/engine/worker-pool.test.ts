// The worker-thread pool: each worker loads a TypeScript module with its own jax-js instance,
// answers in order, moves result buffers back, and reports handler errors and bad sizes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createWorkerPool } from "../../src/engine/worker-pool.js";

test("a pool of 2 workers runs a TypeScript handler with jax-js in each, and reports its errors", async () => {
  const pool = await createWorkerPool(2, new URL("./worker-pool-handler.ts", import.meta.url), { backend: "wasm", init: { k: 3 } });
  try {
    assert.deepEqual(await Promise.all([pool.call(0, { x: [1, 2] }), pool.call(1, { x: [3, 4] }), pool.call(1, { x: [5] })]), [9, 21, 15]);
    const moved = await pool.call<Float32Array>(0, { x: [2], buffer: true });
    assert.ok(moved instanceof Float32Array && moved[0] === 6);
    await assert.rejects(pool.call(1, { x: [1], fail: true }), /worker 1: Error: asked to fail/);
    assert.equal(await pool.call(1, { x: [1] }), 3); // still serving after an error
  } finally {
    await pool.close();
  }
  await assert.rejects(createWorkerPool(0, "file:///nowhere.ts", { backend: "wasm", init: null }), /positive integer/);
  await assert.rejects(createWorkerPool(1, new URL("./no-such-module.ts", import.meta.url), { backend: "wasm", init: null }), /worker 0 failed to start/);
});
