import { test } from "node:test";
import assert from "node:assert/strict";
import { np, jit, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { liveMemory, startMemoryProbe } from "../../src/engine/memory.js";

await startEngine("wasm");

test("liveMemory asks for startMemoryProbe first", () => {
  assert.throws(() => liveMemory(), /call `await startMemoryProbe\(\)` first/);
});

test("the probe counts a buffer while it lives and forgets it when freed", async () => {
  await startMemoryProbe();
  await startMemoryProbe(); // idempotent: wraps the backends once
  const before = liveMemory();
  const x = np.array(Float32Array.from({ length: 1000 }, (_, i) => i));
  const during = liveMemory();
  assert.equal(during.buffers - before.buffers, 1);
  assert.equal(during.bytes - before.bytes, 4000);
  assert.ok(during.wasmHeapBytes >= 4000);
  const y = x.ref.mul(2);
  await y.ref.data();
  assert.equal(liveMemory().buffers - before.buffers, 2);
  x.dispose();
  y.dispose();
  assert.deepEqual([liveMemory().buffers, liveMemory().bytes], [before.buffers, before.bytes]);
});

test("a jitted loop that frees what it allocates is exactly flat; one that keeps a reference grows by one per step", async () => {
  await startMemoryProbe();
  const step = jit((w: Array, x: Array) => w.sub(np.tanh(x).mul(0.1)));
  const input = () => np.array(Float32Array.from({ length: 256 }, (_, i) => Math.sin(i)));
  let w = np.zeros([256]);
  const counts: number[] = [];
  for (let i = 0; i < 20; i++) {
    w = step(w, input());
    await w.ref.data();
    counts.push(liveMemory().buffers);
  }
  assert.deepEqual(new Set(counts.slice(1)).size, 1, `not flat: ${counts}`);
  const kept: Array[] = [];
  const start = liveMemory().buffers;
  for (let i = 0; i < 10; i++) {
    const x = input();
    kept.push(x.ref);
    w = step(w, x);
    await w.ref.data();
  }
  assert.equal(liveMemory().buffers - start, 10);
  for (const k of kept) k.dispose();
  w.dispose();
  step.dispose();
});
