// JSON helpers shared by the run files: canonical form (for comparing configs and checksums),
// SHA-256, and non-finite numbers kept readable instead of silently becoming null.
import { createHash } from "node:crypto";

export type { Json } from "../common/json.js";

/** JSON with object keys sorted at every level: equal values give equal text, whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const rec = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(rec)
      .filter((k) => rec[k] !== undefined)
      .sort()
      .map((k) => [k, sortKeys(rec[k])]),
  );
}

export function sha256(data: string | Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** JSON.stringify, except NaN and ±Infinity are written as the strings "NaN", "Infinity", "-Infinity". */
export function stringifyKeepingNonFinite(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), indent);
}

/** A plain object (what JSON.parse makes of `{...}`). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;
}

/** Line and column (1-based) of a JSON.parse error, when the engine's message gives a position. */
export function jsonErrorLocation(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /position (\d+)/.exec(message);
  if (!m) return message;
  const before = text.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `line ${line} column ${column}: ${message.replace(/ in JSON at position \d+.*$/, "")}`;
}
