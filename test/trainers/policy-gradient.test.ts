// The policy-gradient pieces against hand-computed values: group advantages, the helper-posterior's
// per-token split, the clipped surrogate, k3, TRICE's control variate and resampling, the rollout
// rows; and that the GRPO loss's gradient at ratio 1 is the REINFORCE gradient.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { startEngine } from "../../src/engine/backend.js";
import { grad, np, random, type Array } from "../../src/engine/jax.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, leaves, ref, type Tree } from "../../src/engine/tree.js";
import { grpoOptions } from "../../src/trainers/grpo.js";
import { stageOf } from "../../src/trainers/helper-posterior.js";
import {
  chainRow,
  clippedSurrogate,
  fullRow,
  fullWidth,
  makeSampler,
  groupAdvantages,
  k3,
  policyLoss,
  rolloutArrays,
  rolloutGrids,
  splitAdvantages,
  tokenLogProbs,
} from "../../src/trainers/policy-gradient.js";
import { cot } from "../../src/recipes/cot.js";
import { promptGrid } from "../../src/recipes/framing.js";
import { tokens } from "../../src/recipes/supervised-parts.js";
import { systematicResample, triceWeights } from "../../src/trainers/trice.js";
import { makeReasoner } from "../../src/models/index.js";
import { getTask, SPECIAL } from "../../src/tasks/index.js";

before(async () => {
  await startEngine("wasm");
});

const close = (got: ArrayLike<number>, want: number[], tol = 1e-4) => {
  assert.equal(got.length, want.length);
  want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < tol, `element ${i}: got ${got[i]}, want ${w}`));
};
const values = async (a: Array): Promise<number[]> => globalThis.Array.from(await a.data(), Number);

test("group advantages: (r − mean) / (sample std + 1e-4) within each group", () => {
  // group [1,0,0,0]: mean 0.25, sample std sqrt(0.75/3) = 0.5; group [0,0]: all equal → 0
  close(groupAdvantages([1, 0, 0, 0], 4), [0.75 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001]);
  close(groupAdvantages([1, 0, 2, 2], 2), [0.5 / (Math.SQRT1_2 + 1e-4), -0.5 / (Math.SQRT1_2 + 1e-4), 0, 0]);
  assert.throws(() => groupAdvantages([1, 2, 3], 2), /groups of 2/);
});

test("helper-posterior: each answer token's log-prob normalised in its group on its own, then summed", () => {
  // column 0 [0,−1,−2]: mean −1, std 1; column 1 [−1,−1,−4]: mean −2, std √3
  const s3 = Math.sqrt(3) + 1e-4;
  close(splitAdvantages([[0, -1], [-1, -1], [-2, -4]], 3), [1 / 1.0001 + 1 / s3, 0 + 1 / s3, -1 / 1.0001 - 2 / s3]);
  // not the normalised sum: sums [−1,−2,−6] would give other values
  const whole = groupAdvantages([-1, -2, -6], 3);
  assert.ok(Math.abs(whole[1] - (0 + 1 / s3)) > 0.05);
});

test("clipped surrogate: min(ρA, clip(ρ, 1−ε, 1+ε)A)", async () => {
  // ρ = 1.5 and 0.5, ε = 0.2, A = ±2
  const logp = np.array([Math.log(1.5), Math.log(1.5), Math.log(0.5), Math.log(0.5)]);
  const adv = np.array([2, -2, 2, -2]);
  close(await values(clippedSurrogate(logp, np.zeros([4]), adv, 0.2)), [2.4, -3, 1, -1.6]);
});

test("k3: exp(ref − logp) − (ref − logp) − 1", async () => {
  const got = await values(k3(np.array([Math.log(0.5), Math.log(0.3)]), np.array([Math.log(0.25), Math.log(0.3)])));
  close(got, [0.5 + Math.log(2) - 1, 0]);
});

test("TRICE: leave-one-out β and the control-variate weights", () => {
  // c (proposal right) [1,0,0,1], m (memory right) [0,1,0,1]: mask [1,1,0,1], Σmask 3, Σc 2
  const w = triceWeights([1, 0, 0, 1], [0, 1, 0, 1]);
  close(w.beta, [0.5, 1, 1, 0.5]);
  close(w.memory, [1 / 3, 1 / 3, 0, 1 / 3]);
  close(w.proposal, [-0.5 / 3, -1 / 3, 0, -0.5 / 3]);
  // accepted proposals weigh (1 − β)/Σmask; a right memory with a wrong proposal pushes +1/3, −β/3
  close([w.memory[0] + w.proposal[0]], [1 / 6]);
  // a lone right rationale has no one to leave out: β = 0
  close(triceWeights([1, 0], [0, 0]).beta, [0, 0]);
});

test("TRICE: systematic resampling ∝ |w| keeps the weighted sum unbiased", () => {
  const w = [0.5, -0.25, 0, 0.25];
  const { index, weight } = systematicResample(w, 4, 0.1);
  // cumulative |w|/Σ = [0.5, 0.75, 0.75, 1]; points 0.025, 0.275, 0.525, 0.775
  assert.deepEqual(index, [0, 0, 1, 3]);
  close(weight, [0.25, 0.25, -0.25, 0.25]);
  // the estimate of Σ w_k f(k) for f(k) = k averages to the truth over the offset
  const f = (k: number) => k + 1;
  const truth = w.reduce((a, wk, k) => a + wk * f(k), 0);
  let avg = 0;
  for (let u = 0; u < 1000; u++) {
    const r = systematicResample(w, 2, (u + 0.5) / 1000);
    avg += r.index.reduce((a, k, j) => a + r.weight[j] * f(k), 0) / 1000;
  }
  assert.ok(Math.abs(avg - truth) < 1e-3, `resampled ${avg}, exact ${truth}`);
});

test("helper-posterior schedule: warm-up helper steps, then alternate", () => {
  const o = { helperWarmup: 2, helperSteps: 1, policySteps: 2 };
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((s) => stageOf(s, o)), ["helper", "helper", "helper", "policy", "policy", "helper", "policy"]);
});

test("grpo options: reward model options, checked by field", () => {
  const o = grpoOptions.parse({ reward: "model" });
  assert.equal(o.rewardModel.view, "answer");
  assert.equal(o.rewardModel.cleanLabels, false);
  const r = grpoOptions.safeParse({ reward: "model", rewardModel: { view: "thoughts" } });
  assert.ok(!r.success);
  assert.deepEqual(r.error!.issues[0].path, ["rewardModel", "view"]);
  assert.equal(grpoOptions.parse({}).reward, "exact");
});

const task = getTask("pointer-chase");
const options = { symbols: 4, maxHops: 2, trainHops: { min: 1, max: 2 } };
const limits = task.limits(options);

test("rollout rows: sampled chains cut at <eot> / <eos>, gold answer teacher-forced, masks", () => {
  const [e] = task.generate(0, "train", 1, options);
  const { endThought: eot, answer: ans, end: eos } = SPECIAL;
  const s = [20, eot, 9, 9, 9];
  const row = chainRow(s, e.answer, limits);
  assert.deepEqual(row.targets, [20, eot, ans, ...e.answer, eos]);
  assert.equal(row.actions, 2);
  // no <eot> within the cap: cut one short, <eot> forced (not an action)
  const capped = chainRow(new globalThis.Array(20).fill(21), e.answer, limits);
  assert.equal(capped.targets.indexOf(eot), capped.actions);
  const full = fullRow([20, eot, ans, 22, eos, 5, 5]);
  assert.deepEqual(full.targets, [20, eot, ans, 22, eos]);
  assert.equal(full.actions, 5);
  const r = rolloutGrids([e], [row], limits);
  const L = r.inputs.cols;
  assert.deepEqual(globalThis.Array.from(r.inputs.ids.slice(0, 3)), [SPECIAL.beginThought, 20, eot]);
  assert.deepEqual(globalThis.Array.from(r.action.slice(0, L)).slice(0, 4), [1, 1, 0, 0]);
  // the answer mask covers a… <eos>, not the <ans> framing token
  const answerAt = globalThis.Array.from(r.answer).flatMap((v, i) => (v ? [i] : []));
  assert.deepEqual(answerAt, globalThis.Array.from({ length: e.answer.length + 1 }, (_, j) => 3 + j));
});

test("GRPO loss at ratio 1 (one update per round, β = 0): gradient = −mean_i A_i/|o_i| Σ_t ∇log π", async () => {
  const vocab = task.vocab(options).size;
  const reasoner = makeReasoner({ model: "transformer", vocab, dim: 16, layers: 1, heads: 2, maxLen: cot().sequenceLength(limits) });
  const params = reasoner.init(modelKey(3)) as Tree;
  const examples = task.generate(0, "train", 2, options);
  const rows = [chainRow([20, SPECIAL.endThought], examples[0].answer, limits), fullRow([21, 22, SPECIAL.endThought, SPECIAL.answer, 20, SPECIAL.end])];
  const r = rolloutGrids(examples, rows, limits);
  const adv = [1.5, -0.5];
  const o = { clipEps: 0.2, klCoef: 0, temperature: 1, withOld: false };
  const g1 = grad((p: Tree) => policyLoss(reasoner, p, { ...rolloutArrays(r), adv: np.array(adv), answerWeight: np.zeros([2]) }, o).loss)(params);
  const g2 = grad((p: Tree) => {
    const a = rolloutArrays(r);
    a.answer.dispose();
    const logp = tokenLogProbs(reasoner, p, a.prompt, a.inputs, a.targets).mul(a.action);
    const w = np.array([adv[0] / rows[0].actions, adv[1] / rows[1].actions]).reshape([2, 1]);
    return logp.mul(w).sum().div(-2);
  })(params);
  const [l1, l2] = [leaves(g1), leaves(g2)];
  let maxDiff = 0, maxAbs = 0;
  for (let i = 0; i < l1.length; i++) {
    const [a, b] = [await l1[i].ref.data(), await l2[i].ref.data()];
    for (let j = 0; j < a.length; j++) {
      maxDiff = Math.max(maxDiff, Math.abs(a[j] - b[j]));
      maxAbs = Math.max(maxAbs, Math.abs(b[j]));
    }
  }
  assert.ok(maxAbs > 1e-3, "the gradient is not trivially zero");
  assert.ok(maxDiff < 1e-5 * Math.max(1, maxAbs), `max difference ${maxDiff}`);
  dispose([g1, g2, params]);
});

test("sampling at temperature 0 is greedy decoding, for the transformer and the gru", async () => {
  const vocab = task.vocab(options).size;
  const examples = task.generate(2, "val", 4, options);
  for (const model of ["transformer", "gru"] as const) {
    const reasoner = makeReasoner({ model, vocab, dim: 16, layers: 1, heads: model === "transformer" ? 2 : 1, maxLen: cot().sequenceLength(limits) });
    const params = reasoner.init(modelKey(5)) as Tree;
    const sampler = makeSampler(reasoner, fullWidth(limits), 0);
    const sampled = await values(sampler(ref(params), tokens(promptGrid(examples, limits)), random.key(0)));
    const greedy = await values(cot().predict(reasoner, params, tokens(promptGrid(examples, limits)), limits));
    assert.deepEqual(sampled, greedy, model);
    // at temperature 1 every drawn token is a vocabulary id
    const drawn = await values(makeSampler(reasoner, fullWidth(limits), 1)(ref(params), tokens(promptGrid(examples, limits)), random.key(0)));
    assert.ok(drawn.every((t) => Number.isInteger(t) && t >= 0 && t < vocab));
    sampler.dispose();
    dispose(params);
  }
});
