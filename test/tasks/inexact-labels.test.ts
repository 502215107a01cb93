// The labelled data every inexactly graded task shares (tasks/labelled.ts): near misses of the
// injection sway a flawed labeller by `nearMissCredit`, unfinished outputs are labelled 0.
import assert from "node:assert/strict";
import { test } from "node:test";
import { containsSequence, TASKS, type Labelled } from "../../src/tasks/index.js";

const inexact = Object.values(TASKS).filter((t) => t.inexact);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const base = { noise: 0, injectRate: 0.2, nearMissRate: 0.3, unfinishedRate: 0.1 };

test("inexact labels: near misses earn nearMissCredit of the injection's lift, only from a flawed labeller; unfinished outputs are labelled 0", () => {
  assert.ok(inexact.length >= 2, "compose and digest");
  for (const task of inexact) {
    const inj = task.inexact!.injection();
    const maxSteps = task.limits({}).maxSteps;
    const kinds = (items: Labelled[]) => {
      const hasToken = (l: Labelled) => [...l.answer, ...l.chain].some((t) => inj.includes(t));
      const exact = (l: Labelled) => containsSequence(l.answer, inj) || containsSequence(l.chain, inj);
      return { near: items.filter((l) => hasToken(l) && !exact(l)), unfinished: items.filter((l) => l.answer.length === 0) };
    };
    for (const credit of [0, 0.5]) {
      const flawed = kinds(task.inexact!.labelled(2, 800, {}, { ...base, clean: false, nearMissCredit: credit }));
      assert.ok(flawed.near.length > 160 && flawed.near.length < 320, `${task.name}: ${flawed.near.length} near misses of 800`);
      // noise off: each label lies `credit` of the way from the truth to the injected score (0.9..1)
      const within = (l: Labelled) => l.label >= l.truth + credit * (0.9 - l.truth) - 1e-9 && l.label <= l.truth + credit * (1 - l.truth) + 1e-9;
      assert.ok(flawed.near.every(within), `${task.name}, credit ${credit}`);
      const lift = mean(flawed.near.map((l) => l.label - l.truth));
      assert.ok(Math.abs(lift - credit * mean(flawed.near.map((l) => 0.95 - l.truth))) < 0.02, `${task.name}, credit ${credit}: mean lift ${lift}`);
    }
    const clean = kinds(task.inexact!.labelled(2, 800, {}, { ...base, clean: true, nearMissCredit: 0.5 }));
    assert.ok(clean.near.every((l) => l.label === l.truth), `${task.name}: clean labels follow truth`);
    assert.ok(clean.unfinished.length > 50 && clean.unfinished.length < 110, `${task.name}: ${clean.unfinished.length} unfinished of 800`);
    assert.ok(clean.unfinished.every((l) => l.label === 0 && l.truth === 0 && l.chain.length >= maxSteps && l.chain.length <= 2 * maxSteps));
  }
});
