// The single entry point to @jax-js/jax: the shim (and the wasm-memory recorder) must run
// before jax-js's module body.
import "./node20-shim.js";
import "./wasm-memories.js";
import { createRequire } from "node:module";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

export {
  numpy as np,
  nn as jnn,
  lax,
  random,
  tree as jtree,
  jit,
  grad,
  valueAndGrad,
  vjp,
  vmap,
  init,
  defaultDevice,
  blockUntilReady,
  Array,
  DType,
} from "@jax-js/jax";
export type { Device, JsTree, OwnedFunction } from "@jax-js/jax";

/** What memory.ts needs of a jax-js backend (not public API: jax-js keeps `getBackend` internal). */
export interface BackendBuffers {
  malloc(size: number, initialData?: Uint8Array): number;
  incRef(slot: number): void;
  decRef(slot: number): void;
}

/**
 * jax-js's live backend object for `device`, reached through the package's internal chunk
 * (dist/backend-*.js, the same module instance index.js uses). Pinned to the 0.1.x layout:
 * throws a clear error if a jax-js upgrade moves it.
 */
export async function internalBackend(device: "wasm" | "cpu"): Promise<BackendBuffers> {
  const dist = dirname(createRequire(import.meta.url).resolve("@jax-js/jax"));
  const chunk = readdirSync(dist).find((f) => /^backend-.*\.js$/.test(f));
  const mod = chunk ? ((await import(pathToFileURL(join(dist, chunk)).href)) as Record<string, unknown>) : {};
  const getBackend = Object.values(mod).find((v) => typeof v === "function" && v.name === "getBackend");
  if (!getBackend) throw new Error(`jax-js internals moved: no getBackend in ${dist}/backend-*.js`);
  return (getBackend as (d: string) => BackendBuffers)(device);
}
