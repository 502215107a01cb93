import { test } from "node:test";
import assert from "node:assert/strict";
import { startEngine } from "../../src/engine/backend.js";
import { clipByGlobalNorm } from "../../src/optim/index.js";
import { deviceTree, hostTree, toHost, type HostTree } from "./reference.js";

await startEngine("cpu");

const norm = (h: HostTree) => Math.sqrt(Object.values(h).reduce((s, l) => s + l.values.reduce((a, x) => a + x * x, 0), 0));

async function clip(maxNorm: number, grads: HostTree): Promise<HostTree> {
  const t = clipByGlobalNorm(maxNorm);
  const [clipped, state] = t.update(deviceTree(grads), t.init(deviceTree(grads)));
  assert.deepEqual(state, {});
  return toHost(clipped);
}

test("clipByGlobalNorm leaves gradients below the threshold bit-identical", async () => {
  const grads = hostTree(5, 0.1);
  assert.ok(norm(grads) < 1);
  assert.deepEqual(await clip(1, grads), grads);
});

test("clipByGlobalNorm scales large gradients to norm maxNorm, keeping their direction", async () => {
  const grads = hostTree(6, 10);
  const n = norm(grads);
  assert.ok(n > 5);
  const clipped = await clip(0.5, grads);
  assert.ok(Math.abs(norm(clipped) - 0.5) < 1e-6 * 0.5, `norm ${norm(clipped)}`);
  for (const name of Object.keys(grads)) {
    grads[name].values.forEach((g, i) => {
      const want = (g * 0.5) / n;
      assert.ok(Math.abs(clipped[name].values[i] - want) <= 1e-6 * Math.abs(want) + 1e-9, `${name}[${i}]`);
    });
  }
});

test("clipByGlobalNorm passes zero gradients through (no 0/0)", async () => {
  const zeros = hostTree(7, 0);
  assert.deepEqual(await clip(1, zeros), zeros);
});

test("clipByGlobalNorm rejects a non-positive maxNorm", () => {
  assert.throws(() => clipByGlobalNorm(0), /maxNorm must be > 0/);
});
