// Monitorability in the bet report (issue 12): per arm, how much of its chain a reader recovers
// at each step. Latent chains: held-out accuracy of a linear probe from thought k to step k's
// variable, the same probe fitted on shuffled labels (what a probe gets from nothing), and the
// logit lens (the output head's top token on thought k). Token chains: how often written step k is
// the true variable, and how often corrupting written step 1 changes the answer (does the answer
// depend on what is written?).
import type { ArmSummary } from "./bet-summary.js";
import { pct, pctInterval } from "./format.js";
import { Plot, plotHtml } from "./plot.js";
import { esc, htmlTable, mdTable } from "./tables.js";

const EXPLAIN =
  "Step k's variable is the value the chain should hold after k steps (pointer-chase: the symbol after k hops). " +
  "Latent chains: a ridge probe is fitted on half the inspected test questions and scored on the other half; the control is the same probe fitted on shuffled labels. " +
  "Token CoT: the written step itself is read. Corruption: written step 1 replaced by a wrong value, the rest generated again.";

/** What the section reads of an arm (an ArmSummary, or one run's figures in the same shape). */
type Monitored = Pick<ArmSummary, "monitor">;
type Labelled<T extends Monitored> = (s: T) => string;

function monitorTable<T extends Monitored>(ss: T[], label: Labelled<T>): { head: string[]; rows: string[][] } | null {
  const read = ss.filter((s) => s.monitor);
  if (read.length === 0) return null;
  const K = Math.max(...read.map((s) => s.monitor!.readout.length));
  const steps = Array.from({ length: K }, (_, k) => k);
  const perStep = (xs: (number | null)[] | null) => (xs ? xs.map((x) => pct(x)).join(" / ") : "–");
  return {
    head: ["arm", "chain", "seeds", ...steps.map((k) => `step ${k + 1} read % [95% CI]`), "shuffled control % (by step)", "logit lens top-1 % (by step)", "answer changed by corrupting step 1 %"],
    rows: read.map((s) => {
      const m = s.monitor!;
      return [
        label(s),
        m.kind === "latent" ? "latent (probe)" : "tokens (written)",
        String(m.seeds),
        ...steps.map((k) => pctInterval(m.readout[k] ?? null)),
        perStep(m.control),
        perStep(m.lensTop1),
        pctInterval(m.corruptionChanged),
      ];
    }),
  };
}

/** The report's monitorability section (empty when no run of the task was inspected). */
export function monitorHtml<T extends Monitored>(ss: T[], label: Labelled<T>, color: Plot.ScaleOptions): string {
  const t = monitorTable(ss, label);
  if (!t) return "";
  const read = ss.filter((s) => s.monitor);
  const points = read.flatMap((s) =>
    s.monitor!.readout.flatMap((i, k) => (i ? [{ series: label(s), step: k + 1, acc: i.mean, lo: i.lo, hi: i.hi }] : [])),
  );
  const control = read.flatMap((s) => (s.monitor!.control ?? []).flatMap((c, k) => (c === null ? [] : [{ series: label(s), step: k + 1, acc: c }])));
  const plot = plotHtml({
    color,
    x: { label: "reasoning step k", ticks: [...new Set(points.map((p) => p.step))], tickFormat: "d" },
    y: { label: "step k's variable read from the chain", domain: [0, 1], grid: true },
    marks: [
      Plot.ruleY([0]),
      Plot.ruleX(points, { x: "step", y1: "lo", y2: "hi", stroke: "series", strokeOpacity: 0.4 }),
      Plot.lineY(points, { x: "step", y: "acc", stroke: "series", marker: "circle" }),
      Plot.lineY(control, { x: "step", y: "acc", stroke: "series", strokeDasharray: "4,3", strokeOpacity: 0.7 }),
    ],
  });
  return [
    `<h3>Monitorability: how much of each chain can be read (solid: probe or written step, mean over seeds with 95% CI; dashed: shuffled-label control)</h3>`,
    `<p class="note">${esc(EXPLAIN)}</p>`,
    plot,
    htmlTable(t.head, t.rows),
  ].join("\n");
}

/** The same as a markdown section ("" when nothing was inspected). */
export function monitorMarkdown<T extends Monitored>(ss: T[], label: Labelled<T>): string {
  const t = monitorTable(ss, label);
  if (!t) return "";
  return [`### Monitorability: step k's variable read from the chain (mean over seeds)`, "", EXPLAIN, "", mdTable(t.head, t.rows)].join("\n");
}
