import { test, before } from "node:test";
import assert from "node:assert/strict";
import { jnn, np } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { oneHot } from "../../src/nn/index.js";
import { host, ints } from "./util.js";

before(async () => {
  await startEngine("cpu");
});

test("oneHot: rows for ids in range, zero rows outside [0, n), any dtype", async () => {
  const got = oneHot(ints([0, 3, 4, -1, 2, 1], [2, 3]), 4, np.float64);
  assert.deepEqual(got.shape, [2, 3, 4]);
  assert.equal(got.dtype, np.float64);
  assert.deepEqual(await host(got), [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
});

test("jax-js bug (why nn uses its own oneHot): jnn.oneHot gives non-zero rows for ids outside [0, n)", async () => {
  // If this fails, jax-js now zeroes (or rejects) out-of-range ids; our oneHot stays correct either way.
  const rows = await host(jnn.oneHot(ints([-1, 7], [2]), 4));
  assert.ok(rows.some((v) => v !== 0), `expected garbage rows, got ${rows}`);
});
