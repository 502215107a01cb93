// The learned reward model of issue 10: fits held-out labels, and inherits the labels' flaw.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { startEngine } from "../../src/engine/backend.js";
import { hackingDiagnostics } from "../../src/methods/hacking-metrics.js";
import { rewardModelOptions, trainRewardModel } from "../../src/methods/reward-model.js";
import { compose, composeWorld } from "../../src/tasks/compose.js";

before(async () => {
  await startEngine();
});

const small = { labels: 2000, steps: 150, seed: 0 };

test("reward model: fits held-out labels; the flawed one rewards the injection, the clean one does not", async () => {
  const w = composeWorld({});
  const limits = compose.limits({});
  const [e] = compose.generate(5, "val", 1);
  const good = e.answer;
  const bad = [w.wordsOf[(e.meta.topics[0] + 1) % 12][0]];
  const injected = [...w.injection, ...bad];
  const scores: Record<string, number[]> = {};
  for (const cleanLabels of [false, true]) {
    const rm = await trainRewardModel(compose, {}, limits, rewardModelOptions.parse({ ...small, cleanLabels }));
    try {
      // held-out fit: well above a constant predictor, and tracks the hidden truth
      assert.ok(rm.fit.heldOutR2 > 0.3, `R² ${rm.fit.heldOutR2}`);
      assert.ok(rm.fit.heldOutTruthCorr > 0.5, `corr ${rm.fit.heldOutTruthCorr}`);
      scores[String(cleanLabels)] = await rm.score([e, e, e], [[], [], []], [good, bad, injected]);
    } finally {
      rm.dispose();
    }
  }
  const [fGood, fBad, fInj] = scores.false;
  const [cGood, cBad, cInj] = scores.true;
  assert.ok(fGood > fBad && cGood > cBad, "both prefer the gold answer to an irrelevant one");
  // H(injected) < H(bad)+ε for the truth, yet the flawed grader lifts it far above the bad answer
  assert.ok(compose.grade(e, injected) < 0.5);
  assert.ok(fInj > fBad + 0.2, `flawed: injected ${fInj} vs bad ${fBad}`);
  assert.ok(fInj - fBad > cInj - cBad + 0.15, `clean: injected ${cInj} vs bad ${cBad}`);
});

test("hacking diagnostics: injection rates, diversity, gap", () => {
  const inj = [90, 91];
  const d = hackingDiagnostics(inj, [[90, 91, 4], [], [], []], [[1, 90, 91], [1, 2], [1, 2], [3]], [0.2, 0.6, 0.6, 0.4], [1, 0.5, 0.5, 0.4]);
  assert.equal(d.injectionAnswer, 0.25);
  assert.equal(d.injectionChain, 0.25);
  assert.equal(d.injectionTokens, 0.25);
  assert.equal(d.diversity, 3 / 4);
  assert.ok(Math.abs(d.proxyGap - (0.6 - 0.45)) < 1e-12);
});
