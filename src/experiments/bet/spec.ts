// What a bet runs: tasks × arms × budgets × seeds over one base run config, and the accuracy
// target its *-to-target figures use. Presets build one; flags change it; bet.json keeps it.
import { join } from "node:path";
import { z } from "zod";

export const budgetPointSchema = z.strictObject({
  /** Short id used in run-directory names ("s400", "n1024", "f2e12"). */
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  label: z.string(),
  /** Run-config fields this budget sets: budget limits, trainExamples. */
  config: z.record(z.string(), z.unknown()),
});

export const betSpecSchema = z.strictObject({
  preset: z.string(),
  tasks: z
    .array(
      z.strictObject({
        name: z.string(),
        options: z.record(z.string(), z.unknown()),
        /** Run-config fields this task changes from the base (its own model or evaluation sizes); arms and budgets still apply on top. */
        config: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .min(1),
  arms: z.array(z.string()).min(1),
  /**
   * Run-config fields per arm id, applied after the arm's own (before the budget's): the
   * learning rates a tuning bet chose (`--tune`), recorded with the bet.
   */
  armConfig: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  seeds: z.array(z.number().int().nonnegative()).min(1),
  budgets: z.array(budgetPointSchema).min(1),
  /** The run config every run starts from (model, batch, optimizer, evaluation). */
  base: z.record(z.string(), z.unknown()),
  target: z.strictObject({ accuracy: z.number().gt(0).max(1), split: z.enum(["val", "test"]) }),
  /**
   * Monitorability: after training, `neuralese inspect` reads each run's chain (latent probes and
   * logit lens, or cot's written steps) on n examples of the split. Absent: DEFAULT_MONITOR; null: off.
   */
  monitor: z.strictObject({ n: z.number().int().min(40), split: z.enum(["val", "test"]) }).nullable().optional(),
  /**
   * Files every finished run of `task` is also scored on (data-eval.ts; `neuralese eval --data`): real
   * questions beside the generated splits, e.g. Coconut's ProsQA validation file. Paths are the
   * coordinator's own (absolute once the bet is planned); queue workers never read them.
   */
  evalData: z
    .array(z.strictObject({ name: z.string().regex(/^[A-Za-z0-9._-]+$/), task: z.string(), path: z.string().min(1) }))
    .refine((xs) => new Set(xs.map((x) => x.name)).size === xs.length, "each data file needs its own name")
    .optional(),
});

export type MonitorSpec = { n: number; split: "val" | "test" };
export const DEFAULT_MONITOR: MonitorSpec = { n: 500, split: "test" };

/** The monitor a spec asks for (null when off). */
export const monitorOf = (spec: BetSpec): MonitorSpec | null => (spec.monitor === undefined ? DEFAULT_MONITOR : spec.monitor);

export type BudgetPoint = z.infer<typeof budgetPointSchema>;
export type BetSpec = z.infer<typeof betSpecSchema>;

export type EvalDataSpec = NonNullable<BetSpec["evalData"]>[number];

/** Where a run's score on the data file called `name` is kept. */
export const dataScoreFile = (runDir: string, name: string) => join(runDir, `data-${name}.json`);
