// report.html: the bet's results as one self-contained page: the headline table, learning curves
// against examples drawn, FLOPs and wall time, accuracy by difficulty, the gradient-norm profile
// of the neuralese runs, how readable each chain is (monitorability) and, where halting is on,
// latent steps used by difficulty.
import type { BetSummary, RunResult } from "./bet-summary.js";
import { pct, pctInterval } from "./format.js";
import { monitorHtml } from "./bet-monitor.js";
import { dataScoreTables, HACKING_COLUMNS, headlineTable, runsTable, seriesName, type Table } from "./bet-tables.js";
import { verdictHtml } from "./bet-verdict.js";
import { Plot, plotHtml } from "./plot.js";
import { esc, htmlTable } from "./tables.js";

const table = (t: Table) => htmlTable(t.head, t.rows);

export type Axis = { key: "examples" | "flops" | "wallMs"; label: string; log: boolean; scale: number; format: string };
export const AXES: Axis[] = [
  { key: "examples", label: "training examples drawn", log: false, scale: 1, format: "~s" },
  { key: "flops", label: "training FLOPs (analytic)", log: true, scale: 1, format: "~s" },
  { key: "wallMs", label: "wall time of the run (s)", log: false, scale: 1 / 1000, format: "~s" },
];

export function renderBetHtml(b: BetSummary): string {
  const sections = b.tasks.map((task) => taskSection(b, task)).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>neuralese bet: ${esc(b.preset)}</title>
<style>
body{font-family:system-ui,-apple-system,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}h3{margin-top:1.6em;font-size:1.1em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}td,th{border:1px solid #ddd;padding:.25em .5em;text-align:right}
th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:.9em}
.plots{display:flex;flex-wrap:wrap;gap:1.2em}.plot{flex:0 0 auto}figure{margin:0}
details{margin:1em 0}.answer{font-size:1.05em}#verdict{background:#f8f8f4;padding:.2em 1em;border:1px solid #e4e4da}
</style></head><body>
<h1>neuralese bet: <code>${esc(b.preset)}</code></h1>
${verdictHtml(b)}
<p class="note">Tasks ${b.tasks.map(esc).join(", ")}; seeds ${b.seeds.join(", ")}; budgets: ${b.budgets.map((x) => `${esc(x.id)} (${esc(x.label)})`).join("; ")}.
Accuracy is the task's exact grade on held-out questions. Intervals are 95% percentile-bootstrap intervals of the mean over seeds (coarse with 2–3 seeds; per-seed values are shown).
"To target" is each seed's first evaluation at or above ${pct(b.target.accuracy)}% ${b.target.split} accuracy (resolution: the evaluation interval), over the seeds that reached it.
Machine: ${esc(b.wall.machine)}, ${b.wall.jobs} runs at a time.</p>
${sections}
<h2>Runs</h2>
<details><summary>${b.runs.length} runs (directories under runs/)</summary>${table(runsTable(b.runs, (e) => e.slice(0, 200)))}</details>
${b.notes.length ? `<ul>${b.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}
</body></html>
`;
}

function taskSection(b: BetSummary, task: string): string {
  const ss = b.summaries.filter((s) => s.task === task);
  const runs = b.runs.filter((r) => r.task === task && r.status === "finished");
  const series = (r: { arm: string; budget: string }) => seriesName(b, ss, r);
  const parts: string[] = [`<h2>${esc(task)}</h2>`, table(headlineTable(b, task, "test acc % (95% CI)"))];
  // one colour per series in every plot of the section
  const color = { legend: true, domain: ss.map(series) };
  const split = b.target.split;
  const points = runs.flatMap((r) => r.curve.filter((p) => p[split] !== null).map((p) => ({ ...p, acc: p[split]!, series: series(r), seed: r.seed, run: r.id })));
  if (points.length > 0) {
    parts.push(`<h3>Learning curves (${split} accuracy; thick: mean over seeds, thin: each seed)</h3><div class="plots">`);
    for (const axis of AXES) parts.push(`<div class="plot">${curvePlot(points, axis, split, color)}</div>`);
    parts.push(`</div>`);
  }
  if (b.budgets.length > 1) {
    const sweep = ss.filter((s) => s.test).map((s) => ({ arm: s.label, budget: s.budget, acc: s.test!.mean, lo: s.test!.lo, hi: s.test!.hi }));
    parts.push(`<h3>Final test accuracy across budgets (bars: 95% CI over seeds)</h3>`);
    parts.push(
      plotHtml({
        color: { legend: true, domain: [...new Set(ss.map((s) => s.label))] },
        x: { label: "budget", domain: b.budgets.map((x) => x.id), type: "point", padding: 0.3 },
        y: { label: "test accuracy", domain: [0, 1], grid: true },
        marks: [
          Plot.ruleX(sweep, { x: "budget", y1: "lo", y2: "hi", stroke: "arm", strokeOpacity: 0.4 }),
          Plot.lineY(sweep, { x: "budget", y: "acc", stroke: "arm", marker: "circle" }),
        ],
      }),
    );
  }
  const diff = ss.flatMap((s) => Object.entries(s.testByDifficulty).map(([d, i]) => ({ series: series(s), difficulty: Number(d), acc: i.mean, lo: i.lo, hi: i.hi })));
  if (diff.length > 0) {
    parts.push(`<h3>Final test accuracy by difficulty (bars: 95% CI over seeds)</h3>`);
    parts.push(difficultyPlot(diff, color));
  }
  const grad = ss.filter((s) => s.gradNormProfile).flatMap((s) => s.gradNormProfile!.map((g, k) => ({ series: series(s), step: k + 1, norm: g })));
  if (grad.length > 0) {
    parts.push(`<h3>Gradient norm arriving at each latent step (last fifth of training)</h3>`);
    parts.push(gradProfilePlot(grad, color));
  }
  for (const t of dataScoreTables(b, task)) parts.push(`<h3>${esc(t.title)}</h3>`, table(t));
  parts.push(hackingSection(runs, series, color));
  parts.push(monitorHtml(ss, series, color));
  const hackedFinal = ss.filter((s) => s.hackingFinal);
  if (hackedFinal.length > 0) {
    parts.push(`<h3>Reward hacking: final greedy test outputs (%, mean [95% CI] over seeds)</h3>`);
    parts.push(
      `<p class="note">true H: the hidden quality; proxy: the reward model fitted on flawed labels (answer-only or chain+answer view); injection: outputs containing the contiguous injection sequence.</p>`,
    );
    parts.push(htmlTable(["arm", ...HACKING_COLUMNS.map(([, h]) => h)], hackedFinal.map((s) => [series(s), ...HACKING_COLUMNS.map(([k]) => pctInterval(s.hackingFinal![k] ?? null))])));
  }
  const steps = ss.filter((s) => s.stepsUsedByDifficulty).flatMap((s) => Object.entries(s.stepsUsedByDifficulty!).map(([d, v]) => ({ series: series(s), difficulty: Number(d), steps: v })));
  if (steps.length > 0) {
    parts.push(`<h3>Latent steps used by difficulty (test)</h3>`);
    parts.push(
      plotHtml({
        color,
        x: { label: "difficulty", tickFormat: "d" },
        y: { label: "mean latent steps used", grid: true },
        marks: [Plot.ruleY([0]), Plot.lineY(steps, { x: "difficulty", y: "steps", stroke: "series", marker: "circle" })],
      }),
    );
  }
  return parts.join("\n");
}

/** Accuracy by difficulty, one line per series, with interval bars (lo = hi for a single run). */
export function difficultyPlot(diff: Array<{ series: string; difficulty: number; acc: number; lo: number; hi: number }>, color: Plot.ScaleOptions, yLabel = "test accuracy"): string {
  return plotHtml({
    color,
    x: { label: "difficulty", ticks: [...new Set(diff.map((d) => d.difficulty))], tickFormat: "d" },
    y: { label: yLabel, domain: [0, 1], grid: true },
    marks: [
      Plot.ruleY([0]),
      Plot.ruleX(diff, { x: "difficulty", y1: "lo", y2: "hi", stroke: "series", strokeOpacity: 0.4, dx: 0 }),
      Plot.lineY(diff, { x: "difficulty", y: "acc", stroke: "series", marker: "circle" }),
    ],
  });
}

/** The gradient norm arriving at each latent step k (log scale), one line per series. */
export function gradProfilePlot(grad: Array<{ series: string; step: number; norm: number }>, color: Plot.ScaleOptions): string {
  return plotHtml({
    color,
    x: { label: "latent step k", ticks: [...new Set(grad.map((g) => g.step))], tickFormat: "d" },
    y: { label: "‖∂L/∂h_k‖ (log)", type: "log", grid: true },
    marks: [Plot.lineY(grad, { x: "step", y: "norm", stroke: "series", marker: "circle" })],
  });
}

/** Reward hacking (issue 10): the grpo-with-learned-reward runs' diagnostics over training. */
function hackingSection(runs: RunResult[], series: (r: RunResult) => string, color: Plot.ScaleOptions): string {
  const hacked = runs.filter((r) => r.hacking && r.hacking.length > 0);
  if (hacked.length === 0) return "";
  const panels = [
    ["injectionAnswer", "injection rate (answer)"],
    ["injectionChain", "injection rate (chain)"],
    ["trueQuality", "true quality H"],
    ["proxyReward", "proxy reward (learned model)"],
    ["proxyGap", "proxy − true"],
    ["diversity", "answer diversity"],
  ] as const;
  const parts = [`<h3>Reward hacking: GRPO against the learned reward model (training rollouts; thick: mean over seeds)</h3><div class="plots">`];
  for (const [key, label] of panels) {
    const data = hacked.flatMap((r) => r.hacking!.map((p) => ({ x: p.step, step: p.step, acc: p[key], series: series(r), run: r.id })));
    parts.push(
      `<div class="plot">${plotHtml({
        color,
        x: { label: "step", grid: true },
        y: { label, grid: true },
        marks: [Plot.line(data, { x: "x", y: "acc", z: "run", stroke: "series", strokeOpacity: 0.3, strokeWidth: 1 }), ...meanLine(data)],
      })}</div>`,
    );
  }
  parts.push(`</div>`);
  return parts.join("\n");
}

/** Accuracy on `split` against one cost axis: thin lines per run, the thick mean over seeds. */
export function curvePlot(points: Array<RunResult["curve"][number] & { acc: number; series: string; seed: number; run: string }>, axis: Axis, split: string, color: Plot.ScaleOptions, yLabel = `${split} accuracy`, yDomain: [number, number] | null = [0, 1]): string {
  const data = points.map((p) => ({ ...p, x: p[axis.key] * axis.scale }));
  const positive = axis.log ? data.filter((d) => d.x > 0) : data;
  return plotHtml({
    color,
    x: { label: axis.label, type: axis.log ? "log" : "linear", grid: true, tickFormat: axis.format },
    y: { label: yLabel, domain: yDomain ?? undefined, grid: true },
    marks: [
      ...(yDomain ? [Plot.ruleY([0])] : []),
      Plot.line(positive, { x: "x", y: "acc", z: "run", stroke: "series", strokeOpacity: 0.3, strokeWidth: 1 }),
      ...meanLine(positive),
    ],
  });
}

/** The mean curve over seeds: points grouped by (series, step), x and accuracy averaged. */
export function meanLine(data: Array<{ x: number; acc: number; series: string; step: number }>): Plot.Markish[] {
  const groups = new Map<string, { series: string; step: number; xs: number[]; accs: number[] }>();
  for (const d of data) {
    const key = `${d.series}\u0000${d.step}`;
    const g = groups.get(key) ?? { series: d.series, step: d.step, xs: [], accs: [] };
    g.xs.push(d.x);
    g.accs.push(d.acc);
    groups.set(key, g);
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const means = [...groups.values()].map((g) => ({ series: g.series, step: g.step, x: avg(g.xs), acc: avg(g.accs) })).sort((a, b) => a.step - b.step);
  return [Plot.line(means, { x: "x", y: "acc", z: "series", stroke: "series", strokeWidth: 2.5 }), Plot.dot(means, { x: "x", y: "acc", fill: "series", r: 2.5, tip: true })];
}
