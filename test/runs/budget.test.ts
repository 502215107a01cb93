import { test } from "node:test";
import assert from "node:assert/strict";
import { Budget } from "../../src/runs/budget.js";
import { transformerFlops } from "../../src/engine/flops.js";

test("charges add up in every counter; FLOPs come from the engine's counts", () => {
  const b = new Budget();
  const flops = transformerFlops({ vocab: 20, dim: 32, layers: 2 }, 8, 16);
  for (let i = 0; i < 3; i++) b.charge({ steps: 1, examples: 8, forwardTokens: 8 * 16, backwardTokens: 8 * 16, flops, wallMs: 2.5 });
  b.charge({ forwardTokens: 100, flops: { forward: 10, backward: 0 } }); // a forward-only evaluation pass
  assert.deepEqual(b.counters, {
    steps: 3,
    examples: 24,
    forwardTokens: 3 * 128 + 100,
    backwardTokens: 3 * 128,
    forwardFlops: 3 * flops.forward + 10,
    backwardFlops: 3 * flops.backward,
    wallMs: 7.5,
  });
  assert.equal(b.flops, 3 * (flops.forward + flops.backward) + 10);
});

test("a bad charge is refused whole, with the field named", () => {
  const b = new Budget();
  assert.throws(() => b.charge({ examples: 4, forwardTokens: -1 }), /forwardTokens must be a finite number >= 0, got -1/);
  assert.throws(() => b.charge({ flops: { forward: NaN, backward: 0 } }), /forwardFlops must be a finite number/);
  assert.equal(b.counters.examples, 0);
  assert.throws(() => new Budget({ maxSteps: 0 }), /maxSteps must be > 0 or null/);
});

test("exhausted() when any limit is reached, and which one", () => {
  const b = new Budget({ maxSteps: 10, maxExamples: 100, maxFlops: null });
  assert.equal(b.exhausted(), false);
  assert.equal(b.fractionUsed(), 0);
  b.charge({ steps: 5, examples: 99 });
  assert.equal(b.exhausted(), false);
  assert.equal(b.remainingExamples(), 1);
  assert.equal(b.fractionUsed(), 0.99);
  b.charge({ examples: 1 });
  assert.equal(b.exhaustedBy(), "maxExamples");
  const f = new Budget({ maxFlops: 1000 });
  f.charge({ flops: { forward: 400, backward: 600 } });
  assert.equal(f.exhaustedBy(), "maxFlops");
  assert.equal(f.remainingExamples(), Infinity);
  assert.equal(new Budget().exhausted(), false);
  const s = new Budget({ maxSteps: 2 });
  s.charge({ steps: 2 });
  assert.equal(s.exhaustedBy(), "maxSteps");
});

test("snapshot → JSON → restore gives the same budget", async () => {
  const b = new Budget({ maxSteps: 50, maxFlops: 1e15 });
  b.charge({ steps: 7, examples: 448, forwardTokens: 1e6 + 0.5, flops: { forward: 1.234e12, backward: 2.468e12 } });
  await b.timed(() => new Promise((resolve) => setTimeout(resolve, 5)));
  assert.ok(b.counters.wallMs >= 4, `wallMs ${b.counters.wallMs}`);
  const restored = Budget.restore(JSON.parse(JSON.stringify(b.snapshot())));
  assert.deepEqual(restored.snapshot(), b.snapshot());
  restored.charge({ steps: 43 });
  assert.equal(restored.exhaustedBy(), "maxSteps");
  assert.equal(b.counters.steps, 7, "the original is independent");
  assert.throws(() => Budget.restore({ limits: {}, counters: { steps: 1 } } as never), /counter "examples" is missing/);
});
