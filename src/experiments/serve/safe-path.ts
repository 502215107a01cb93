// Paths the dashboard may read: files inside the served directory only. A run id from bet.json is
// joined under DIR, then the real path (symlinks resolved) must still lie inside DIR's real path.
import { realpath } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";

/** A relative path with no "..", no absolute start, no NUL or backslash (names from bet.json or a request). */
export function plainRelative(rel: string): boolean {
  if (rel === "" || isAbsolute(rel) || rel.includes("\0") || rel.includes("\\")) return false;
  return rel.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/**
 * The real path of root/rel when it exists and lies inside root's real path; null when it does
 * not exist, escapes root (through "..", or a symlink pointing outside), or rel is not plain.
 */
export async function insideRoot(realRoot: string, rel: string): Promise<string | null> {
  if (rel !== "." && !plainRelative(rel)) return null;
  let real: string;
  try {
    real = await realpath(join(realRoot, rel));
  } catch {
    return null;
  }
  const r = relative(realRoot, real);
  return r === "" || (!r.startsWith(`..${sep}`) && r !== ".." && !isAbsolute(r)) ? real : null;
}
