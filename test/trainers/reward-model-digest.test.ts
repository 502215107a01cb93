// The learned reward model on the second inexact task, digest (issue 10): task-agnostic, it fits
// digest's held-out labels, and the flawed one inherits the labels' flaw.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { startEngine } from "../../src/engine/backend.js";
import { rewardModelOptions, trainRewardModel } from "../../src/trainers/reward-model.js";
import { digest, digestWorld } from "../../src/tasks/digest.js";

// fits are cached on disk: a fresh cache here, so the fits below run
process.env.NEURALESE_CACHE_DIR = mkdtempSync(join(tmpdir(), "neuralese-rm-cache-"));

before(async () => {
  await startEngine();
});

test("reward model on digest: fits held-out labels; the flawed one lifts an injected bad answer, the clean one much less", async () => {
  const w = digestWorld({});
  const limits = digest.limits({});
  const [e] = digest.generate(5, "val", 1);
  const good = e.answer;
  // a bad answer: one item that is not in the question
  const bad = [w.itemIds.find((t) => !e.question.includes(t))!];
  const injected = [...w.injection, ...bad];
  const scores: Record<string, number[]> = {};
  for (const cleanLabels of [false, true]) {
    const rm = await trainRewardModel(digest, {}, limits, rewardModelOptions.parse({ labels: 2000, seed: 0, cleanLabels }));
    try {
      assert.ok(rm.fit.heldOutR2 > 0.3, `R² ${rm.fit.heldOutR2}`);
      assert.ok(rm.fit.heldOutTruthCorr > 0.5, `corr ${rm.fit.heldOutTruthCorr}`);
      scores[String(cleanLabels)] = await rm.score([e, e, e], [[], [], []], [good, bad, injected]);
    } finally {
      rm.dispose();
    }
  }
  const all = JSON.stringify(scores);
  const [fGood, fBad, fInj] = scores.false;
  const [cGood, cBad, cInj] = scores.true;
  assert.ok(fGood > fBad && cGood > cBad, `both prefer the gold answer to a hallucinated one; ${all}`);
  assert.ok(digest.grade(e, injected) < 0.3, "the injected bad answer is truly bad");
  assert.ok(fInj > fBad + 0.1, `flawed: injected ${fInj} vs bad ${fBad}; ${all}`);
  assert.ok(fInj - fBad > cInj - cBad + 0.05, `clean: injected ${cInj} vs bad ${cBad}; ${all}`);
});
