// Numeric faults: the error a run stops with, and the fault injection that tests use to make a
// gradient non-finite at chosen steps. Injection is switched on only by the environment variable
// FAULT_INJECTION_ENV holding a JSON spec that this strict schema accepts, so no config file,
// flag or typo can turn it on; the CLI says so on stderr whenever it is on.
import { z } from "zod";
import type { FaultInjector } from "../trainers/trainer.js";
import { ConfigError, issuesFromZod } from "./config-errors.js";
import { HintedError } from "./format.js";
import { jsonErrorLocation } from "./json.js";

export const FAULT_INJECTION_ENV = "NEURALESE_TEST_INJECT_FAULTS";

const injectionSchema = z.strictObject({
  /** Steps (0-based: updates done before it) whose gradient is made NaN. */
  nanGradient: z.array(z.number().int().nonnegative()).min(1),
  /**
   * once: each listed step is poisoned the first time it runs (a rollback that replays it gets a
   * clean gradient: a transient fault); always: every time (a persistent fault).
   */
  mode: z.enum(["once", "always"]).default("once"),
});

export type FaultInjectionSpec = z.output<typeof injectionSchema>;

/** The injection spec in `text` (the environment variable's value); a ConfigError when malformed. */
export function parseFaultInjection(text: string): FaultInjectionSpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ path: "", message: `${FAULT_INJECTION_ENV} is not valid JSON: ${jsonErrorLocation(text, err)}` }]);
  }
  const parsed = injectionSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) throw new ConfigError(issuesFromZod(parsed.error, injectionSchema, FAULT_INJECTION_ENV));
  return parsed.data;
}

/** The injector a spec describes; `fired` lists the steps poisoned so far (in order). */
export function faultInjector(spec: FaultInjectionSpec): FaultInjector & { fired: number[] } {
  const pending = new Set(spec.nanGradient);
  const fired: number[] = [];
  return {
    fired,
    nanGradient(step) {
      if (!pending.has(step)) return false;
      if (spec.mode === "once") pending.delete(step);
      fired.push(step);
      return true;
    },
  };
}

/** A run stopped by numeric faults; nothing non-finite was written. */
export class TrainingFaultError extends HintedError {
  override name = "TrainingFaultError";
}
