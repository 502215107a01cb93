// results.md: the bet's tables (also what the terminal shows at the end of a bet).
import type { ArmSummary, BetSummary } from "./bet-summary.js";
import { monitorMarkdown } from "./bet-monitor.js";
import { dataScoreTables, HACKING_COLUMNS, headlineTable, runsTable, seriesName, type Table } from "./bet-tables.js";
import { verdictMarkdown } from "./bet-verdict.js";
import { armName, pct, pctInterval, sci, sciInterval } from "./format.js";
import { mdTable } from "./tables.js";

const table = (t: Table) => mdTable(t.head, t.rows);

/** The headline table: final accuracy and the cost of reaching the target, per arm. */
export const summaryTable = (b: BetSummary, task: string): string => table(headlineTable(b, task, "test acc % (mean [95% CI])"));

/** The data-file tables (bet-tables.ts) as markdown. */
export const dataTables = (b: BetSummary, task: string): string[] => dataScoreTables(b, task).flatMap((t) => [`### ${t.title}`, "", table(t), ""]);

/** Reward hacking (inexact tasks): each arm's final test outputs, mean [95% CI] over seeds, then per seed. */
function hackingTables(b: BetSummary, task: string, ss: readonly ArmSummary[]): string[] {
  const head = ["arm", ...HACKING_COLUMNS.map(([, h]) => `${h} %`)];
  const perSeed = b.runs
    .filter((r) => r.task === task && r.hackingFinal)
    .map((r) => [`${seriesName(b, ss, r)} · s${r.seed}`, ...HACKING_COLUMNS.map(([k]) => pct(r.hackingFinal![k]))]);
  return [
    "### Reward hacking: final greedy test outputs (mean [95% CI] over seeds)",
    "",
    "true H: the hidden quality (the task's grade); proxy: the learned reward model fitted on flawed labels (answer-only or chain+answer view); " +
      "injection: share of outputs containing the contiguous injection sequence; diversity: distinct answers / answers.",
    "",
    mdTable(head, ss.map((s) => [armName(s, b), ...HACKING_COLUMNS.map(([k]) => pctInterval(s.hackingFinal![k] ?? null))])),
    "",
    "Per seed:",
    "",
    mdTable(head, perSeed),
    "",
  ];
}

/** Adaptive length (halting): steps used against the most, their rank correlation with difficulty, and steps by difficulty. */
function adaptiveTables(b: BetSummary, task: string, ss: readonly ArmSummary[], diffs: readonly string[]): string[] {
  const rho = (x: number | null | undefined) => (x === null || x === undefined ? "–" : x.toFixed(2));
  const rows = ss.map((s) => {
    const a = s.adaptive;
    const seeds = b.runs.filter((r) => r.task === task && r.arm === s.arm && r.budget === s.budget && r.adaptive);
    return [
      armName(s, b),
      a ? `${sciInterval(a.stepsUsed)} of ${a.latentSteps} (${pct(a.stepsUsed.mean / a.latentSteps)}%)` : "–",
      a?.spearman ? `${rho(a.spearman.mean)} [${rho(a.spearman.lo)}, ${rho(a.spearman.hi)}] (${a.spearmanSeeds}/${seeds.length} seeds)` : "–",
      rho(a?.spearmanNeeded),
      a?.oracleSteps != null ? `${sci(a.oracleSteps)} / ${rho(a.oracleSpearman)}` : "–",
      seeds.map((r) => `${sci(r.adaptive!.stepsUsed)} / ${rho(r.adaptive!.spearman)}`).join(", "),
      ...diffs.map((d) => sci(s.stepsUsedByDifficulty![d])),
    ];
  });
  return [
    "### Latent steps used (test)",
    "",
    "Steps: mean [95% CI] over seeds, and its share of the most (K: a fixed-K arm always uses all of them). " +
      "Spearman: rank correlation of steps used with difficulty over the test questions, mean over the seeds where it is defined (undefined when every question used the same number of steps). " +
      "Needed: against the steps the task says each question needs where that differs from its difficulty label (pointer-chase: hops until the chain lands on a fixed point), mean over seeds. " +
      "Oracle: the same chains halted at the first block whose answer grades as well as the last block's (the fewest steps at the full chain's accuracy), steps / Spearman, mean over seeds: " +
      "a hindsight lower bound (it reads the grade, which no halting head can). " +
      "Per seed: steps / Spearman. d=…: mean steps used at each difficulty, mean over seeds.",
    "",
    mdTable(["arm", "steps used", "Spearman(difficulty, steps)", "Spearman(needed, steps)", "oracle", "per seed", ...diffs.map((d) => `d=${d}`)], rows),
    "",
  ];
}

export function renderBetMarkdown(b: BetSummary): string {
  const out: string[] = [`# neuralese bet: ${b.preset}`, ""];
  const verdict = verdictMarkdown(b);
  if (verdict) out.push(verdict);
  out.push(
    `Seeds ${b.seeds.join(", ")}; budgets: ${b.budgets.map((x) => `${x.id} (${x.label})`).join("; ")}. ` +
      `Intervals are 95% percentile-bootstrap intervals of the mean over seeds (coarse with 2–3 seeds); ` +
      `"to target" counts each seed's first evaluation at or above the target (resolution: the evaluation interval), over the seeds that reached it (reached/seeds).` +
      (b.runs.some((r) => r.initCharged) ? ` Arms that start from another arm's run count that run's examples, FLOPs and wall time in theirs (curves and "to target" included).` : ""),
    "",
  );
  for (const task of b.tasks) {
    out.push(`## ${task}`, "", summaryTable(b, task), "");
    const ss = b.summaries.filter((s) => s.task === task);
    const diffs = [...new Set(ss.flatMap((s) => Object.keys(s.testByDifficulty)))].sort((x, y) => Number(x) - Number(y));
    if (diffs.length > 0) {
      out.push("### Test accuracy % by difficulty (mean over seeds)", "");
      out.push(mdTable(["arm", ...diffs.map((d) => `d=${d}`)], ss.map((s) => [armName(s, b), ...diffs.map((d) => pct(s.testByDifficulty[d]?.mean))])), "");
    }
    out.push(...dataTables(b, task));
    const halting = ss.filter((s) => s.stepsUsedByDifficulty);
    if (halting.length > 0) out.push(...adaptiveTables(b, task, halting, diffs));
    const hacked = ss.filter((s) => s.hackingFinal);
    if (hacked.length > 0) out.push(...hackingTables(b, task, hacked));
    const grad = ss.filter((s) => s.gradNormProfile);
    if (grad.length > 0) {
      const K = Math.max(...grad.map((s) => s.gradNormProfile!.length));
      out.push("### Gradient norm arriving at each latent step (last fifth of training, mean over seeds)", "");
      out.push(mdTable(["arm", ...Array.from({ length: K }, (_, k) => `k=${k + 1}`)], grad.map((s) => [armName(s, b), ...s.gradNormProfile!.map((g) => g.toExponential(2))])), "");
    }
    const monitor = monitorMarkdown(ss, (s) => armName(s, b));
    if (monitor) out.push(monitor, "");
  }
  out.push("## Runs", "");
  out.push(table(runsTable(b.runs, (e) => e.replace(/\|/g, "/").slice(0, 120))), "");
  out.push(`Machine: ${b.wall.machine}; ${b.wall.jobs} runs at a time (wall times include that sharing).`, "");
  for (const n of b.notes) out.push(`- ${n}`);
  return `${out.join("\n")}\n`;
}
