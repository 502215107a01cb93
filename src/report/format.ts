// Number formatting shared by the report's tables and plots.
import type { ArmSummary, BetSummary, Interval } from "./bet-summary.js";

/** 0.8734 → "87.3". */
export const pct = (x: number | null | undefined): string => (x === null || x === undefined || Number.isNaN(x) ? "–" : (100 * x).toFixed(1));

/** 1234567 → "1.23e6"; small integers as they are. */
export function sci(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  if (Math.abs(x) < 10_000) return Number.isInteger(x) ? String(x) : x.toPrecision(3);
  const e = Math.floor(Math.log10(Math.abs(x)));
  return `${(x / 10 ** e).toFixed(2)}e${e}`;
}

export const seconds = (ms: number | null | undefined): string => (ms === null || ms === undefined ? "–" : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`);

/** "87.3 [80.1, 94.0]" (percent) for an accuracy interval. */
export const pctInterval = (i: Interval | null): string => (i ? `${pct(i.mean)} [${pct(i.lo)}, ${pct(i.hi)}]` : "–");

/** An interval of a count or FLOPs: "1.23e6 [1.10e6, 1.40e6]". */
export const sciInterval = (i: Interval | null, unit: (x: number) => string = sci): string => (i ? `${unit(i.mean)} [${unit(i.lo)}, ${unit(i.hi)}]` : "–");

/** A ratio at a sensible precision: 0.25, 3.10, 12.3, 140. */
export const ratio = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** A ratio's interval: "0.75–1.00"; hi null: unbounded above ("1.00–∞"). */
export const ratioRange = (lo: number, hi: number | null): string => `${ratio(lo)}–${hi === null ? "∞" : ratio(hi)}`;

/** An arm's row name in a bet's tables: its label, and its budget when the bet has several. */
export const armName = (s: Pick<ArmSummary, "label" | "budget">, b: Pick<BetSummary, "budgets">): string => (b.budgets.length > 1 ? `${s.label} · ${s.budget}` : s.label);
