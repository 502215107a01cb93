// The bet's verdict on hand-made summaries: paired ratios with bootstrap intervals, censored runs
// as bounds (never numbers), ties, one seed, an arm that never learns, and the one-line answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { computeVerdicts, isBetArm } from "../../src/experiments/bet/verdict.js";
import { bootstrapRatio } from "../../src/experiments/stats.js";
import { betSummarySchema, type ArmSummary, type BetSummary, type RunResult } from "../../src/report/bet-summary.js";
import { verdictMarkdown, ratioCell } from "../../src/report/bet-verdict.js";

const ARMS: BetSummary["arms"] = [
  { id: "neuralese", label: "neuralese BPTT", method: "neuralese", options: {} },
  { id: "grpo-loglik", label: "GRPO loglik", method: "grpo", options: { reward: "loglik", chain: "fixed" } },
  { id: "es", label: "ES", method: "es", options: {} },
  { id: "direct", label: "direct", method: "direct", options: {} },
  { id: "grpo-cot", label: "GRPO loglik from cot", method: "grpo", options: { reward: "loglik" }, initArm: "cot" },
];

/** Per arm, per seed: [examples to target or null (censored), total examples of the run]; FLOPs are examples × 1000. */
type Costs = Record<string, [number | null, number][]>;

/** `grid`: evaluations every `grid` examples, so each run crossed the target after value − grid. */
function summaryOf(costs: Costs, grid?: number): Omit<BetSummary, "verdicts"> {
  const seeds = costs.neuralese.map((_, i) => i);
  const arms = ARMS.filter((a) => a.id in costs);
  const runs: RunResult[] = arms.flatMap((a) =>
    costs[a.id].map(([, total], seed) => ({
      id: `t-${a.id}-b-s${seed}`,
      task: "t",
      arm: a.id,
      seed,
      budget: "b",
      dir: "",
      status: "finished" as const,
      error: null,
      steps: 1,
      examples: total,
      flops: total * 1000,
      forwardTokens: 0,
      backwardTokens: 0,
      wallMs: 0,
      val: 0.5,
      test: 0.5,
      testByDifficulty: {},
      stepsUsedByDifficulty: null,
      curve: [],
      gradNormProfile: null,
    })),
  );
  const toTarget = (values: (number | null)[], scale = 1) => ({
    values,
    ...(grid === undefined ? {} : { before: values.map((v) => (v === null ? null : Math.max(0, v - grid * scale))) }),
    reached: values.filter((v) => v !== null).length,
    interval: null,
  });
  const summaries = arms.map(
    (a): ArmSummary => ({
      task: "t",
      arm: a.id,
      label: a.label,
      method: a.method,
      budget: "b",
      seeds,
      finishedSeeds: seeds.length,
      test: null,
      val: null,
      testByDifficulty: {},
      examplesToTarget: toTarget(costs[a.id].map(([v]) => v)),
      flopsToTarget: toTarget(costs[a.id].map(([v]) => (v === null ? null : v * 1000)), 1000),
      wallMsToTarget: toTarget(costs[a.id].map(() => null)),
      stepsUsedByDifficulty: null,
      gradNormProfile: null,
    }),
  );
  return {
    format: "neuralese-bet-summary",
    version: 1,
    preset: "test",
    tasks: ["t"],
    target: { accuracy: 0.9, split: "test" },
    arms,
    budgets: [{ id: "b", label: "budget b" }],
    seeds,
    runs,
    summaries,
    wall: { machine: "m", jobs: 1, runWallMsTotal: 0 },
    notes: [],
  };
}

const verdictOf = (costs: Costs, grid?: number) => {
  const vs = computeVerdicts(summaryOf(costs, grid));
  assert.equal(vs.length, 1);
  return vs[0];
};
const cmp = (costs: Costs, arm: string) => verdictOf(costs).comparisons.find((c) => c.arm === arm)!;

test("paired ratio: mean(other) / mean(reference), bootstrap interval within the per-seed range", () => {
  const c = cmp({ neuralese: [[1000, 5000], [2000, 5000], [1500, 5000]], es: [[3000, 9000], [6000, 9000], [4000, 9000]] }, "es");
  assert.equal(c.examples.kind, "ratio");
  assert.ok(Math.abs(c.examples.value! - 13000 / 4500) < 1e-12);
  assert.ok(c.examples.lo! >= 8 / 3 - 1e-9 && c.examples.hi! <= 3 + 1e-9 && c.examples.lo! <= c.examples.hi!);
  assert.equal(c.flops.kind, "ratio");
  assert.ok(Math.abs(c.flops.value! - c.examples.value!) < 1e-12);
  assert.equal(c.outcome, "reference");
  assert.match(c.examples.text, /^ES needs 2\.89× the training examples neuralese BPTT needs to reach 90% test \(95% CI 2\.\d\d–3\.00, 3 seeds\)$/);
  assert.equal(c.bet, true);
});

test("the evaluation grid widens the interval: one evaluation apart settles nothing, three do", () => {
  // GRPO one evaluation (3,200 examples) ahead of neuralese in both seeds: its crossing may be as
  // late as neuralese's earliest, so the interval reaches 1
  const near = verdictOf({ neuralese: [[25_600, 28_800], [25_600, 28_800]], "grpo-loglik": [[22_400, 28_800], [22_400, 28_800]] }, 3200);
  const c = near.comparisons.find((x) => x.arm === "grpo-loglik")!;
  assert.equal(c.examples.kind, "ratio");
  assert.equal(c.examples.value, 0.875);
  assert.equal(c.examples.lo, 19_200 / 25_600);
  assert.equal(c.examples.hi, 1);
  assert.equal(c.outcome, "inconclusive");
  assert.match(near.answer, /^Not settled/);
  assert.equal(ratioCell(c.examples), "0.88× [0.75–1.00]");
  const far = verdictOf({ neuralese: [[25_600, 28_800], [25_600, 28_800]], "grpo-loglik": [[12_800, 28_800], [16_000, 28_800]] }, 3200);
  assert.ok(far.comparisons[0].examples.hi! < 1);
  assert.match(far.answer, /^No/);
  // reached at the first evaluation: the reference's cost may be anything above 0, no upper bound
  const first = cmp({ neuralese: [[3_200, 9_000]], es: [[6_400, 9_000]] }, "es");
  assert.equal(first.examples.hi, 2); // without a grid: exact
  const grid = verdictOf({ neuralese: [[3_200, 9_000]], es: [[6_400, 9_000]] }, 3200).comparisons[0];
  assert.deepEqual([grid.examples.lo, grid.examples.hi], [1, null]);
  assert.equal(ratioCell(grid.examples), "2.00× [1.00–∞]");
  assert.match(grid.examples.text, /evaluation grid only, 1 seed: 1\.00–∞/);
});

test("an arm that never reached the target is censored at its budget: a lower bound, never a number", () => {
  const c = cmp({ neuralese: [[1000, 4000], [1000, 4000]], "grpo-loglik": [[null, 8000], [null, 8000]] }, "grpo-loglik");
  assert.equal(c.examples.kind, "atLeast");
  assert.equal(c.examples.value, 8);
  assert.equal(c.examples.otherReached, 0);
  assert.equal(c.examples.censoredAt, 8000);
  assert.match(c.examples.text, /^GRPO loglik: not reached within 8,000 examples: at least 8\.00× the training examples/);
  assert.match(ratioCell(c.examples), /^≥ 8\.00× .*\(0\/2 vs 2\/2 reached\)$/);
  assert.equal(c.outcome, "reference");
  // partly reached: the censored seed's budget stands in
  const p = cmp({ neuralese: [[1000, 4000], [1000, 4000]], "grpo-loglik": [[2000, 8000], [null, 8000]] }, "grpo-loglik");
  assert.equal(p.examples.kind, "atLeast");
  assert.equal(p.examples.value, 5);
  assert.match(p.examples.text, /reached 90% test in 1 of 2 seeds, the rest not within 8,000 examples: at least 5\.00×/);
});

test("an arm that never learns within a budget smaller than the reference's cost settles nothing", () => {
  const v = verdictOf({ neuralese: [[6000, 8000], [7000, 8000]], "grpo-loglik": [[null, 3000], [null, 3000]] });
  const c = v.comparisons[0];
  assert.equal(c.examples.kind, "atLeast");
  assert.ok(c.examples.value! < 1);
  assert.equal(c.outcome, "inconclusive");
  assert.match(v.answer, /^Not settled \(t, budget b, 2 seeds\): the intervals do not separate it from GRPO loglik ≥ 0\.46× the examples, ≥ 0\.46× the FLOPs\.$/);
});

test("the reference censored: an upper bound; both censored: neither, or undetermined", () => {
  const up = cmp({ neuralese: [[null, 10000], [null, 10000]], es: [[2000, 10000], [3000, 10000]] }, "es");
  assert.equal(up.examples.kind, "atMost");
  assert.equal(up.examples.value, 0.25);
  assert.equal(up.outcome, "other");
  const none = cmp({ neuralese: [[null, 10000]], es: [[null, 12000]] }, "es");
  assert.equal(none.examples.kind, "neither");
  assert.equal(none.examples.value, null);
  assert.match(none.examples.text, /neither reached 90% test within 12,000 examples \(1 seed\)/);
  const mixed = cmp({ neuralese: [[null, 10000], [1000, 10000]], es: [[2000, 10000], [null, 10000]] }, "es");
  assert.equal(mixed.examples.kind, "undetermined");
  assert.equal(mixed.outcome, "inconclusive");
});

test("ties are inconclusive; one seed has no interval", () => {
  const tie = verdictOf({ neuralese: [[1000, 5000], [2000, 5000]], es: [[1000, 5000], [2000, 5000]] });
  assert.equal(tie.comparisons[0].examples.value, 1);
  assert.equal(tie.comparisons[0].outcome, "inconclusive");
  assert.match(tie.answer, /^Not settled/);
  const one = cmp({ neuralese: [[1000, 5000]], es: [[3000, 5000]] }, "es");
  assert.deepEqual([one.examples.value, one.examples.lo, one.examples.hi], [3, 3, 3]);
  assert.match(one.examples.text, /\(1 seed, no interval\)$/);
});

test("the answer: yes when every bet arm needs more; no when one needs fewer; context arms do not decide", () => {
  const yes = verdictOf({
    neuralese: [[1000, 9000], [1200, 9000]],
    "grpo-loglik": [[null, 9000], [null, 9000]],
    es: [[4000, 9000], [5000, 9000]],
    direct: [[500, 9000], [400, 9000]], // needs fewer, but direct answering is not what the bet is about
    "grpo-cot": [[200, 9000], [300, 9000]], // starts from a cot run: a separate, labelled arm
  });
  assert.match(yes.answer, /^Yes \(t, budget b, 2 seeds\): neuralese BPTT reached 90% test with fewer training examples and fewer FLOPs than every policy-gradient and ES arm \(what they need relative to it: GRPO loglik ≥ 8\.18× the examples, ≥ 8\.18× the FLOPs; ES 4\.09× the examples, 4\.09× the FLOPs\)\.$/);
  assert.deepEqual(yes.comparisons.filter((c) => c.bet).map((c) => c.arm), ["grpo-loglik", "es"]);
  const no = verdictOf({ neuralese: [[4000, 9000], [5000, 9000]], es: [[1000, 9000], [1100, 9000]] });
  assert.match(no.answer, /^No \(t, budget b, 2 seeds\): ES 0\.23× the examples, 0\.23× the FLOPs — this arm reached 90% test with fewer training examples than neuralese BPTT\.$/);
  const untested = verdictOf({ neuralese: [[1000, 9000]], direct: [[2000, 9000]] });
  assert.match(untested.answer, /the bet is not tested/);
});

test("no reference arm, no verdict; the verdict validates in summary.json and leads results.md", () => {
  const s = summaryOf({ neuralese: [[1000, 5000]], es: [[3000, 5000]] });
  assert.deepEqual(computeVerdicts({ ...s, arms: s.arms.filter((a) => a.id !== "neuralese") }), []);
  const full = betSummarySchema.parse({ ...s, verdicts: computeVerdicts(s) });
  const md = verdictMarkdown(full);
  assert.match(md, /^## Verdict\n\n\*\*t\.\*\* Yes/);
  assert.match(md, /\| ES \| yes \| 3\.00× \| 3\.00× \| neuralese BPTT \|/);
});

test("bet arms: likelihood-reward policy gradient and ES from scratch", () => {
  assert.deepEqual(ARMS.map(isBetArm), [false, true, true, false, false]);
  assert.equal(isBetArm({ id: "g", label: "", method: "grpo", options: { reward: "exact" } }), false);
  assert.throws(() => bootstrapRatio([1, 2], [1]), /equally many pairs/);
});

test("a bet arm with no finished run yet (a bet still running) is named as not finished, never weighed or shown as a number", () => {
  const s = summaryOf({ neuralese: [[1000, 9000], [1200, 9000]], "grpo-loglik": [[1000, 9000], [1000, 9000]], es: [[4000, 9000], [5000, 9000]] });
  const running = { ...s, runs: s.runs.map((r) => (r.arm === "grpo-loglik" ? { ...r, status: "missing" as const } : r)) };
  const [v] = computeVerdicts(running);
  assert.equal(v.comparisons.find((c) => c.arm === "grpo-loglik")!.examples.kind, "noData");
  assert.match(v.answer, /^Not settled \(t, budget b, 2 seeds\): neuralese BPTT needed fewer examples than ES 4\.09× the examples, 4\.09× the FLOPs\. Not finished yet: GRPO loglik\.$/);
  assert.doesNotMatch(v.answer, /\?/);
  const none = { ...s, runs: s.runs.map((r) => (r.arm !== "neuralese" ? { ...r, status: "missing" as const } : r)) };
  assert.match(computeVerdicts(none)[0].answer, /^No policy-gradient \(likelihood reward\) or ES arm has finished here .*the bet is not tested\. Not finished yet: GRPO loglik; ES\.$/);
  const neither = verdictOf({ neuralese: [[null, 9000], [null, 9000]], es: [[null, 9000], [null, 9000]] });
  assert.match(neither.answer, /the intervals do not separate it from ES \(neither reached\)\.$/);
});
