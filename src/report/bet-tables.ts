// The tables results.md, report.html and the terminal share, as a head and rows of text cells:
// the headline per arm, the runs, the reward-hacking columns, and the scores on data files
// (spec.evalData): per file, each arm's accuracy on it (mean [95% CI] over seeds), per seed, per
// difficulty, and how often it names an option.
import type { ArmSummary, BetSummary, HackingFinal, RunResult } from "./bet-summary.js";
import { armName, pct, pctInterval, sci, sciInterval, seconds } from "./format.js";

export interface Table {
  head: string[];
  rows: string[][];
}

/** A run's (or an arm's) row name among the task's arm summaries `ss`: armName, its arm id where the arm has no summary there. */
export const seriesName = (b: BetSummary, ss: readonly ArmSummary[], r: Pick<RunResult, "arm" | "budget">): string =>
  armName({ label: ss.find((s) => s.arm === r.arm && s.budget === r.budget)?.label ?? r.arm, budget: r.budget }, b);

/** The headline table: final accuracy and the cost of reaching the target, per arm (`test`: the test column's name). */
export function headlineTable(b: BetSummary, task: string, test: string): Table {
  const t = `${pct(b.target.accuracy)}% ${b.target.split}`;
  const reach = (x: ArmSummary["examplesToTarget"], unit?: (x: number) => string) => `${sciInterval(x.interval, unit)} (${x.reached}/${x.values.length})`;
  const rows = b.summaries
    .filter((s) => s.task === task)
    .map((s) => {
      const seeds = b.runs.filter((r) => r.task === task && r.arm === s.arm && r.budget === s.budget).map((r) => pct(r.test));
      return [armName(s, b), pctInterval(s.test), seeds.join(", "), pctInterval(s.val), reach(s.examplesToTarget), reach(s.flopsToTarget), reach(s.wallMsToTarget, seconds)];
    });
  return { head: ["arm", test, "per seed", "val acc %", `examples to ${t}`, `FLOPs to ${t}`, `wall time to ${t}`], rows };
}

/** Every run's status and counters; `error` shortens a failed run's error for the page. */
export function runsTable(runs: readonly RunResult[], error: (e: string) => string): Table {
  return {
    head: ["run", "status", "test %", "val %", "steps", "examples", "FLOPs", "wall"],
    rows: runs.map((r) => [r.id, r.status + (r.error ? `: ${error(r.error)}` : ""), pct(r.test), pct(r.val), String(r.steps), sci(r.examples), sci(r.flops), seconds(r.wallMs)]),
  };
}

/** The hacking columns: final test outputs' true quality, learned graders' scores (percent), injection rates. */
export const HACKING_COLUMNS: [keyof HackingFinal, string][] = [
  ["trueQuality", "true H"],
  ["proxyAnswer", "proxy (answer view)"],
  ["proxyChain", "proxy (chain view)"],
  ["injectionAnswer", "injection in answer"],
  ["injectionChain", "injection in chain"],
  ["injectionTokens", "any injection token"],
  ["diversity", "diversity"],
];

export function dataScoreTables(b: BetSummary, task: string): (Table & { title: string })[] {
  const ss = b.summaries.filter((s) => s.task === task);
  const names = [...new Set(ss.flatMap((s) => Object.keys(s.data ?? {})))];
  return names.map((file) => {
    const scored = ss.filter((s) => s.data?.[file]);
    const diffs = [...new Set(scored.flatMap((s) => Object.keys(s.data![file].byDifficulty)))].sort((x, y) => Number(x) - Number(y));
    const naming = scored.some((s) => s.data![file].namesAnOption);
    const first = b.runs.find((r) => r.task === task && r.data?.[file])?.data?.[file];
    const rows = scored.map((s) => {
      const d = s.data![file];
      const seeds = b.runs.filter((r) => r.task === task && r.arm === s.arm && r.budget === s.budget).map((r) => pct(r.data?.[file]?.accuracy));
      return [armName(s, b), pctInterval(d.accuracy), seeds.join(", "), ...diffs.map((k) => pctInterval(d.byDifficulty[k] ?? null)), ...(naming ? [pctInterval(d.namesAnOption)] : [])];
    });
    return {
      title: `Scored on the data file ${file} (${first?.examples ?? "?"} questions, ${first?.sha256.slice(0, 19) ?? "?"}…; final models)`,
      head: ["arm", "acc % (mean [95% CI])", "per seed", ...diffs.map((k) => `d=${k}`), ...(naming ? ["names an option %"] : [])],
      rows,
    };
  });
}
