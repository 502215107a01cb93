// Each supervised recipe really learns a small task: loss falls and held-out accuracy rises
// (fixed seeds, tiny transformer, a few seconds each).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { startEngine } from "../../src/engine/backend.js";
import { recipeFor } from "../../src/trainers/index.js";
import { learnOneHop } from "./one-hop.js";

before(async () => {
  await startEngine("wasm");
});

const K = 2;

for (const [method, opts] of [["direct", {}], ["pause", {}], ["cot", {}], ["neuralese", {}], ["neuralese", { gradNorm: true }], ["neuralese", { truncate: 1 }]] as const) {
  test(`${method} ${JSON.stringify(opts)} learns one-hop pointer-chase`, async () => {
    const r = await learnOneHop(recipeFor(method, K, opts));
    assert.ok(r.last < r.first / 2, `loss ${r.first.toFixed(3)} -> ${r.last.toFixed(3)}`);
    assert.ok(r.after.accuracy >= 0.5 && r.after.accuracy >= r.before.accuracy + 0.3, `val accuracy ${r.before.accuracy} -> ${r.after.accuracy} (chance 0.25)`);
  });
}
