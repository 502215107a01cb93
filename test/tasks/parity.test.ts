import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parity, type ParityOptions } from "../../src/tasks/parity.js";
import { commonTaskTests, rangeArb, seedArb } from "./common.js";

// ranges reach at least 3 non-zero entries so every split holds enough distinct vectors
const optionsArb: fc.Arbitrary<Partial<ParityOptions>> = fc
  .integer({ min: 8, max: 24 })
  .chain((length) =>
    fc.record({
      length: fc.constant(length),
      trainNonzero: rangeArb(1, length).map((r) => ({ min: r.min, max: Math.max(r.max, 3) })),
      valNonzero: rangeArb(1, length).map((r) => ({ min: r.min, max: Math.max(r.max, 3) })),
      testNonzero: rangeArb(1, length).map((r) => ({ min: r.min, max: Math.max(r.max, 3) })),
    }),
  );

commonTaskTests(parity, optionsArb);

test("parity: following the running parity over the question's entries reaches the answer", () => {
  fc.assert(
    fc.property(seedArb, optionsArb, fc.constantFrom("train", "test" as const), (seed, options, split) => {
      const v = parity.vocab(options);
      for (const e of parity.generate(seed, split, 20, options)) {
        const entries = v.decode(e.question);
        const nonzero = entries.filter((x) => x !== "0");
        assert.equal(e.steps.length, nonzero.length);
        let odd = false;
        nonzero.forEach((x, i) => {
          if (x === "+1") odd = !odd;
          assert.deepEqual(v.decode(e.steps[i]), [odd ? "odd" : "even"]);
        });
        assert.deepEqual(e.answer, e.steps[e.steps.length - 1]);
        assert.equal(e.difficulty, nonzero.length);
      }
    }),
    { numRuns: 20 },
  );
});

test("parity: the answer recomputed from meta alone, and meta matches the question", () => {
  fc.assert(
    fc.property(seedArb, optionsArb, (seed, options) => {
      const v = parity.vocab(options);
      for (const e of parity.generate(seed, "val", 20, options)) {
        const plusOnes = e.meta.vector.filter((x) => x === 1).length;
        assert.deepEqual(v.decode(e.answer), [plusOnes % 2 === 0 ? "even" : "odd"]);
        assert.deepEqual(v.decode(e.question), e.meta.vector.map((x) => (x === 1 ? "+1" : x === -1 ? "-1" : "0")));
      }
    }),
    { numRuns: 20 },
  );
});

test("parity: defaults follow PonderNet's extrapolation split (train 1..8, test 9..16 of 16)", () => {
  const o = parity.resolveOptions();
  assert.equal(o.length, 16);
  assert.deepEqual([o.trainNonzero, o.valNonzero, o.testNonzero], [{ min: 1, max: 8 }, { min: 1, max: 8 }, { min: 9, max: 16 }]);
  assert.ok(parity.generate(1, "train", 300).every((e) => e.difficulty >= 1 && e.difficulty <= 8 && e.question.length === 16));
  assert.ok(parity.generate(1, "test", 300).every((e) => e.difficulty >= 9 && e.difficulty <= 16));
  assert.equal(parity.vocab().size, 13);
});

test("parity: bad options name the option and the allowed range", () => {
  assert.throws(() => parity.generate(0, "train", 1, { length: 1 }), /--length must be an integer in 2\.\.256, got 1/);
  assert.throws(() => parity.generate(0, "train", 1, { testNonzero: { min: 9, max: 20 } }), /--test-nonzero 9-20 is outside the allowed 1\.\.16/);
  assert.throws(() => parity.generate(0, "train", 1, { trainNonzero: { min: 0, max: 2 } }), /--train-nonzero 0-2 is outside the allowed 1\.\.16/);
});
