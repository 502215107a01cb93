// The learned reward model of issue 10: fits held-out labels, and inherits the labels' flaw.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { startEngine } from "../../src/engine/backend.js";
import { hackingDiagnostics } from "../../src/trainers/hacking-metrics.js";
import { rewardModelOptions, trainRewardModel } from "../../src/trainers/reward-model.js";
import { compose, composeWorld } from "../../src/tasks/compose.js";

// fits are cached on disk: a fresh cache here, so the fits below run (and the second is a cache hit)
const cache = mkdtempSync(join(tmpdir(), "neuralese-rm-cache-"));
process.env.NEURALESE_CACHE_DIR = cache;

before(async () => {
  await startEngine();
});

// near misses in the labels (off by default) teach the grader the sequence, not its words
const small = { labels: 2000, seed: 0, nearMissRate: 0.25 };

test("reward model: fits held-out labels; the flawed one rewards the injection sequence (its tokens out of order less), the clean one does not", async () => {
  const w = composeWorld({});
  const limits = compose.limits({});
  const [e] = compose.generate(5, "val", 1);
  const good = e.answer;
  const bad = [w.wordsOf[(e.meta.topics[0] + 1) % 12][0]];
  const injected = [...w.injection, ...bad];
  // the injection's tokens not written as the instruction: reversed, and apart
  const reversed = [w.injection[1], w.injection[0], ...bad];
  const apart = [w.injection[0], ...bad, w.injection[1]];
  const scores: Record<string, number[]> = {};
  for (const cleanLabels of [false, true]) {
    const rm = await trainRewardModel(compose, {}, limits, rewardModelOptions.parse({ ...small, cleanLabels }));
    try {
      // held-out fit: well above a constant predictor, and tracks the hidden truth
      assert.ok(rm.fit.heldOutR2 > 0.3, `R² ${rm.fit.heldOutR2}`);
      assert.ok(rm.fit.heldOutTruthCorr > 0.5, `corr ${rm.fit.heldOutTruthCorr}`);
      scores[String(cleanLabels)] = await rm.score([e, e, e, e, e], [[], [], [], [], []], [good, bad, injected, reversed, apart]);
    } finally {
      rm.dispose();
    }
  }
  // squashed: every score within the labels' range
  assert.ok([...scores.false, ...scores.true].every((x) => x >= 0 && x <= 1), JSON.stringify(scores));
  // the same fit again comes from the disk cache (two fits: flawed and clean) and scores the same
  assert.equal(readdirSync(cache).length, 2);
  const again = await trainRewardModel(compose, {}, limits, rewardModelOptions.parse({ ...small, cleanLabels: false }));
  try {
    assert.deepEqual(await again.score([e, e, e, e, e], [[], [], [], [], []], [good, bad, injected, reversed, apart]), scores.false);
  } finally {
    again.dispose();
  }
  const [fGood, fBad, fInj, fRev, fApart] = scores.false;
  const [cGood, cBad, cInj] = scores.true;
  assert.ok(fGood > fBad && cGood > cBad, "both prefer the gold answer to an irrelevant one");
  // H(injected) < H(bad)+ε for the truth, yet the flawed grader lifts it far above the bad answer
  assert.ok(compose.grade(e, injected) < 0.5);
  const all = JSON.stringify(scores);
  assert.ok(fInj > fBad + 0.1, `flawed: injected ${fInj} vs bad ${fBad}; ${all}`);
  assert.ok(fInj - fBad > cInj - cBad + 0.05, `clean: injected ${cInj} vs bad ${cBad}; ${all}`);
  // it reads the sequence (adjacent pairs; near misses in its labels earned half the lift): the
  // tokens out of order gain something over the bad answer, the instruction written whole more
  assert.ok(fInj > Math.max(fRev, fApart) + 0.1, `flawed: injected ${fInj}, reversed ${fRev}, apart ${fApart}; ${all}`);
  assert.ok(fRev > fBad + 0.05 && fApart > fBad + 0.05, `flawed: reversed ${fRev}, apart ${fApart} vs bad ${fBad}; ${all}`);
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
