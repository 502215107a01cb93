// Parsing and checking task options. Every error names the option by its flag and says what is allowed.
import { TaskOptionError, type IntRange, type OptionSpec } from "./task.js";

/** Check an integer option lies in [lo, hi]. */
export function checkInt(flag: string, value: unknown, lo: number, hi: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < lo || value > hi) {
    throw new TaskOptionError(flag, `${flag} must be an integer in ${lo}..${hi}, got ${show(value)}`);
  }
  return value;
}

/** Check a range option lies within [lo, hi]; `why` explains the upper bound. */
export function checkRange(flag: string, value: unknown, lo: number, hi: number, why = ""): IntRange {
  const r = value as IntRange;
  const ok = typeof r === "object" && r !== null && Number.isInteger(r.min) && Number.isInteger(r.max);
  if (!ok || r.min > r.max) {
    throw new TaskOptionError(flag, `${flag} must be a range "lo-hi" with lo <= hi, got ${show(value)}`);
  }
  if (r.min < lo || r.max > hi) {
    const reason = r.max > hi && why ? ` (${why})` : "";
    throw new TaskOptionError(flag, `${flag} ${formatRange(r)} is outside the allowed ${lo}..${hi}${reason}`);
  }
  return { min: r.min, max: r.max };
}

export function checkChoice<T extends string>(flag: string, value: unknown, choices: readonly T[]): T {
  if (!(choices as readonly unknown[]).includes(value)) {
    throw new TaskOptionError(flag, `${flag} must be one of ${choices.join(", ")}, got ${show(value)}`);
  }
  return value as T;
}

/** `make` memoised per resolved options (graders see only an example, whose meta carries its options). */
export function memoByOptions<O, W>(make: (options: O) => W): (options: O) => W {
  const made = new Map<string, W>();
  return (options) => {
    const key = JSON.stringify(options);
    let w = made.get(key);
    if (w === undefined) made.set(key, (w = make(options)));
    return w;
  };
}

/** Parse a command-line string for one option into the value `resolveOptions` takes. */
export function parseOptionValue(spec: OptionSpec, text: string): number | string | IntRange {
  if (spec.kind === "choice") return checkChoice(spec.flag, text, spec.choices ?? []);
  if (spec.kind === "int") {
    // a well-formed integer goes on to resolveOptions, which states the allowed range
    if (!/^-?\d+$/.test(text.trim())) throw new TaskOptionError(spec.flag, `${spec.flag} must be an integer, got "${text}"`);
    return Number(text);
  }
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  if (!m) throw new TaskOptionError(spec.flag, `${spec.flag} must be a range like 1-4 (or one number), got "${text}"`);
  return { min: Number(m[1]), max: Number(m[2] ?? m[1]) };
}

export function formatRange(r: IntRange): string {
  return r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`;
}

/** Values of an inclusive range. */
export function rangeValues(r: IntRange): number[] {
  const out: number[] = [];
  for (let v = r.min; v <= r.max; v++) out.push(v);
  return out;
}

function show(value: unknown): string {
  if (typeof value === "object" && value !== null && "min" in value && "max" in value) {
    return formatRange(value as IntRange);
  }
  return JSON.stringify(value) ?? String(value);
}
