// A bet spec expanded into its runs: one fully resolved run config per (task, arm, budget, seed),
// each with its own directory. Every config is resolved before any run starts, so a bad
// combination is reported up front and nothing is written.
import { ConfigError, mergeConfigInputs, resolveRunConfig, type RunConfig } from "../../runs/index.js";
import { RUN_METHOD_SPECS } from "../../runs/train-run.js";
import { availableArms, type Arm } from "./arms.js";
import type { BetSpec } from "./spec.js";

export interface PlannedRun {
  /** "<task>/<arm>/<budget>/s<seed>", also the run directory under DIR/runs/. */
  id: string;
  task: string;
  arm: Arm;
  budget: string;
  seed: number;
  config: RunConfig;
  /** The id of the run whose final parameters this one starts from (its arm's `initArm`). */
  initFrom?: string;
}

export class BetPlanError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = "BetPlanError";
  }
}

export function planBet(spec: BetSpec): PlannedRun[] {
  const arms = availableArms();
  const unknown = spec.arms.filter((a) => !arms.has(a));
  if (unknown.length > 0) {
    throw new BetPlanError(`unknown arm${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`, `the arms are ${[...arms.keys()].join(", ")}`);
  }
  for (const id of spec.arms) {
    const from = arms.get(id)!.initArm;
    if (from === undefined) continue;
    if (!spec.arms.includes(from)) throw new BetPlanError(`arm ${id} starts from arm ${from}'s runs, which this bet does not run`, `add ${from} to the bet's arms, or drop ${id}`);
    if (arms.get(from)!.initArm) throw new BetPlanError(`arm ${id} starts from arm ${from}, which itself starts from another arm`, "an initialising arm must train from scratch");
  }
  const runs: PlannedRun[] = [];
  for (const task of spec.tasks) {
    for (const armId of spec.arms) {
      const arm = arms.get(armId)!;
      for (const budget of spec.budgets) {
        for (const seed of spec.seeds) {
          const id = `${task.name}/${arm.id}/${budget.id}/s${seed}`;
          let input = mergeConfigInputs(spec.base, task.config ?? {});
          input = mergeConfigInputs(input, { task: { name: task.name, options: task.options }, method: { name: arm.method, options: arm.options }, seed });
          input = mergeConfigInputs(input, arm.config ?? {});
          input = mergeConfigInputs(input, spec.armConfig?.[arm.id] ?? {});
          input = mergeConfigInputs(input, budget.config);
          try {
            const config = resolveRunConfig(input, { methods: RUN_METHOD_SPECS });
            const initFrom = arm.initArm === undefined ? {} : { initFrom: `${task.name}/${arm.initArm}/${budget.id}/s${seed}` };
            runs.push({ id, task: task.name, arm, budget: budget.id, seed, config, ...initFrom });
          } catch (err) {
            if (err instanceof ConfigError) throw new BetPlanError(`run ${id} has a bad config: ${err.message}`, "change the flag or preset field named there");
            throw err;
          }
        }
      }
    }
  }
  return runs;
}
