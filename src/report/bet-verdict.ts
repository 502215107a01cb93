// The bet's verdict (summary.json "verdicts", computed in experiments/bet/verdict.ts), rendered
// first in results.md, report.html and the terminal: the one-line answer, then the reference arm
// against every other arm in examples and FLOPs to the target.
import type { BetSummary, CostRatio, Verdict } from "./bet-summary.js";
import { ratio, ratioRange } from "./format.js";
import { htmlTable, mdTable, esc } from "./tables.js";

/** A compact cell: "3.10× [2.00–4.20]", "≥ 3.10× (0/2 reached)", "neither reached". */
export function ratioCell(c: CostRatio): string {
  // with one seed the interval is the evaluation grid's alone; hi null: unbounded above
  const ci = c.lo !== null && (c.seeds > 1 || c.lo !== c.hi) ? ` [${ratioRange(c.lo, c.hi)}]` : "";
  const reached = `${c.otherReached}/${c.seeds} vs ${c.referenceReached}/${c.seeds} reached`;
  switch (c.kind) {
    case "ratio":
      return `${ratio(c.value!)}×${ci}`;
    case "atLeast":
      return `≥ ${ratio(c.value!)}×${ci} (${reached})`;
    case "atMost":
      return `≤ ${ratio(c.value!)}×${ci} (${reached})`;
    case "neither":
      return `neither reached (${c.seeds} seeds)`;
    case "undetermined":
      return `undetermined (${reached})`;
    case "noData":
      return "no paired seeds";
  }
}

const head = (v: Verdict, b: BetSummary) => {
  const t = `${Math.round(b.target.accuracy * 100)}% ${b.target.split}`;
  return ["arm", "bet arm", `examples to ${t}, ÷ ${v.referenceLabel}'s`, `FLOPs to ${t}, ÷ ${v.referenceLabel}'s`, "fewer examples"];
};
const rows = (v: Verdict) =>
  v.comparisons.map((c) => [c.label, c.bet ? "yes" : "", ratioCell(c.examples), ratioCell(c.flops), c.outcome === "reference" ? v.referenceLabel : c.outcome === "other" ? c.label : "not settled"]);
const title = (v: Verdict, b: BetSummary) => (b.tasks.length > 1 || b.budgets.length > 1 ? `${v.task} · ${v.budget}` : v.task);

const EXPLAIN =
  "Ratios are the other arm's cost ÷ the reference's, paired by seed, with a 95% percentile-bootstrap interval over seeds, " +
  "widened by the evaluation grid (a run reached the target somewhere after the evaluation before the one that saw it). " +
  "A run that never reached the target counts its whole budget (censored): the ratio is then a bound (≥ or ≤), never a number. " +
  "Bet arms: policy gradient with a likelihood reward and evolution strategies, from scratch.";

export function verdictMarkdown(b: BetSummary): string {
  if (b.verdicts.length === 0) return "";
  const out = ["## Verdict", ""];
  for (const v of b.verdicts) out.push(`**${title(v, b)}.** ${v.answer}`, "", mdTable(head(v, b), rows(v)), "");
  out.push(EXPLAIN, "");
  return out.join("\n");
}

export function verdictHtml(b: BetSummary): string {
  if (b.verdicts.length === 0) return "";
  return [
    `<section id="verdict"><h2>Verdict</h2>`,
    ...b.verdicts.map((v) => `<p class="answer"><b>${esc(title(v, b))}.</b> ${esc(v.answer)}</p>${htmlTable(head(v, b), rows(v))}`),
    `<p class="note">${esc(EXPLAIN)}</p></section>`,
  ].join("\n");
}

/** The terminal's version: the answers and the table, plain text. */
export function verdictText(b: BetSummary): string {
  return b.verdicts.map((v) => `${title(v, b)}: ${v.answer}\n${mdTable(head(v, b), rows(v))}`).join("\n\n");
}
