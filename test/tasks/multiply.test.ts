import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { multiply, type MultiplyOptions } from "../../src/tasks/multiply.js";
import { commonTaskTests, rangeArb, seedArb } from "./common.js";

const optionsArb: fc.Arbitrary<Partial<MultiplyOptions>> = fc.record({
  trainDigits: rangeArb(2, 6),
  valDigits: rangeArb(2, 6),
  testDigits: rangeArb(2, 6),
});

commonTaskTests(multiply, optionsArb);

/** Reversed digit tokens → BigInt. */
const fromReversed = (digits: string[]) => BigInt(digits.slice().reverse().join("") || "0");

test("multiply: adding up the gold partial products gives the answer", () => {
  fc.assert(
    fc.property(seedArb, optionsArb, (seed, options) => {
      const v = multiply.vocab(options);
      for (const e of multiply.generate(seed, "train", 20, options)) {
        const q = v.decode(e.question);
        const star = q.indexOf("*");
        const a = fromReversed(q.slice(0, star));
        const bDigits = q.slice(star + 1);
        let sum = 0n;
        e.steps.forEach((step, i) => {
          const words = v.decode(step);
          const open = words.indexOf("(");
          const partial = fromReversed(open < 0 ? words : words.slice(0, open));
          assert.equal(partial, a * BigInt(bDigits[i]) * 10n ** BigInt(i), `partial product ${i}`);
          sum += partial;
          if (i > 0) {
            assert.equal(words[words.length - 1], ")");
            assert.equal(fromReversed(words.slice(open + 1, -1)), sum, `running sum ${i}`);
          }
        });
        assert.equal(fromReversed(v.decode(e.answer)), sum);
        assert.equal(e.steps.length, bDigits.length);
      }
    }),
    { numRuns: 20 },
  );
});

test("multiply: the answer recomputed from meta alone with big integers, and meta matches the question", () => {
  fc.assert(
    fc.property(seedArb, optionsArb, (seed, options) => {
      const v = multiply.vocab(options);
      for (const e of multiply.generate(seed, "test", 20, options)) {
        const { a, b } = e.meta;
        const n = String(a).length;
        const product = (BigInt(a) * BigInt(b)).toString().padStart(2 * n, "0");
        assert.equal(v.decodeText(e.answer), product.split("").reverse().join(" "));
        const reversed = (x: number) => String(x).split("").reverse().join(" ");
        assert.equal(v.decodeText(e.question), `${reversed(a)} * ${reversed(b)}`);
        assert.equal(String(b).length, n);
        assert.equal(e.difficulty, n);
      }
    }),
    { numRuns: 20 },
  );
});

test("multiply: iCoT's format for a known case, and defaults", () => {
  const [e] = multiply.generate(0, "train", 1);
  assert.deepEqual(multiply.resolveOptions().trainDigits, { min: 4, max: 4 });
  assert.equal(multiply.vocab().size, 21);
  assert.equal(e.question.length, 9);
  assert.equal(e.answer.length, 8);
  // the text shows the product in ordinary notation next to the reversed tokens
  const { a, b } = e.meta;
  assert.match(e.text, new RegExp(`^${a} × ${b} = ${BigInt(a) * BigInt(b)}\\n`));
  // step i has n+1+i digits of partial product, then the running sum in parentheses
  assert.deepEqual(e.steps.map((s) => s.length), [5, 14, 16, 18]);
});

test("multiply: 1-digit operands (81 problems) fail clearly when asked for too many", () => {
  const one = { trainDigits: { min: 1, max: 1 }, testDigits: { min: 1, max: 1 } };
  assert.throws(() => multiply.generate(0, "train", 82, one), /--n 82: .*allow 81 distinct questions in all/);
  assert.throws(() => multiply.generate(0, "test", 30, one), /--n 30: not enough distinct multiply questions in the test split/);
  assert.throws(() => multiply.generate(0, "train", 1, { trainDigits: { min: 1, max: 16 } }), /--train-digits 1-16 is outside the allowed 1\.\.15/);
});
