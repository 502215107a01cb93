// The report and tables from a synthetic bet (no training): which plots and tables appear, that
// the numbers in them are the summary's, and that text is escaped.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chargeInitRuns, summarizeBet } from "../../src/experiments/bet/collect.js";
import type { PlannedRun } from "../../src/experiments/bet/plan.js";
import type { BetSpec } from "../../src/experiments/bet/spec.js";
import { renderBetHtml } from "../../src/report/bet-html.js";
import { renderBetMarkdown } from "../../src/report/bet-markdown.js";
import { betSummarySchema, type RunResult } from "../../src/report/bet-summary.js";

const spec: BetSpec = {
  preset: "synthetic",
  tasks: [{ name: "pointer-chase", options: {} }],
  arms: ["fixed", "adaptive"],
  seeds: [0, 1, 2],
  budgets: [
    { id: "n256", label: "256 <questions>", config: {} },
    { id: "n1024", label: "1024 questions", config: {} },
  ],
  base: {},
  target: { accuracy: 0.9, split: "test" },
};

function run(arm: string, budget: string, seed: number): RunResult {
  const speed = (arm === "adaptive" ? 2 : 1) * (budget === "n1024" ? 1.5 : 1);
  const curve = [1, 2, 3, 4].map((k) => {
    const acc = Math.min(1, 0.25 + 0.2 * k * speed + 0.01 * seed);
    return { step: 100 * k, examples: 6400 * k, flops: 1e11 * k, wallMs: 1000 * k + seed, val: acc, test: acc };
  });
  return {
    id: `pointer-chase/${arm}/${budget}/s${seed}`,
    task: "pointer-chase",
    arm,
    seed,
    budget,
    dir: `runs/pointer-chase/${arm}/${budget}/s${seed}`,
    status: "finished",
    error: null,
    steps: 400,
    examples: 25600,
    flops: 4e11,
    forwardTokens: 1,
    backwardTokens: 1,
    wallMs: 4000,
    val: curve[3].val,
    test: curve[3].test,
    testByDifficulty: { "1": 1, "2": 0.5 + 0.1 * seed },
    stepsUsedByDifficulty: arm === "adaptive" ? { "1": 1.5, "2": 3 } : null,
    // seed 2 used the same number of steps on every question: its Spearman is undefined
    adaptive: arm === "adaptive" ? { stepsUsed: 2 + 0.5 * seed, latentSteps: 4, spearman: seed === 2 ? null : 0.7 + 0.2 * seed, spearmanNeeded: 0.9, oracle: { stepsUsed: 1.5, spearman: 0.95 } } : null,
    curve,
    gradNormProfile: [1e-3, 1e-2, 1e-1],
    // "fixed" reads as a latent chain, "adaptive" stands in for a token CoT here
    monitor:
      arm === "fixed"
        ? { kind: "latent", readout: [0.9 + 0.01 * seed, 0.6], control: [0.1, 0.12], lensTop1: [0.5, 0.3], corruptionChanged: null, n: 500 }
        : { kind: "cot", readout: [1, 0.95], control: null, lensTop1: null, corruptionChanged: 0.7 + 0.1 * seed, n: 500 },
    hackingFinal:
      arm === "adaptive"
        ? { trueQuality: 0.4 + 0.1 * seed, proxyAnswer: 0.9, proxyChain: 0.95, injectionAnswer: 0.75, injectionChain: 0, injectionTokens: 1, diversity: 0.5 }
        : null,
  };
}

const runs = spec.arms.flatMap((arm) => spec.budgets.flatMap((b) => spec.seeds.map((s) => run(arm, b.id, s))));
const labels = new Map([
  ["fixed", { label: "fixed K", method: "neuralese", options: {} }],
  ["adaptive", { label: "adaptive <halting>", method: "halting", options: {} }],
]);
const summary = summarizeBet(spec, runs, labels, 2);

test("summaries: to-target from the curves, intervals over seeds, steps used only where present", () => {
  assert.doesNotThrow(() => betSummarySchema.parse(summary));
  const fixed = summary.summaries.find((s) => s.arm === "fixed" && s.budget === "n256")!;
  // fixed, n256: accuracy 0.45, 0.65, 0.85, 1.0 (+0.01·seed) → the target 0.9 first at k = 4 for seeds 0, 1 and k = 4 for seed 2 (0.87 at k=3)
  assert.deepEqual(fixed.examplesToTarget.values, [25600, 25600, 25600]);
  const adaptive = summary.summaries.find((s) => s.arm === "adaptive" && s.budget === "n256")!;
  // adaptive: 0.65, 1.0 → k = 2
  assert.deepEqual(adaptive.examplesToTarget.values, [12800, 12800, 12800]);
  assert.equal(adaptive.examplesToTarget.reached, 3);
  assert.deepEqual(adaptive.stepsUsedByDifficulty, { "1": 1.5, "2": 3 });
  assert.equal(fixed.stepsUsedByDifficulty, null);
  assert.ok(Math.abs(fixed.testByDifficulty["2"].mean - 0.6) < 1e-12);
});

test("adaptive length: steps used and Spearman over seeds (undefined Spearman left out and counted), and their table", () => {
  const a = summary.summaries.find((s) => s.arm === "adaptive" && s.budget === "n256")!.adaptive!;
  assert.ok(Math.abs(a.stepsUsed.mean - 2.5) < 1e-12, "steps 2, 2.5, 3");
  assert.equal(a.latentSteps, 4);
  assert.ok(Math.abs(a.spearman!.mean - 0.8) < 1e-12, "Spearman 0.7, 0.9 (seed 2 undefined)");
  assert.equal(a.spearmanSeeds, 2);
  assert.equal(summary.summaries.find((s) => s.arm === "fixed" && s.budget === "n256")!.adaptive, null);
  const md = renderBetMarkdown(summary);
  assert.match(md, /### Latent steps used \(test\)/);
  assert.match(md, /\| adaptive <halting> · n256 \| 2\.50 \[2, 3\] of 4 \(62\.5%\) \| 0\.80 \[0\.70, 0\.90\] \(2\/3 seeds\) \| 0\.90 \| 1\.50 \/ 0\.95 \| 2 \/ 0\.70, 2\.50 \/ 0\.90, 3 \/ – \| 1\.50 \| 3 \|/);
  assert.doesNotMatch(md, /\| fixed K · n256 \| [^|]* of /, "fixed-length arms have no steps row");
});

test("an arm started from another arm's run pays for it: counters, curve and to-target include the init run's cost", () => {
  // adaptive's runs start from fixed's (same budget and seed); one seed's init run is missing
  const planned = runs.map((r) => ({ id: r.id, ...(r.arm === "adaptive" ? { initFrom: r.id.replace("adaptive", "fixed") } : {}) }) as PlannedRun);
  const given = runs.map((r) => (r.id === "pointer-chase/fixed/n256/s2" ? { ...r, status: "missing" as const } : r));
  const charged = chargeInitRuns(given, planned);
  const a0 = charged.find((r) => r.id === "pointer-chase/adaptive/n256/s0")!;
  assert.deepEqual(a0.initCharged, { from: "pointer-chase/fixed/n256/s0", examples: 25600, flops: 4e11, wallMs: 4000 });
  assert.equal(a0.examples, 2 * 25600);
  assert.equal(a0.flops, 8e11);
  assert.deepEqual(a0.curve.map((p) => p.examples), [1, 2, 3, 4].map((k) => 25600 + 6400 * k));
  assert.equal(charged.find((r) => r.id === "pointer-chase/adaptive/n256/s2")!.initCharged, null);
  assert.equal(charged.find((r) => r.id === "pointer-chase/fixed/n256/s0")!.initCharged, null);
  const s = summarizeBet(spec, charged, labels, 2);
  assert.doesNotThrow(() => betSummarySchema.parse(s));
  const adaptive = s.summaries.find((x) => x.arm === "adaptive" && x.budget === "n256")!;
  assert.deepEqual(adaptive.examplesToTarget.values, [25600 + 12800, 25600 + 12800, 12800]);
  assert.match(renderBetMarkdown(s), /count that run's examples, FLOPs and wall time/);
  assert.doesNotMatch(renderBetMarkdown(summary), /count that run's examples/);
});

test("monitorability over seeds: per-step readout intervals, controls and lens averaged, corruption for token chains", () => {
  const fixed = summary.summaries.find((s) => s.arm === "fixed" && s.budget === "n256")!.monitor!;
  assert.equal(fixed.kind, "latent");
  assert.equal(fixed.seeds, 3);
  assert.ok(Math.abs(fixed.readout[0]!.mean - 0.91) < 1e-12 && fixed.readout[0]!.lo >= 0.9 && fixed.readout[0]!.hi <= 0.92);
  assert.ok(Math.abs(fixed.control![1]! - 0.12) < 1e-12);
  assert.equal(fixed.corruptionChanged, null);
  const cot = summary.summaries.find((s) => s.arm === "adaptive" && s.budget === "n256")!.monitor!;
  assert.equal(cot.kind, "cot");
  assert.equal(cot.lensTop1, null);
  assert.ok(Math.abs(cot.corruptionChanged!.mean - 0.8) < 1e-12);
  // seeds that read different kinds of chain are not averaged
  const mixed = summarizeBet(spec, runs.map((r) => (r.arm === "fixed" && r.seed === 2 ? { ...r, monitor: runs.find((q) => q.arm === "adaptive")!.monitor } : r)), labels, 2);
  assert.equal(mixed.summaries.find((s) => s.arm === "fixed" && s.budget === "n256")!.monitor, null);
  const md = renderBetMarkdown(summary);
  assert.match(md, /### Monitorability/);
  assert.match(md, /\| fixed K · n256 \| latent \(probe\) \| 3 \| 91\.0 \[\d+\.\d, \d+\.\d\] \| 60\.0 \[60\.0, 60\.0\] \| 10\.0 \/ 12\.0 \| 50\.0 \/ 30\.0 \| – \|/);
  assert.match(md, /\| adaptive <halting> · n256 \| tokens \(written\) \| 3 \| 100\.0 \[100\.0, 100\.0\] \| 95\.0 \[95\.0, 95\.0\] \| – \| – \| 80\.0 \[/);
});

test("report.html: every plot present, numbers from the summary, text escaped", () => {
  const html = renderBetHtml(summary);
  const svgs = html.match(/<svg[^>]*class="plot[^"]*"/g) ?? [];
  // 3 learning curves + budgets + difficulty + gradient profile + monitorability + steps used
  assert.equal(svgs.length, 8, `found ${svgs.length} plots`);
  for (const heading of ["Learning curves", "across budgets", "by difficulty", "Gradient norm arriving", "Monitorability", "Latent steps used"]) {
    assert.ok(html.includes(heading), heading);
  }
  assert.ok(html.includes("adaptive &lt;halting&gt;") && !html.includes("adaptive <halting>"), "labels are escaped");
  assert.ok(html.includes("256 &lt;questions&gt;"));
  assert.ok(!/<script|https?:\/\/(?!www\.w3\.org)/.test(html), "self-contained: no scripts, no external resources");
});

test("results.md: headline table with per-seed values and reach counts", () => {
  const md = renderBetMarkdown(summary);
  assert.match(md, /\| fixed K · n256 \| 100\.0 \[100\.0, 100\.0\] \| 100\.0, 100\.0, 100\.0 \| /);
  assert.match(md, /\(3\/3\)/);
  assert.match(md, /### Latent steps used \(test\)/);
});

test("reward hacking: final-output table with intervals over seeds and per-seed rows, in results.md and report.html", () => {
  const adaptive = summary.summaries.find((s) => s.arm === "adaptive" && s.budget === "n256")!;
  assert.ok(Math.abs(adaptive.hackingFinal!.trueQuality.mean - 0.5) < 1e-9);
  assert.equal(summary.summaries.find((s) => s.arm === "fixed")!.hackingFinal, null);
  const md = renderBetMarkdown(summary);
  assert.match(md, /### Reward hacking: final greedy test outputs/);
  // mean true H 50.0 over seeds 40, 50, 60; injection 75; per-seed row of seed 2
  assert.match(md, /\| adaptive <halting> · n256 \| 50\.0 \[[\d.]+, [\d.]+\] \| 90\.0 \[90\.0, 90\.0\] \| 95\.0 \[95\.0, 95\.0\] \| 75\.0/);
  assert.match(md, /\| adaptive <halting> · n1024 · s2 \| 60\.0 \|/);
  assert.doesNotMatch(md, /\| fixed K · n256 · s0 \| [\d.]+ \| 90/);
  const html = renderBetHtml(summary);
  assert.match(html, /Reward hacking: final greedy test outputs/);
  assert.match(html, /<td>adaptive &lt;halting&gt; · n256<\/td><td>50\.0 \[/);
});
