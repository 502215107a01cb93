// Where two configs differ, as dotted paths with both values: for "this directory holds a different run".
import { showValue } from "./config-errors.js";
import { canonicalJson, isPlainObject } from "./json.js";

export function configDifferences(a: unknown, b: unknown, path = ""): string[] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => configDifferences(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return canonicalJson(a) === canonicalJson(b) ? [] : [`${path || "(whole config)"}: ${showValue(a)} → ${showValue(b)}`];
}
