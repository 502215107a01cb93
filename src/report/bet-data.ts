// The tables of a bet's scores on data files (spec.evalData): per file, each arm's accuracy on
// it (mean [95% CI] over seeds), per seed, per difficulty, and how often it names an option.
import type { BetSummary } from "./bet-summary.js";
import { armName, pct, pctInterval } from "./format.js";

export interface DataScoreTable {
  title: string;
  head: string[];
  rows: string[][];
}

export function dataScoreTables(b: BetSummary, task: string): DataScoreTable[] {
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
