// Halting maths (PonderNet, ACT) on the exact cpu backend in float64: the distribution sums to 1,
// the KL has the paper's direction (against a closed form), the expected losses match hand
// computations, halting steps at inference, and gradients by finite differences — of the maths
// alone and of the whole halting recipe's loss through a tiny reasoner.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { jit, np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { gradCheck, toFloat64 } from "../../src/engine/gradcheck.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, type Tree } from "../../src/engine/tree.js";
import { haltingForward, type HaltingOptions, type HaltingParams } from "../../src/recipes/halting.js";
import { makeReasoner, type ModelKind } from "../../src/models/index.js";
import {
  actLoss,
  actWeights,
  geometricLogPrior,
  haltAtThreshold,
  haltBySampling,
  haltStepNumber,
  klToGeometric,
  ponderNetDistribution,
  ponderNetLoss,
} from "../../src/reasoning/halting.js";
import { SPECIAL } from "../../src/tasks/vocab.js";

before(async () => {
  await startEngine("cpu");
});

const f64 = (xs: number[], shape: number[]) => np.array(new Float64Array(xs), { dtype: np.float64 }).reshape(shape);
const logit = (p: number) => Math.log(p / (1 - p));
const host = async (x: Array) => globalThis.Array.from(await x.data(), Number);
const close = (a: number[], b: number[], tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= tol, `${what}[${i}]: ${x} vs ${b[i]}`));
};

test("PonderNet: p_n = λ_n ∏(1 − λ_j), remainder on the last step, rows sum to 1", async () => {
  // λ = 0.2, 0.5, (0.7 unused: the last step takes the remainder)
  const z = f64([logit(0.2), logit(0.5), logit(0.7), 3, -2, 0.5, 10, 10, -10], [3, 3]);
  const d = ponderNetDistribution(z);
  const p = await host(d.p);
  const logP = await host(d.logP);
  close(p.slice(0, 3), [0.2, 0.8 * 0.5, 0.8 * 0.5], 1e-12, "p");
  close(logP, p.map(Math.log), 1e-9, "logP");
  for (let r = 0; r < 3; r++) close([p[3 * r] + p[3 * r + 1] + p[3 * r + 2]], [1], 1e-12, `row ${r} sum`);
  // random logits, longer chain
  const rnd = globalThis.Array.from({ length: 4 * 7 }, (_, i) => Math.sin(i * 1.7) * 3);
  const p2 = await host(ponderNetDistribution(f64(rnd, [4, 7])).p);
  for (let r = 0; r < 4; r++) close([p2.slice(7 * r, 7 * r + 7).reduce((a, b) => a + b)], [1], 1e-12, `sum ${r}`);
});

test("KL(p ‖ geometric(λ_p)): closed form for a constant hazard, and not the reversed direction", async () => {
  const N = 6;
  for (const [lambda, lambdaP] of [[0.3, 0.1], [0.05, 0.4], [0.5, 0.5]]) {
    const d = ponderNetDistribution(f64(globalThis.Array(N).fill(logit(lambda)), [1, N]));
    const kl = (await host(klToGeometric(d, lambdaP)))[0];
    // p = truncated geometric(λ): KL = P(n < N)·log(λ/λ_p) + E[n − 1]·log((1−λ)/(1−λ_p)),
    // with P(n < N) = 1 − (1−λ)^{N−1} and E[n − 1] = Σ_{k=1}^{N−1} (1−λ)^k.
    const stay = (1 - lambda) ** (N - 1);
    let expected = 0;
    for (let k = 1; k < N; k++) expected += (1 - lambda) ** k;
    const closed = (1 - stay) * Math.log(lambda / lambdaP) + expected * Math.log((1 - lambda) / (1 - lambdaP));
    close([kl], [closed], 1e-12, `KL λ=${lambda} λp=${lambdaP}`);
    if (lambda !== lambdaP) {
      // the reversed KL(q ‖ p) differs: swap the roles in the same closed form
      const stayQ = (1 - lambdaP) ** (N - 1);
      let expectedQ = 0;
      for (let k = 1; k < N; k++) expectedQ += (1 - lambdaP) ** k;
      const reversed = (1 - stayQ) * Math.log(lambdaP / lambda) + expectedQ * Math.log((1 - lambdaP) / (1 - lambda));
      assert.ok(Math.abs(kl - reversed) > 1e-3, `KL ${kl} should differ from the reversed ${reversed}`);
    }
  }
  close(globalThis.Array.from(geometricLogPrior(0.25, 3), Math.exp), [0.25, 0.75 * 0.25, 0.75 * 0.75], 1e-12, "prior");
  assert.throws(() => geometricLogPrior(1, 3), /lambdaP must lie in \(0, 1\)/);
});

test("PonderNet loss: Σ p_n L_n + β·KL, by hand", async () => {
  // two examples, N = 3; λ row 1 = 0.2, 0.5; row 2 = 0.6, 0.25
  const z = f64([logit(0.2), logit(0.5), 0, logit(0.6), logit(0.25), 0], [2, 3]);
  const L = f64([1.0, 2.0, 0.5, 0.3, 0.1, 4.0], [2, 3]);
  const beta = 0.7;
  const lambdaP = 0.3;
  const out = ponderNetLoss(z, L, { beta, lambdaP });
  const q = [0.3, 0.7 * 0.3, 0.7 * 0.7];
  const rows = [
    { p: [0.2, 0.4, 0.4], L: [1.0, 2.0, 0.5] },
    { p: [0.6, 0.1, 0.3], L: [0.3, 0.1, 4.0] },
  ];
  const per = rows.map(({ p, L }) => {
    const task = p.reduce((s, pn, i) => s + pn * L[i], 0);
    const kl = p.reduce((s, pn, i) => s + pn * Math.log(pn / q[i]), 0);
    return { task, kl };
  });
  close(await host(out.loss), [(per[0].task + beta * per[0].kl + per[1].task + beta * per[1].kl) / 2], 1e-12, "loss");
  close(await host(out.kl), [(per[0].kl + per[1].kl) / 2], 1e-12, "kl");
  close(await host(out.p), [...rows[0].p, ...rows[1].p], 1e-12, "p");
});

test("ACT: halting step at cumulative mass 1 − ε, remainder weight, ponder cost N(t) + R, forced halt at N", async () => {
  const h = [
    [0.3, 0.5, 0.4, 0.9], // c = .3, .8, 1.2 → N(t) = 3, R = 0.2
    [0.995, 0.5, 0.5, 0.5], // c_1 ≥ 0.99 → N(t) = 1, R = 1
    [0.1, 0.1, 0.1, 0.1], // never reaches: N(t) = N = 4, R = 0.7
  ];
  const z = f64(h.flat().map(logit), [3, 4]);
  const w = actWeights(z, 0.01);
  close(await host(w.p), [0.3, 0.5, 0.2, 0, 1, 0, 0, 0, 0.1, 0.1, 0.1, 0.7], 1e-9, "weights");
  close(await host(w.halt), [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1], 0, "halt");
  close(await host(w.ponderCost), [3.2, 2, 4.7], 1e-9, "ponder cost");
  const L = [1, 2, 3, 4, 5, 6, 7, 8, 0.5, 0.5, 0.5, 1];
  const out = actLoss(f64(h.flat().map(logit), [3, 4]), f64(L, [3, 4]), { epsilon: 0.01, tau: 0.1 });
  const task = [0.3 * 1 + 0.5 * 2 + 0.2 * 3, 1 * 5, 0.1 * 0.5 * 3 + 0.7 * 1];
  const cost = [3.2, 2, 4.7];
  close(await host(out.loss), [task.reduce((s, t, i) => s + t + 0.1 * cost[i], 0) / 3], 1e-9, "loss");
  close(await host(out.ponderCost), [(3.2 + 2 + 4.7) / 3], 1e-9, "mean ponder cost");
  dispose([out.p, out.halt]);
});

test("inference: threshold on the cumulative mass, Bernoulli sampling, last step forced", async () => {
  const weights = f64([0.2, 0.2, 0.3, 0.3, 0.6, 0.1, 0.1, 0.2, 0.1, 0.1, 0.1, 0.1], [3, 4]);
  const halt = haltAtThreshold(weights, 0.5);
  close(await host(haltStepNumber(halt)), [3, 1, 4], 0, "threshold steps");
  const lambda = f64([0.1, 0.9, 0.9, 0.5, 0.2, 0.2, 0.2, 0.2], [2, 4]);
  const u = f64([0.5, 0.95, 0.3, 0.0, 0.9, 0.9, 0.9, 0.9], [2, 4]);
  close(await host(haltStepNumber(haltBySampling(lambda, u))), [3, 4], 0, "sampled steps");
});

test("gradients of the PonderNet and ACT losses by finite differences", async () => {
  const params = {
    z: f64([0.3, -1.1, 0.8, 2.0, -0.4, 0.1, 1.5, -2.0, 0.2, 0.7], [2, 5]),
    L: f64([1.2, 0.4, 2.2, 0.9, 0.3, 0.1, 3.0, 0.8, 1.1, 0.6], [2, 5]),
  };
  const pn = await gradCheck((p: typeof params) => {
    const out = ponderNetLoss(p.z, p.L, { beta: 0.5, lambdaP: 0.2 });
    dispose([out.p, out.kl]);
    return out.loss;
  }, params, { samplesPerLeaf: 10 });
  assert.ok(pn.maxRelError < 1e-6, `PonderNet: ${pn.maxRelError} at ${pn.worst}`);
  // ACT: mass crossings sit away from the ±1e-6 steps at these logits
  const act = await gradCheck((p: typeof params) => {
    const out = actLoss(p.z, p.L, { epsilon: 0.05, tau: 0.3 });
    dispose([out.p, out.halt, out.ponderCost]);
    return out.loss;
  }, params, { samplesPerLeaf: 10 });
  assert.ok(act.maxRelError < 1e-6, `ACT: ${act.maxRelError} at ${act.worst}`);
  dispose(params);
});

const OPTS: HaltingOptions = {
  rule: "pondernet",
  maxSteps: null,
  blockSize: 1,
  beta: 0.3,
  lambdaP: 0.3,
  epsilon: 0.05,
  tau: 0.2,
  inference: "threshold",
  threshold: null,
  sampleSeed: 0,
};

// GRU only: the cpu backend interprets every op, and a transformer takes ~1 min here
for (const [model, rule, blockSize] of [["gru", "pondernet", 1], ["gru", "act", 2]] as [ModelKind, "pondernet" | "act", number][]) {
  test(`gradient of the whole halting loss (${model}, ${rule}, c = ${blockSize}) by finite differences`, async () => {
    const N = 2;
    const reasoner = makeReasoner({ model, vocab: 10, dim: 6, layers: 1, heads: 2, maxLen: 16 });
    const params: HaltingParams<Tree> = {
      model: toFloat64(reasoner.init(modelKey(3))),
      halt: { w: f64([0.5, -0.3, 0.2, 0.1, -0.6, 0.4], [6]), b: f64([-0.2], []) },
    };
    const batch = () => ({
      prompt: np.array(new Int32Array([0, 8, 9, 2, 3, 9, 1, 4]), { dtype: np.int32 }).reshape([2, 4]),
      answerIn: np.array(new Int32Array([SPECIAL.answer, 3, SPECIAL.answer, 7]), { dtype: np.int32 }).reshape([2, 2]),
      answerTarget: np.array(new Int32Array([3, SPECIAL.end, 7, SPECIAL.end]), { dtype: np.int32 }).reshape([2, 2]),
      answerMask: f64([1, 1, 1, 1], [2, 2]).astype(np.float32),
    });
    const loss = (p: HaltingParams<Tree>) => {
      const out = haltingForward(reasoner, p, batch(), N * blockSize, { ...OPTS, rule, blockSize });
      dispose([out.correct, out.haltDistribution, out.expectedSteps, out.regulariser]);
      return out.loss;
    };
    const r = await gradCheck(loss, params, { samplesPerLeaf: 2 });
    assert.ok(r.maxRelError < 1e-5, `${r.maxRelError} at ${r.worst}`);
    // the halting head and the model both receive gradient
    const head = r.leaves.find((l) => l.path === "halt.w")!;
    assert.ok(head.analytic.some((g) => Math.abs(g) > 1e-6), "halting head gradient");
    dispose(params as unknown as Tree);
  });
}

test("jit: the PonderNet loss traces (fixed shapes, no retrace issues)", async () => {
  const f = jit((z: Array, L: Array) => {
    const out = ponderNetLoss(z, L, { beta: 0.1, lambdaP: 0.5 });
    dispose([out.p, out.kl]);
    return out.loss;
  });
  const v = await host(f(f64([0, 0, 0], [1, 3]), f64([1, 1, 1], [1, 3])));
  // λ = 0.5 = λ_p: p = q, KL = 0; expected loss 1
  close(v, [1], 1e-12, "loss");
  f.dispose();
});
