import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { hopsNeeded, pointerChase, type PointerChaseOptions } from "../../src/tasks/pointer-chase.js";
import { TaskOptionError } from "../../src/tasks/task.js";
import { SPECIAL } from "../../src/tasks/vocab.js";
import { commonTaskTests, rangeArb, seedArb } from "./common.js";

const optionsArb: fc.Arbitrary<Partial<PointerChaseOptions>> = fc
  .record({ symbols: fc.integer({ min: 4, max: 12 }), layout: fc.constantFrom("array", "pairs" as const), maxHops: fc.integer({ min: 1, max: 10 }) })
  .chain((o) => fc.record({ trainHops: rangeArb(1, o.maxHops), valHops: rangeArb(1, o.maxHops), testHops: rangeArb(1, o.maxHops) }).map((r) => ({ ...o, ...r })));

commonTaskTests(pointerChase, optionsArb);

/** The table, start and hop count as the question tokens state them. */
function readQuestion(question: number[], options: Partial<PointerChaseOptions>) {
  const v = pointerChase.vocab(options);
  const words = v.decode(question);
  const sep = question.indexOf(SPECIAL.separator);
  const table = new Map<number, number>();
  if (options.layout === "pairs") {
    for (let i = 0; i < sep; i += 2) table.set(Number(words[i]), Number(words[i + 1]));
  } else {
    words.slice(0, sep).forEach((w, i) => table.set(i, Number(w)));
  }
  return { table, start: Number(words[sep + 1]), hops: Number(words[sep + 2].slice(1)), v };
}

test("pointer-chase: following the gold steps through the question's table reaches the answer", () => {
  fc.assert(
    fc.property(seedArb, optionsArb, (seed, options) => {
      for (const e of pointerChase.generate(seed, "train", 20, options)) {
        const q = readQuestion(e.question, options);
        let x = q.start;
        assert.equal(e.steps.length, q.hops);
        for (const step of e.steps) {
          x = q.table.get(x)!;
          assert.deepEqual(q.v.decode(step), [String(x)]);
        }
        assert.deepEqual(e.answer, e.steps[e.steps.length - 1]);
        assert.equal(e.difficulty, q.hops);
      }
    }),
    { numRuns: 20 },
  );
});

test("pointer-chase: the answer recomputed from meta alone, and meta matches the question", () => {
  fc.assert(
    fc.property(seedArb, optionsArb, (seed, options) => {
      for (const e of pointerChase.generate(seed, "test", 20, options)) {
        const { table, start, hops } = e.meta;
        let x = start;
        for (let i = 0; i < hops; i++) x = table[x];
        const q = readQuestion(e.question, options);
        assert.deepEqual(q.v.decode(e.answer), [String(x)]);
        assert.deepEqual([...q.table.entries()].sort((a, b) => a[0] - b[0]).map(([, y]) => y), table);
        assert.equal(q.start, start);
        assert.equal(q.hops, hops);
      }
    }),
    { numRuns: 20 },
  );
});

test("pointer-chase: fixed question length, hops drawn from each split's range", () => {
  const options = { symbols: 8, trainHops: { min: 1, max: 4 }, testHops: { min: 5, max: 8 } };
  for (const layout of ["array", "pairs"] as const) {
    const length = layout === "array" ? 11 : 19;
    assert.equal(pointerChase.limits({ ...options, layout }).maxQuestionLength, length);
    for (const e of pointerChase.generate(3, "train", 200, { ...options, layout })) {
      assert.equal(e.question.length, length);
      assert.ok(e.difficulty >= 1 && e.difficulty <= 4);
    }
    const test = pointerChase.generate(3, "test", 200, { ...options, layout });
    assert.ok(test.every((e) => e.difficulty >= 5 && e.difficulty <= 8));
    assert.deepEqual(new Set(test.map((e) => e.difficulty)), new Set([5, 6, 7, 8]));
  }
});

test("pointer-chase: defaults (8 symbols, hops 1-4, array), vocabulary of 24 tokens independent of split ranges", () => {
  const o = pointerChase.resolveOptions();
  assert.deepEqual(o, {
    symbols: 8,
    layout: "array",
    maxHops: 8,
    trainHops: { min: 1, max: 4 },
    valHops: { min: 1, max: 4 },
    testHops: { min: 1, max: 4 },
  });
  const v = pointerChase.vocab();
  assert.equal(v.size, 24);
  assert.deepEqual(pointerChase.vocab({ testHops: { min: 1, max: 8 } }).tokens, v.tokens);
  assert.equal(v.id("0"), 8);
  assert.equal(v.id("h1"), 16);
});

test("pointer-chase: bad options name the option and the allowed range", () => {
  const cases: [Partial<PointerChaseOptions>, RegExp][] = [
    [{ symbols: 1 }, /--symbols must be an integer in 2\.\.64, got 1/],
    [{ trainHops: { min: 0, max: 3 } }, /--train-hops 0-3 is outside the allowed 1\.\.8/],
    [{ testHops: { min: 1, max: 12 } }, /--test-hops 1-12 is outside the allowed 1\.\.8 \(.*raise --max-hops/],
    [{ valHops: { min: 4, max: 2 } }, /--val-hops must be a range "lo-hi" with lo <= hi/],
    [{ maxHops: 2, trainHops: { min: 1, max: 4 } }, /--train-hops 1-4 is outside the allowed 1\.\.2/],
    [{ layout: "grid" as never }, /--layout must be one of array, pairs/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => pointerChase.generate(0, "train", 1, options), (err: unknown) => err instanceof TaskOptionError && message.test(err.message));
  }
  assert.throws(() => pointerChase.generate(-1, "train", 1), /--seed must be an integer in 0\.\.4294967295/);
  assert.throws(() => pointerChase.generate(0, "train", 0), /--n must be a positive integer/);
});

test("pointer-chase: a tiny configuration fails fast and clearly instead of looping", () => {
  // 2 symbols, 1 hop: 2^2 tables × 2 starts = 8 problems in all
  const tiny = { symbols: 2, maxHops: 1, trainHops: { min: 1, max: 1 } };
  const t0 = performance.now();
  assert.throws(() => pointerChase.generate(0, "train", 9, tiny), /--n 9: .*allow 8 distinct questions/);
  assert.throws(() => pointerChase.generate(0, "test", 5, tiny), /--n 5: not enough distinct pointer-chase questions in the test split/);
  assert.ok(performance.now() - t0 < 2000);
  // everything there is can still be drawn: the three splits together hold all 8 problems
  const all = (["train", "val", "test"] as const).flatMap((split) => {
    for (let n = 8; n > 0; n--) {
      try {
        return pointerChase.generate(0, split, n, tiny);
      } catch {}
    }
    return [];
  });
  assert.equal(all.length, 8);
});

test("pointer-chase: hops needed stop at the first fixed point the chain lands on (later hops change nothing)", () => {
  // f: 0→1, 1→2, 2→2 (fixed), 3→0; from 3: 0, 1, 2, 2, 2, …
  const table = [1, 2, 2, 0];
  const meta = (start: number, hops: number) => ({ table, start, hops, layout: "array" as const });
  assert.equal(hopsNeeded(meta(3, 6)), 3, "lands on the fixed point 2 at hop 3");
  assert.equal(hopsNeeded(meta(3, 2)), 2, "never more than the hops asked");
  assert.equal(hopsNeeded(meta(2, 5)), 1, "starting on a fixed point: one hop reads the answer");
  assert.equal(hopsNeeded({ table: [1, 0], start: 0, hops: 5, layout: "array" }), 5, "a 2-cycle has no fixed point: every hop counts");
  // on generated questions: f^needed(s) is the answer, and needed ≤ hops
  for (const e of pointerChase.generate(1, "test", 200, { maxHops: 6, testHops: { min: 1, max: 6 } })) {
    const k = pointerChase.stepsNeeded!(e);
    assert.ok(k >= 1 && k <= e.difficulty);
    let x = e.meta.start;
    for (let i = 0; i < k; i++) x = e.meta.table[x];
    assert.deepEqual(e.steps[k - 1], e.answer, "the answer is already reached at the needed hop");
  }
});
