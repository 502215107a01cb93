// Config errors for people: each names the field path, the value given and what is allowed.
import type { z } from "zod";

export interface ConfigIssue {
  /** Dotted field path, e.g. "model.dim" ("" for the whole config). */
  path: string;
  /** What was wrong and what is allowed, without the path. */
  message: string;
}

/** An invalid run config; `issues` lists every problem found, the message shows them all. */
export class ConfigError extends Error {
  constructor(
    readonly issues: ConfigIssue[],
    readonly source?: string,
  ) {
    const head = source ? `invalid run config (${source})` : "invalid run config";
    super(`${head}:\n${issues.map((i) => `  ${formatIssue(i)}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

export function showValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Turn zod's issues (parsed with `reportInput: true`) into ConfigIssues; `prefix` is prepended to paths. */
export function issuesFromZod(error: z.ZodError, schema: z.ZodType, prefix = ""): ConfigIssue[] {
  return error.issues.map((issue) => {
    const where = issue.path.map(String).join(".");
    const path = [prefix, where].filter(Boolean).join(".");
    const got = `got ${showValue((issue as { input?: unknown }).input)}`;
    switch (issue.code) {
      case "unrecognized_keys": {
        const allowed = objectKeysAt(schema, issue.path);
        const names = issue.keys.map((k) => `"${[path, k].filter(Boolean).join(".")}"`).join(", ");
        const fields = allowed ? `; allowed fields here: ${allowed.join(", ")}` : "";
        return { path: "", message: `unknown field${issue.keys.length > 1 ? "s" : ""} ${names}${fields}` };
      }
      case "invalid_type":
        return { path, message: `${got}; expected ${describeType(issue.expected)}` };
      case "invalid_value":
        return { path, message: `${got}; allowed: ${issue.values.map((v) => showValue(v)).join(", ")}` };
      case "too_small":
      case "too_big": {
        const op = issue.code === "too_small" ? (issue.inclusive ? ">=" : ">") : issue.inclusive ? "<=" : "<";
        const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
        const what = issue.origin === "string" ? "length " : issue.origin === "array" ? "count " : "";
        return { path, message: `${got}; allowed: ${what}${op} ${String(bound)}` };
      }
      default:
        return { path, message: `${got}; ${issue.message}` };
    }
  });
}

function describeType(expected: string): string {
  if (expected === "int") return "an integer";
  if (expected === "record" || expected === "object") return "an object";
  return `a ${expected}`;
}

/** The field names an object schema allows at `path` (through defaults, optionals, nullables). */
export function objectKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let node: unknown = schema;
  for (let i = 0; ; i++) {
    node = unwrap(node);
    const shape = defOf(node)?.shape as Record<string, unknown> | undefined;
    if (!shape) return undefined;
    if (i === path.length) return Object.keys(shape);
    node = shape[String(path[i])];
  }
}

function unwrap(node: unknown): unknown {
  for (let def = defOf(node); def?.innerType; def = defOf(node)) node = def.innerType;
  return node;
}

function defOf(node: unknown): { shape?: unknown; innerType?: unknown } | undefined {
  return (node as { _zod?: { def?: { shape?: unknown; innerType?: unknown } } } | undefined)?._zod?.def;
}
