// Equal tuning effort for every arm: a bet's learning rate chosen per arm on the validation split,
// from the same grid of trials for every arm, on seeds the bet itself does not use. The tuning bet
// is the bet with each budget split into one budget per learning rate (a budget's config is applied
// after the arm's, so the grid's lr replaces the arm's own), the target on "val" and no test curve.
// The choice, with every trial, is written next to it (tuning.json, tuning.md) for the record.
import type { BetSummary } from "../../report/bet-summary.js";
import { mdTable } from "../../report/tables.js";
import { mergeConfigInputs } from "../../runs/index.js";
import type { BetSpec } from "./spec.js";

export const TUNING_FILES = { plan: "tuning-plan.json", json: "tuning.json", markdown: "tuning.md" } as const;

const lrId = (lr: number) => `lr${lr.toExponential().replace("+", "")}`;

/** The tuning bet of `spec`: budgets × learning rates, on `seeds`, judged on validation only. */
export function tuningSpec(spec: BetSpec, lrs: readonly number[], seeds: readonly number[]): BetSpec {
  if (lrs.length === 0) throw new Error("tuning needs at least one learning rate");
  const overlap = seeds.filter((s) => spec.seeds.includes(s));
  if (overlap.length) throw new Error(`tuning seeds ${overlap.join(", ")} are the bet's own seeds; tune on seeds the bet does not use`);
  const base = spec.base as { eval?: Record<string, unknown> };
  return {
    ...spec,
    preset: `${spec.preset}-tune`,
    seeds: [...seeds],
    budgets: spec.budgets.flatMap((b) =>
      lrs.map((lr) => ({ id: `${b.id}-${lrId(lr)}`, label: `${b.label}; lr ${lr}`, config: mergeConfigInputs(b.config, { optimizer: { lr } }) as Record<string, unknown> })),
    ),
    base: { ...spec.base, eval: { ...(base.eval ?? {}), testCurve: false } },
    target: { ...spec.target, split: "val" },
    monitor: null,
  };
}

export interface TuningTrial {
  lr: number;
  /** Mean final validation accuracy over the tuning seeds (null: no seed finished). */
  val: number | null;
  /** Seeds that reached the target on validation, and their mean examples to it. */
  reached: number;
  examplesToTarget: number | null;
}

export interface TuningChoice {
  task: string;
  arm: string;
  budget: string;
  lr: number;
  trials: TuningTrial[];
}

/**
 * Per task, arm and budget of the original bet: the learning rate whose runs reached the
 * validation target in the most seeds, then with the fewest examples, then with the best final
 * validation accuracy.
 */
export function chooseTuned(tuning: BetSummary, spec: BetSpec, lrs: readonly number[]): TuningChoice[] {
  const out: TuningChoice[] = [];
  for (const task of tuning.tasks) {
    for (const arm of tuning.arms) {
      for (const b of spec.budgets) {
        const trials = lrs.map((lr): TuningTrial => {
          const s = tuning.summaries.find((x) => x.task === task && x.arm === arm.id && x.budget === `${b.id}-${lrId(lr)}`);
          return {
            lr,
            val: s?.val?.mean ?? null,
            reached: s?.examplesToTarget.reached ?? 0,
            examplesToTarget: s?.examplesToTarget.interval?.mean ?? null,
          };
        });
        const better = (a: TuningTrial, c: TuningTrial) =>
          a.reached !== c.reached ? a.reached > c.reached : a.reached > 0 && a.examplesToTarget !== c.examplesToTarget ? a.examplesToTarget! < c.examplesToTarget! : (a.val ?? -1) > (c.val ?? -1);
        const best = trials.reduce((a, c) => (better(c, a) ? c : a));
        out.push({ task, arm: arm.id, budget: b.id, lr: best.lr, trials });
      }
    }
  }
  return out;
}

export function tuningMarkdown(choices: readonly TuningChoice[], seeds: readonly number[], target: string): string {
  const lrs = choices[0]?.trials.map((t) => t.lr) ?? [];
  const cell = (t: TuningTrial) => `${t.val === null ? "–" : (100 * t.val).toFixed(1)}% · ${t.reached}/${seeds.length}${t.examplesToTarget === null ? "" : ` @ ${Math.round(t.examplesToTarget)}`}`;
  return [
    `# Learning rates chosen on validation (seeds ${seeds.join(", ")}; target ${target})`,
    "",
    "Each cell: final val accuracy · seeds reaching the target @ mean examples to it. Every arm had the same trials.",
    "",
    mdTable(["task", "arm", "budget", ...lrs.map((lr) => `lr ${lr}`), "chosen"], choices.map((c) => [c.task, c.arm, c.budget, ...c.trials.map(cell), String(c.lr)])),
    "",
  ].join("\n");
}
