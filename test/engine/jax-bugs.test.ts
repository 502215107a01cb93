// jax-js 0.1.25 behaviours we work around. Each test asserts the bug is still there: when one
// fails after an upgrade, the bug is fixed and the workaround it names can go.
import { test } from "node:test";
import assert from "node:assert/strict";
import { np } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";

await startEngine("wasm");
const hex = (t: ArrayBufferView) => Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString("hex");

test("np.array of a one-element Float32Array quiets a signaling NaN (workaround: arrayFromBytes)", async () => {
  // Arrays under 128 elements that are all equal become a JS-number constant; float32 → number
  // → float32 sets the quiet bit. Two elements (NaN !== NaN) keep a real buffer and the bits.
  const snan = new Float32Array(Uint32Array.of(0x7f800001).buffer);
  assert.equal(hex(await np.array(snan).data()), "0100c07f"); // was 0100807f
  const two = new Float32Array(Uint32Array.of(0x7f800001, 0x7f800001).buffer);
  assert.equal(hex(await np.array(two).data()), "0100807f0100807f");
});

test("np.array of an empty typed array throws (workaround: np.zeros for size-0 leaves)", () => {
  assert.throws(() => np.array(new Float32Array(0), { shape: [0, 3] }), /Expected a number for constant, got undefined/);
});
