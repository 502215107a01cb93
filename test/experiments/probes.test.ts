// Linear probes (src/experiments/monitor/probes.ts) recover a planted linear signal, score chance
// on pure noise, and their shuffled-label control stays near chance.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRng } from "../../src/common/seeded-rng.js";
import { fitRidge, predictRidge, probe, solveSpd, trainSplit, type Features } from "../../src/experiments/monitor/probes.js";

/** Box–Muller normals from a seeded stream. */
function normals(rng: SeededRng, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float());
  return out;
}

/**
 * n rows of d features: the label's planted direction (class means ~ N(0, 0.5² I), fixed per class)
 * plus unit Gaussian noise. A linear readout separates the classes well; labels start at 10.
 */
function planted(seed: number, n: number, d: number, C: number): { f: Features; labels: number[] } {
  const rng = SeededRng.of(seed);
  const means = normals(rng, C * d).map((v) => 0.5 * v);
  const labels = [...Array(n).keys()].map(() => rng.int(0, C - 1));
  const x = normals(rng, n * d);
  labels.forEach((c, r) => {
    for (let j = 0; j < d; j++) x[r * d + j] += means[c * d + j];
  });
  return { f: { x, n, d }, labels: labels.map((c) => 10 + c) };
}

test("solveSpd solves a symmetric positive definite system", () => {
  const a = Float64Array.from([4, 2, 0, 2, 5, 1, 0, 1, 3]);
  const xTrue = Float64Array.from([1, -2, 0.5, 3, 0, -1]); // [3, 2]
  const b = new Float64Array(6);
  for (let i = 0; i < 3; i++) for (let c = 0; c < 2; c++) for (let k = 0; k < 3; k++) b[i * 2 + c] += a[i * 3 + k] * xTrue[k * 2 + c];
  const x = solveSpd(a, b, 3, 2);
  x.forEach((v, i) => assert.ok(Math.abs(v - xTrue[i]) < 1e-12, `x[${i}] = ${v}, want ${xTrue[i]}`));
});

test("a ridge probe recovers a planted linear signal on held-out rows; its shuffled control does not", () => {
  const { f, labels } = planted(1, 1200, 32, 6);
  const r = probe(f, labels, trainSplit(f.n, { seed: 3 }), { seed: 4 });
  assert.equal(r.nTrain + r.nTest, 1200);
  assert.equal(r.classes, 6);
  assert.ok(r.accuracy > 0.85, `probe accuracy ${r.accuracy}`);
  assert.ok(r.control < 0.3, `control accuracy ${r.control} (chance 1/6)`);
  assert.equal(r.heldOut.size, r.nTest);
});

test("a probe on features unrelated to the labels scores about chance", () => {
  const { f } = planted(2, 1200, 32, 6);
  const { labels } = planted(5, 1200, 32, 6); // labels from other features
  const r = probe(f, labels, trainSplit(f.n, { seed: 3 }), { seed: 4 });
  assert.ok(r.accuracy < 0.3, `probe accuracy on noise ${r.accuracy} (chance 1/6)`);
});

test("fitRidge with a tiny penalty fits well-separated training rows and rejects unknown labels", () => {
  const { f, labels } = planted(6, 400, 64, 3);
  const m = fitRidge(f, labels, 1e-6);
  const pred = predictRidge(m, f);
  const acc = pred.filter((p, i) => p === labels[i]).length / labels.length;
  assert.ok(acc > 0.9, `training accuracy ${acc}`);
  assert.throws(() => fitRidge(f, labels, 1e-3, [10, 11]), /label 12 is not among the classes/);
});
