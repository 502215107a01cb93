import assert from "node:assert/strict";
import { test } from "node:test";
import { bootstrapMean, firstReaching, mean, quantile, spearman, std } from "../../src/experiments/stats.js";

test("mean, sample std and interpolated quantiles by hand", () => {
  assert.equal(mean([1, 2, 3, 6]), 3);
  assert.equal(std([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
  assert.equal(std([5]), 0);
  assert.equal(quantile([0, 10, 20, 30], 0.5), 15);
  assert.equal(quantile([0, 10, 20, 30], 0), 0);
  assert.equal(quantile([0, 10, 20, 30], 1), 30);
  assert.throws(() => mean([]), /no values/);
});

test("bootstrap interval: contains the mean, stays inside the values' range, narrows with more data, is seeded", () => {
  const xs = [0.6, 0.7, 0.8, 0.9, 1.0];
  const i = bootstrapMean(xs);
  assert.ok(Math.abs(i.mean - 0.8) < 1e-12);
  assert.ok(i.lo < i.mean && i.mean < i.hi, JSON.stringify(i));
  assert.ok(i.lo >= 0.6 && i.hi <= 1.0);
  assert.deepEqual(bootstrapMean(xs), i, "same seed, same interval");
  // the mean of 5 values has standard error std/sqrt(5) ≈ 0.07: a 95% interval ≈ ±0.14 wide
  assert.ok(i.hi - i.lo > 0.15 && i.hi - i.lo < 0.4, `width ${i.hi - i.lo}`);
  const many = bootstrapMean(Array.from({ length: 100 }, (_, k) => xs[k % 5]));
  assert.ok(many.hi - many.lo < (i.hi - i.lo) / 3, "100 values give a much narrower interval");
  assert.deepEqual(bootstrapMean([0.5]), { mean: 0.5, lo: 0.5, hi: 0.5, std: 0, n: 1 });
});

test("firstReaching returns the first point at or above the target, or null", () => {
  const curve = [{ x: 1, a: 0.2 }, { x: 2, a: 0.95 }, { x: 3, a: 0.5 }, { x: 4, a: 0.99 }];
  assert.deepEqual(firstReaching(curve, (p) => p.a, 0.9), { x: 2, a: 0.95 });
  assert.equal(firstReaching(curve, (p) => p.a, 0.999), null);
});

test("spearman: monotone is 1, reversed is -1, ties get average ranks", () => {
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // ranks x: 1, 2.5, 2.5, 4; y: 1, 2, 3, 4 → r = 0.9486...
  assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 2, 3, 4]) - 0.9486832980505138) < 1e-12);
});
