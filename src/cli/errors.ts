// Errors meant for the person at the terminal: what was wrong and how to fix it, no stack trace.
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "UserError";
  }
}

/** Parse a number option: the number where `ok` takes it, else a UserError naming the option, what it `must` be, and the `hint`. */
export function numberOption(option: string, must: string, ok: (x: number, text: string) => boolean, hint?: string) {
  return (value: string): number => {
    const x = Number(value);
    if (!ok(x, value)) throw new UserError(`${option} must be ${must}, got "${value}"`, hint);
    return x;
  };
}

/** A positive integer option (a count). */
export const positiveInt = (option: string) => numberOption(option, "a positive integer", (n) => Number.isInteger(n) && n > 0, `for example ${option} 20`);

/** A non-negative integer option (a seed). */
export const nonNegativeInt = (option: string) => numberOption(option, "a non-negative integer", (n) => Number.isInteger(n) && n >= 0);

/** A finite number >= 0 (a threshold). */
export const nonNegativeNumber = (option: string) =>
  numberOption(option, "a number >= 0", (x, text) => text.trim() !== "" && Number.isFinite(x) && x >= 0, `for example ${option} 0.01`);

/** A number strictly between 0 and 1 (a probability threshold). */
export const probability = (option: string) =>
  numberOption(option, "a number strictly between 0 and 1", (x, text) => text.trim() !== "" && Number.isFinite(x) && x > 0 && x < 1, `for example ${option} 0.5`);

/** Parse a comma-separated list of positive integers (depths), naming the option in the error. */
export function positiveIntList(option: string) {
  return (value: string): number[] => {
    const xs = value.split(",").map((x) => Number(x.trim()));
    if (xs.length === 0 || !xs.every((n) => Number.isInteger(n) && n > 0)) {
      throw new UserError(`${option} must be a comma-separated list of positive integers, got "${value}"`, `for example ${option} 1,2,4,8`);
    }
    return xs;
  };
}

/** Parse one choice out of a fixed list, naming the option in the error. */
export function oneOf<T extends string>(option: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new UserError(`${option} "${value}" is not one of: ${choices.join(", ")}`);
    }
    return value as T;
  };
}

/** Throw `err` again: as a UserError (its message and hint) when it is one of `kinds`, the errors a command expects and knows the fix of. */
export function throwAsUserError(err: unknown, ...kinds: (abstract new (...args: never[]) => Error & { hint?: string })[]): never {
  if (kinds.some((k) => err instanceof k)) throw new UserError((err as Error).message, (err as { hint?: string }).hint);
  throw err;
}

/** Print an error the way every command does; returns the process exit code. */
export function reportError(err: unknown, debug: boolean): number {
  if (err instanceof UserError) {
    console.error(`error: ${err.message}`);
    if (err.hint) console.error(`hint: ${err.hint}`);
    if (debug) console.error(err.stack);
    return 2;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  console.error(`error: ${e.message}`);
  console.error(debug ? e.stack : "(run again with --debug for the stack trace)");
  return 1;
}
