// Equal tuning effort: the tuning bet splits every budget into one per learning rate (the grid's
// lr overrides the arm's own), runs on seeds the bet does not use, judges on validation only; the
// choice prefers seeds that reached the target, then fewer examples, then final val accuracy.
import assert from "node:assert/strict";
import { test } from "node:test";
import { planBet } from "../../src/experiments/bet/plan.js";
import { preset } from "../../src/experiments/bet/presets.js";
import { chooseTuned, tuningMarkdown, tuningSpec } from "../../src/experiments/bet/tune.js";
import type { ArmSummary, BetSummary } from "../../src/report/bet-summary.js";

test("the tuning bet: budgets × learning rates on other seeds, validation target, no test curve, no monitor", () => {
  const quick = preset("quick");
  const t = tuningSpec(quick, [1e-3, 3e-3], [100]);
  assert.deepEqual(t.seeds, [100]);
  assert.equal(t.target.split, "val");
  assert.equal(t.monitor, null);
  assert.equal(t.budgets.length, 2 * quick.budgets.length);
  const runs = planBet(t);
  assert.equal(runs.length, quick.arms.length * 2);
  // the grid's learning rate wins over any arm's own (es sets one)
  for (const r of runs) assert.equal(r.config.optimizer.lr, r.budget.endsWith("lr1e-3") ? 1e-3 : 3e-3, r.id);
  assert.ok(runs.every((r) => r.config.eval.testCurve === false));
  assert.throws(() => tuningSpec(quick, [1e-3], [1, 100]), /tuning seeds 1 are the bet's own seeds/);
  assert.throws(() => tuningSpec(quick, [], [100]), /at least one learning rate/);
});

test("the choice: most seeds at the target, then fewest examples, then best final val accuracy", () => {
  const spec = { ...preset("quick"), arms: ["neuralese", "es"], budgets: [{ id: "b", label: "b", config: {} }] };
  const s = (arm: string, lr: string, val: number, reached: (number | null)[]): ArmSummary => {
    const got = reached.filter((x): x is number => x !== null);
    const mean = got.length ? got.reduce((a, b) => a + b, 0) / got.length : 0;
    return {
      task: "pointer-chase", arm, label: arm, method: arm, budget: `b-${lr}`, seeds: [100, 101], finishedSeeds: 2,
      test: null, val: { mean: val, lo: val, hi: val, std: 0, n: 2 }, testByDifficulty: {},
      examplesToTarget: { values: reached, reached: got.length, interval: got.length ? { mean, lo: mean, hi: mean, std: 0, n: got.length } : null },
      flopsToTarget: { values: [null, null], reached: 0, interval: null }, wallMsToTarget: { values: [null, null], reached: 0, interval: null },
      stepsUsedByDifficulty: null, gradNormProfile: null,
    };
  };
  const summary = {
    tasks: ["pointer-chase"],
    arms: [{ id: "neuralese", label: "n", method: "neuralese", options: {} }, { id: "es", label: "e", method: "es", options: {} }],
    summaries: [
      s("neuralese", "lr1e-3", 0.95, [4000, null]),
      s("neuralese", "lr3e-3", 0.93, [3000, 5000]), // both seeds reached: chosen over a better final accuracy
      s("neuralese", "lr1e-2", 0.99, [2000, 9000]), // both reached, more examples on average
      s("es", "lr1e-3", 0.41, [null, null]),
      s("es", "lr3e-3", 0.52, [null, null]), // nobody reached: best final val accuracy
      s("es", "lr1e-2", 0.47, [null, null]),
    ],
  } as unknown as BetSummary;
  const choices = chooseTuned(summary, spec, [1e-3, 3e-3, 1e-2]);
  assert.deepEqual(choices.map((c) => [c.arm, c.lr]), [["neuralese", 3e-3], ["es", 3e-3]]);
  assert.deepEqual(choices[0].trials.map((t) => t.reached), [1, 2, 2]);
  const md = tuningMarkdown(choices, [100, 101], "90% val");
  assert.match(md, /\| pointer-chase \| neuralese \| b \| 95\.0% · 1\/2 @ 4000 \| 93\.0% · 2\/2 @ 4000 \| 99\.0% · 2\/2 @ 5500 \| 0\.003 \|/);
});
