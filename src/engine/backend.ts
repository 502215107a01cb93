// Engine start-up: pick and initialise a jax-js backend once per process (or worker).
import { init, defaultDevice, type Device } from "./jax.js";

export type Backend = "wasm" | "cpu" | "webgpu";
export const BACKENDS: readonly Backend[] = ["wasm", "cpu", "webgpu"];

let active: Backend | undefined;

/** True where WebGPU can exist at all (browsers, Deno); never on plain Node. */
export function webgpuPossible(): boolean {
  return typeof (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu !== "undefined";
}

/**
 * Initialise jax-js on `backend` and make it the default device.
 * `wasm` is the fast CPU path; `cpu` is the slow exact interpreter used for float64 gradient
 * checks (wasm's transcendentals are float32-precise); `webgpu` only where `navigator.gpu` exists.
 * Calling again with the same backend is free; switching is allowed (tests use both).
 */
export async function startEngine(backend: Backend = "wasm"): Promise<Backend> {
  if (!BACKENDS.includes(backend)) {
    throw new Error(`backend "${backend}" is unknown: use one of ${BACKENDS.join(", ")}`);
  }
  if (backend === "webgpu" && !webgpuPossible()) {
    throw new Error(
      'backend "webgpu" needs navigator.gpu (a browser with WebGPU); on Node use "wasm" (default) or "cpu"',
    );
  }
  if (active !== backend) {
    const available = await init(backend as Device);
    if (!available.includes(backend as Device)) {
      throw new Error(`backend "${backend}" failed to initialise here; available: ${available.join(", ") || "none"}`);
    }
  }
  defaultDevice(backend as Device);
  active = backend;
  return backend;
}

/** The backend chosen by the last startEngine call. */
export function activeBackend(): Backend {
  if (!active) throw new Error("engine not started: call startEngine() first");
  return active;
}
