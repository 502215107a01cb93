// The bet's answer, computed from a bet summary (summary.json without its verdicts): for the
// reference arm (neuralese BPTT) against each other arm of the same task and budget, how many
// times the training examples and the FLOPs it needs to reach the target — paired by seed, with a
// bootstrap interval over seeds — and one sentence on the seed's bet: is backpropagation through
// the chain more sample-efficient than policy gradient with a likelihood reward and than ES?
// A run that never reached the target is censored: its whole budget stands in for its cost, which
// makes the ratio a bound ("at least", "at most"), never a number.
import type { ArmSummary, BetSummary, Comparison, CostRatio, RunResult, Verdict } from "../../report/bet-summary.js";
import { ratio as fmt, ratioRange } from "../../report/format.js";
import { bootstrapRatio } from "../stats.js";

export const REFERENCE_ARM = "neuralese";

type Metric = "examples" | "flops";
type SummaryInput = Omit<BetSummary, "verdicts"> & { verdicts?: unknown };
type ArmInfo = BetSummary["arms"][number];

/** The arms the bet is about: policy gradient with a likelihood reward, and evolution strategies, from scratch. */
export function isBetArm(arm: ArmInfo): boolean {
  if (arm.initArm) return false;
  if (arm.method === "es") return true;
  if (arm.method === "helper-posterior" || arm.method === "trice") return true;
  return arm.method === "grpo" && (arm.options.reward === "loglik" || arm.options.reward === "lik");
}

const amount = (x: number, metric: Metric) => (metric === "examples" ? `${Math.round(x).toLocaleString("en-US")} examples` : `${x.toExponential(2)} FLOPs`);
const interval = (r: { lo: number; hi: number | null }, seeds: number) =>
  seeds === 1 && r.lo === r.hi
    ? " (1 seed, no interval)"
    : ` (${seeds > 1 ? "95% CI" : "evaluation grid only, 1 seed:"} ${ratioRange(r.lo, r.hi)}${seeds > 1 ? `, ${seeds} seeds` : ""})`;

/** When a run reached the target: the cost at that evaluation, and at the evaluation before (0: the start). */
type Crossing = { value: number; before: number };

/**
 * other ÷ reference for one metric, over the seeds finished in both arms. `target` is the
 * accuracy and split, for the text.
 */
export function costRatio(reference: readonly RunResult[], other: readonly RunResult[], metric: Metric, reached: (r: RunResult) => Crossing | null, names: { reference: string; other: string; target: string }): CostRatio {
  const pairs = reference.flatMap((r) => {
    const o = other.find((x) => x.seed === r.seed);
    if (!o) return [];
    const [rc, oc] = [reached(r), reached(o)];
    return [{ r, o, rv: rc?.value ?? null, ov: oc?.value ?? null, rb: rc?.before ?? null, ob: oc?.before ?? null }];
  });
  const seeds = pairs.length;
  const referenceReached = pairs.filter((p) => p.rv !== null).length;
  const otherReached = pairs.filter((p) => p.ov !== null).length;
  const budget = (r: RunResult) => (metric === "examples" ? r.examples : r.flops);
  const censored = pairs.flatMap((p) => [...(p.rv === null ? [budget(p.r)] : []), ...(p.ov === null ? [budget(p.o)] : [])]);
  const censoredAt = censored.length ? Math.max(...censored) : null;
  const result = (kind: CostRatio["kind"], text: string, r: Pick<CostRatio, "value" | "lo" | "hi"> = { value: null, lo: null, hi: null }): CostRatio =>
    ({ kind, ...r, censoredAt, seeds, referenceReached, otherReached, text });
  if (seeds === 0) return result("noData", `no seed finished in both arms`);
  const what = metric === "examples" ? "the training examples" : "the FLOPs";
  const of = `${seeds === 1 ? "1 seed" : `${seeds} seeds`}`;
  if (referenceReached === 0 && otherReached === 0) return result("neither", `neither reached ${names.target} within ${amount(censoredAt!, metric)} (${of})`);
  const refCensored = referenceReached < seeds, otherCensored = otherReached < seeds;
  if (refCensored && otherCensored) {
    return result("undetermined", `undetermined: ${names.reference} reached ${names.target} in ${referenceReached} of ${seeds} seeds, ${names.other} in ${otherReached}`);
  }
  // a censored run's whole budget stands in for its cost: a lower bound on it
  const num = pairs.map((p) => p.ov ?? budget(p.o));
  const den = pairs.map((p) => p.rv ?? budget(p.r));
  // the interval also spans the evaluation grid: a run that reached the target did so after the
  // evaluation before (`before`), so the other's cost is as low as its `before` over the
  // reference's value at the low end, and as high as its value over the reference's `before`
  const lowNum = pairs.map((p, i) => (p.ov === null ? num[i] : (p.ob ?? p.ov)));
  const lowDen = pairs.map((p, i) => (p.rv === null ? den[i] : (p.rb ?? p.rv)));
  const point = bootstrapRatio(num, den);
  const lo = bootstrapRatio(lowNum, den).lo;
  const hi = lowDen.some((d) => d === 0) ? null : bootstrapRatio(num, lowDen).hi;
  const r = { value: point.value, lo, hi };
  const ci = interval(r, seeds);
  if (!refCensored && !otherCensored) return result("ratio", `${names.other} needs ${fmt(r.value)}× ${what} ${names.reference} needs to reach ${names.target}${ci}`, r);
  if (otherCensored) {
    const lead = otherReached === 0 ? `${names.other}: not reached within ${amount(censoredAt!, metric)}` : `${names.other}: reached ${names.target} in ${otherReached} of ${seeds} seeds, the rest not within ${amount(censoredAt!, metric)}`;
    return result("atLeast", `${lead}: at least ${fmt(r.value)}× ${what} ${names.reference} needs${ci}`, r);
  }
  const lead = referenceReached === 0 ? `${names.reference}: not reached within ${amount(censoredAt!, metric)}` : `${names.reference}: reached ${names.target} in ${referenceReached} of ${seeds} seeds, the rest not within ${amount(censoredAt!, metric)}`;
  return result("atMost", `${lead}: ${names.other} needs at most ${fmt(r.value)}× ${what}${ci}`, r);
}

/** Who needed less, as far as the interval settles it. */
function outcomeOf(c: CostRatio): Comparison["outcome"] {
  if ((c.kind === "ratio" || c.kind === "atLeast") && c.lo !== null && c.lo > 1) return "reference";
  if ((c.kind === "ratio" || c.kind === "atMost") && c.hi !== null && c.hi < 1) return "other";
  return "inconclusive";
}

/** The verdicts of a bet summary: one per task and budget that has a finished reference arm. */
export function computeVerdicts(b: SummaryInput, reference = REFERENCE_ARM): Verdict[] {
  const refArm = b.arms.find((a) => a.id === reference);
  if (!refArm) return [];
  const target = `${Math.round(b.target.accuracy * 100)}% ${b.target.split}`;
  const out: Verdict[] = [];
  for (const task of b.tasks) {
    for (const budget of b.budgets) {
      const runsOf = (arm: string) => b.runs.filter((r) => r.task === task && r.budget === budget.id && r.arm === arm && r.status === "finished");
      const summaryOf = (arm: string) => b.summaries.find((s) => s.task === task && s.budget === budget.id && s.arm === arm);
      const refRuns = runsOf(reference);
      const refSummary = summaryOf(reference);
      if (refRuns.length === 0 || !refSummary) continue;
      const comparisons: Comparison[] = [];
      for (const arm of b.arms) {
        const s = summaryOf(arm.id);
        if (arm.id === reference || !s) continue;
        const names = { reference: refArm.label, other: arm.label, target };
        const ratio = (metric: Metric, summary: (x: ArmSummary) => ArmSummary["examplesToTarget"]) =>
          costRatio(refRuns, runsOf(arm.id), metric, (r) => reachedBy(r, summary(r.arm === reference ? refSummary : s), b.seeds), names);
        const examples = ratio("examples", (x) => x.examplesToTarget);
        const flops = ratio("flops", (x) => x.flopsToTarget);
        comparisons.push({ arm: arm.id, label: arm.label, bet: isBetArm(arm), outcome: outcomeOf(examples), examples, flops });
      }
      out.push({ task, budget: budget.id, reference, referenceLabel: refArm.label, seeds: refRuns.length, comparisons, answer: answerOf(refArm.label, refRuns.length, task, budget.label, target, comparisons) });
    }
  }
  return out;
}

/**
 * A seed's cost to the target from its arm summary's per-seed values, and at the evaluation before
 * (null: not reached; a summary without `before` is taken as exact).
 */
function reachedBy(r: RunResult, toTarget: ArmSummary["examplesToTarget"], seeds: readonly number[]): Crossing | null {
  const i = seeds.indexOf(r.seed);
  const value = i < 0 ? null : (toTarget.values[i] ?? null);
  return value === null ? null : { value, before: toTarget.before?.[i] ?? value };
}

const NO_VALUE: Partial<Record<CostRatio["kind"], string>> = { neither: "neither reached", undetermined: "undetermined", noData: "no finished runs" };
const bound = (c: CostRatio) => (c.value === null ? `(${NO_VALUE[c.kind] ?? "no value"})` : `${c.kind === "atLeast" ? "≥ " : c.kind === "atMost" ? "≤ " : ""}${fmt(c.value)}×`);

/** The one-line answer to the bet for one task and budget. */
function answerOf(reference: string, seeds: number, task: string, budget: string, target: string, comparisons: readonly Comparison[]): string {
  const where = `${task}, ${budget}, ${seeds} seed${seeds === 1 ? "" : "s"}`;
  // an arm with no finished run to pair (a bet still running) is named, never weighed
  const unrun = comparisons.filter((c) => c.bet && c.examples.kind === "noData");
  const pending = unrun.length ? ` Not finished yet: ${unrun.map((c) => c.label).join("; ")}.` : "";
  const bet = comparisons.filter((c) => c.bet && c.examples.kind !== "noData");
  if (bet.length === 0) return `No policy-gradient (likelihood reward) or ES arm ${unrun.length ? "has finished" : "ran"} here (${where}): the bet is not tested.${pending}`;
  // the bet is on examples; the FLOPs beside them say what the examples cost in compute
  const list = (cs: readonly Comparison[]) => cs.map((c) => (c.examples.value === null ? `${c.label} ${bound(c.examples)}` : `${c.label} ${bound(c.examples)} the examples, ${bound(c.flops)} the FLOPs`)).join("; ");
  const won = bet.filter((c) => c.outcome === "reference");
  const lost = bet.filter((c) => c.outcome === "other");
  const open = bet.filter((c) => c.outcome === "inconclusive");
  const flopsToo = won.every((c) => outcomeOf(c.flops) === "reference") ? " and fewer FLOPs" : "";
  if (lost.length) return `No (${where}): ${list(lost)} — ${lost.length === 1 ? "this arm reached" : "these arms reached"} ${target} with fewer training examples than ${reference}.${pending}`;
  if (open.length === 0 && !unrun.length) return `Yes (${where}): ${reference} reached ${target} with fewer training examples${flopsToo} than every policy-gradient and ES arm (what they need relative to it: ${list(won)}).`;
  if (open.length === 0) return `Not settled (${where}): ${reference} needed fewer examples than ${list(won)}.${pending}`;
  return `Not settled (${where}): ${won.length ? `${reference} needed fewer examples than ${list(won)}, but ` : ""}the intervals do not separate it from ${list(open)}.${pending}`;
}
