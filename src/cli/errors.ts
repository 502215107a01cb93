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

/** Parse a positive integer option, naming the option in the error. */
export function positiveInt(option: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) {
      throw new UserError(`${option} must be a positive integer, got "${value}"`, `for example ${option} 20`);
    }
    return n;
  };
}

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

/** Parse a non-negative integer option (a seed), naming the option in the error. */
export function nonNegativeInt(option: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UserError(`${option} must be a non-negative integer, got "${value}"`);
    return n;
  };
}

/** Parse a finite number >= 0 (a threshold), naming the option in the error. */
export function nonNegativeNumber(option: string) {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === "" || !Number.isFinite(x) || x < 0) throw new UserError(`${option} must be a number >= 0, got "${value}"`, `for example ${option} 0.01`);
    return x;
  };
}

/** Parse a number strictly between 0 and 1 (a probability threshold), naming the option in the error. */
export function probability(option: string) {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === "" || !Number.isFinite(x) || x <= 0 || x >= 1) throw new UserError(`${option} must be a number strictly between 0 and 1, got "${value}"`, `for example ${option} 0.5`);
    return x;
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
