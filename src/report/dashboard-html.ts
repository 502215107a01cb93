// The live dashboard's HTML (`neuralese serve`): the page shell and its sections, drawn with the
// report's own plots (bet-html.ts) from a LiveBet or LiveRun, server-side as inline SVG. The page
// replaces a section's HTML when it changes (dashboard-client.ts); nothing is drawn twice.
import { AXES, curvePlot, difficultyPlot, gradProfilePlot } from "./bet-html.js";
import { monitorHtml } from "./bet-monitor.js";
import type { CurvePoint } from "./bet-summary.js";
import { pct, sci, seconds } from "./format.js";
import type { LiveBet, LiveRun } from "./live-types.js";
import { Plot, plotHtml } from "./plot.js";
import { esc } from "./tables.js";

export interface Section {
  id: string;
  html: string;
}

const STYLE = `body{font-family:system-ui,-apple-system,sans-serif;max-width:1150px;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}h3{margin-top:1.4em;font-size:1.05em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}td,th{border:1px solid #ddd;padding:.25em .5em;text-align:right}
th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:.9em}
.plots{display:flex;flex-wrap:wrap;gap:1.2em}.plot{flex:0 0 auto}figure{margin:0}details{margin:1em 0}
td.state,td.label{text-align:left;max-width:28em}.queued{color:#777}.running{color:#1565c0}.finished{color:#2e7d32}.failed{color:#c62828}
#live{font-size:.85em;color:#555}pre{background:#f7f7f7;padding:.6em;overflow:auto;max-height:30em;font-size:.8em}
.final{border:2px solid #2e7d32;padding:0 1em;margin:1em 0}`;

/** The whole page: the sections as they are now; /app.js keeps them up to date. */
export function dashboardPage(title: string, sections: Section[], version: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body data-version="${esc(version)}">
<p id="live">live: updates as the directory changes (no reload needed)</p>
<div id="sections">${sections.map((s) => `<section id="${esc(s.id)}">${s.html}</section>`).join("\n")}</div>
<script src="/app.js"></script>
</body></html>
`;
}

/** A page for a directory that holds no run or bet (yet, or at all). */
export function messageSection(title: string, message: string): Section[] {
  return [{ id: "message", html: `<h1>${esc(title)}</h1><p>${esc(message)}</p>` }];
}

const runHref = (id: string) => `/?run=${encodeURIComponent(id)}`;

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** "running: step 120 (30%), ETA 2 min 10 s", "failed: <error>", ... */
export function stateText(r: LiveRun): string {
  if (r.state === "failed") return `failed${r.error ? `: ${r.error}` : ""}`;
  if (r.state !== "running") return r.state;
  const parts = [`step ${r.step}`];
  if (r.progress !== null) parts[0] += ` (${Math.round(100 * r.progress)}%)`;
  if (r.etaMs !== null) parts.push(`ETA ${duration(r.etaMs)}`);
  if (r.idleMs !== null && r.idleMs > 120_000) parts.push(`no write for ${duration(r.idleMs)}`);
  return `running: ${parts.join(", ")}`;
}

export function runsTable(runs: readonly LiveRun[], target: LiveBet["target"] | null, heading = "Runs"): string {
  const workers = runs.some((r) => r.worker !== null);
  const counts = (["running", "queued", "finished", "failed"] as const).map((s) => `${runs.filter((r) => r.state === s).length} ${s}`).join(", ");
  const head = ["run", "arm", "seed", "budget", "state", ...(workers ? ["worker"] : []), "val %", "test %", "examples", "FLOPs", "train time"];
  const rows = runs.map((r) => {
    const cells = [
      `<td><a href="${esc(runHref(r.id))}">${esc(r.id)}</a></td>`,
      `<td class="label">${esc(r.label)}</td>`,
      `<td>${r.seed}</td>`,
      `<td>${esc(r.budget)}</td>`,
      `<td class="state ${r.state}">${esc(stateText(r))}</td>`,
      ...(workers ? [`<td>${esc(r.worker ?? "–")}</td>`] : []),
      `<td>${pct(r.val)}</td>`,
      `<td>${pct(r.test)}</td>`,
      `<td>${sci(r.examples)}</td>`,
      `<td>${sci(r.flops)}</td>`,
      `<td>${seconds(r.wallMs)}</td>`,
    ];
    return `<tr data-run="${esc(r.id)}" data-state="${r.state}" data-step="${r.step}">${cells.join("")}</tr>`;
  });
  const note = target ? ` Accuracies are the latest evaluation's (the final one once finished); the curves' target split is ${target.split}.` : "";
  return `<h2>${esc(heading)}</h2><p class="note">${runs.length > 1 ? `${runs.length} runs: ${counts}.` : ""}${note} ETA: training time left at the rate of the steps so far (evaluations not counted).</p>
<table id="runs-table"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

type Pointed = CurvePoint & { acc: number; series: string; seed: number; run: string };

/** Training points as curve points whose "acc" is the field plotted (loss or accuracy). */
function trainPoints(r: LiveRun, series: string, value: (p: LiveRun["train"][number]) => number): Pointed[] {
  return r.train.map((p) => ({ step: p.step, examples: p.examples, flops: p.flops, wallMs: p.wallMs, val: null, test: null, acc: value(p), series, seed: r.seed, run: r.id }));
}

/** One task's live curves: accuracy against examples, FLOPs and wall time; loss and training accuracy; gradient-norm profile. */
function taskCurves(bet: LiveBet, task: string): string {
  const all = bet.runs.filter((r) => r.task === task);
  const multiBudget = new Set(all.map((r) => r.budget)).size > 1;
  const series = (r: LiveRun) => (multiBudget ? `${r.label} · ${r.budget}` : r.label);
  const color = { legend: true, domain: [...new Set(all.map(series))] };
  const split = bet.target.split;
  const started = all.filter((r) => r.train.length > 0 || r.curve.length > 0);
  const parts = [`<h2>${esc(task)}</h2>`];
  if (started.length === 0) return `${parts[0]}<p class="note">No run of this task has written a step yet.</p>`;
  const evals = started.flatMap((r) => r.curve.filter((p) => p[split] !== null).map((p) => ({ ...p, acc: p[split]!, series: series(r), seed: r.seed, run: r.id })));
  parts.push(`<h3>${esc(split)} accuracy (thick: mean over the seeds at each evaluation, thin: each seed)</h3>`);
  parts.push(evals.length ? `<div class="plots">${AXES.map((a) => `<div class="plot">${curvePlot(evals, a, split, color)}</div>`).join("")}</div>` : `<p class="note">No evaluation yet.</p>`);
  const loss = started.flatMap((r) => trainPoints(r, series(r), (p) => p.loss));
  const acc = started.flatMap((r) => trainPoints(r, series(r), (p) => p.accuracy));
  if (loss.length) {
    parts.push(`<h3>Training loss and batch accuracy (windows of steps; thick: mean over seeds)</h3><div class="plots">`);
    parts.push(`<div class="plot">${curvePlot(loss, AXES[0], split, color, "training loss", null)}</div>`);
    parts.push(`<div class="plot">${curvePlot(acc, AXES[0], split, color, "training batch accuracy")}</div></div>`);
  }
  const grad = gradBySeries(started, series);
  if (grad.length) {
    parts.push(`<h3>Gradient norm arriving at each latent step (last fifth of the steps so far, mean over seeds)</h3>`);
    parts.push(gradProfilePlot(grad, color));
  }
  return parts.join("\n");
}

function gradBySeries(runs: readonly LiveRun[], series: (r: LiveRun) => string): Array<{ series: string; step: number; norm: number }> {
  const groups = new Map<string, number[][]>();
  for (const r of runs) if (r.gradNormProfile) groups.set(series(r), [...(groups.get(series(r)) ?? []), r.gradNormProfile]);
  return [...groups].flatMap(([s, profiles]) => {
    const K = Math.min(...profiles.map((p) => p.length));
    return Array.from({ length: K }, (_, k) => ({ series: s, step: k + 1, norm: profiles.reduce((a, p) => a + p[k], 0) / profiles.length }));
  });
}

/** The bet page's sections: the final report first once the bet has finished, the runs, the live curves. */
export function betSections(bet: LiveBet, finalReportBody: string | null): Section[] {
  const title = `<h1>neuralese bet: <code>${esc(bet.preset)}</code></h1><p class="note">${esc(bet.dir)} · tasks ${bet.tasks.map(esc).join(", ")} · target ${pct(bet.target.accuracy)}% ${esc(bet.target.split)} accuracy</p>`;
  const sections: Section[] = [{ id: "title", html: title }];
  if (finalReportBody !== null) sections.push({ id: "report", html: `<div class="final"><p class="note">The bet has finished: its report (report.html) follows, then its runs.</p>${finalReportBody}</div>` });
  sections.push({ id: "runs", html: runsTable(bet.runs, bet.target) });
  if (finalReportBody === null) sections.push({ id: "curves", html: bet.tasks.map((t) => taskCurves(bet, t)).join("\n") });
  return sections;
}

/** The body of a rendered report (renderBetHtml), to sit inside the dashboard's page. */
export function reportBody(html: string): string {
  const start = html.indexOf("<body>");
  const end = html.lastIndexOf("</body>");
  return start < 0 || end < 0 ? "" : html.slice(start + "<body>".length, end);
}

/** A run's page: state, curves, per-difficulty accuracy, gradient norms, monitorability, config. */
export function runSections(run: LiveRun, config: unknown, back: boolean): Section[] {
  const head = `${back ? `<p><a href="/">← the bet</a></p>` : ""}<h1>run <code>${esc(run.id)}</code></h1>`;
  const sections: Section[] = [{ id: "title", html: head }, { id: "state", html: runsTable([run], null, "State") }];
  const parts: string[] = [];
  const evals = (["val", "test"] as const).flatMap((split) =>
    run.curve.filter((p) => p[split] !== null).map((p) => ({ ...p, acc: p[split]!, series: split, seed: run.seed, run: split })),
  );
  const color = { legend: true, domain: ["val", "test"] };
  parts.push(`<h2>Learning curves</h2>`);
  parts.push(evals.length ? `<div class="plots">${AXES.map((a) => `<div class="plot">${curvePlot(evals, a, "val/test", color, "accuracy")}</div>`).join("")}</div>` : `<p class="note">No evaluation yet.</p>`);
  if (run.train.length) {
    const one = { legend: false, domain: [run.label] };
    parts.push(`<h3>Training loss, batch accuracy and gradient norm (windows of steps)</h3><div class="plots">`);
    parts.push(`<div class="plot">${curvePlot(trainPoints(run, run.label, (p) => p.loss), AXES[0], "", one, "training loss", null)}</div>`);
    parts.push(`<div class="plot">${curvePlot(trainPoints(run, run.label, (p) => p.accuracy), AXES[0], "", one, "training batch accuracy")}</div>`);
    parts.push(`<div class="plot">${gradOverTraining(run)}</div></div>`);
  }
  if (run.gradNormProfile) {
    parts.push(`<h3>Gradient norm arriving at each latent step (last fifth of the steps so far)</h3>`);
    parts.push(gradProfilePlot(run.gradNormProfile.map((norm, k) => ({ series: run.label, step: k + 1, norm })), { legend: false, domain: [run.label] }));
  }
  const diff = Object.entries(run.testByDifficulty).map(([d, acc]) => ({ series: run.label, difficulty: Number(d), acc, lo: acc, hi: acc }));
  if (diff.length) {
    parts.push(`<h3>Test accuracy by difficulty (${run.state === "finished" ? "final" : "latest evaluation"})</h3>`);
    parts.push(difficultyPlot(diff, { legend: false, domain: [run.label] }));
  }
  sections.push({ id: "curves", html: parts.join("\n") });
  const monitor = run.monitor ? monitorHtml([{ monitor: run.monitor }], () => run.label, { legend: true, domain: [run.label] }) : "";
  sections.push({ id: "monitor", html: monitor || `<h3>Monitorability</h3><p class="note">Not inspected yet (no inspect.json).</p>` });
  sections.push({ id: "config", html: `<details open><summary>config.json</summary><pre>${esc(JSON.stringify(config, null, 2))}</pre></details>` });
  return sections;
}

/** Per latent step k, the gradient norm arriving at it over training (log); the global norm when there is no chain. */
function gradOverTraining(run: LiveRun): string {
  const perStep = run.train.flatMap((p) => (p.stepGradNorms ?? []).map((norm, k) => ({ x: p.examples, norm, k: `k = ${k + 1}` })));
  const data = perStep.length ? perStep : run.train.map((p) => ({ x: p.examples, norm: p.gradNorm, k: "global" }));
  const positive = data.filter((d) => d.norm > 0 && Number.isFinite(d.norm));
  return plotHtml({
    color: { legend: true },
    x: { label: AXES[0].label, grid: true, tickFormat: "~s" },
    y: { label: perStep.length ? "‖∂L/∂h_k‖ (log)" : "gradient norm (log)", type: "log", grid: true },
    marks: [Plot.line(positive, { x: "x", y: "norm", stroke: "k" })],
  });
}
