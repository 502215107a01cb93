// Engine start-up: pick and initialise a jax-js backend once per process (or worker).
import { init, defaultDevice, type Device } from "./jax.js";
import { installWebGpu, type GpuAdapterInfo } from "./webgpu-node.js";

import { BACKENDS, type Backend } from "./backends.js";

export { BACKENDS, type Backend } from "./backends.js";
export { WebGpuUnavailableError, type GpuAdapterInfo } from "./webgpu-node.js";

let active: Backend | undefined;
let adapter: GpuAdapterInfo | undefined;

/**
 * Initialise jax-js on `backend` and make it the default device.
 * `wasm` is the fast CPU path; `cpu` is the slow exact interpreter used for float64 gradient
 * checks (wasm's transcendentals are float32-precise); `webgpu` loads Dawn (the optional `webgpu`
 * package) on Node, or uses the browser's `navigator.gpu`; it throws WebGpuUnavailableError,
 * saying what to install, where there is no package or no adapter.
 * Calling again with the same backend is free; switching is allowed (tests use both).
 */
export async function startEngine(backend: Backend = "wasm"): Promise<Backend> {
  if (!BACKENDS.includes(backend)) {
    throw new Error(`backend "${backend}" is unknown: use one of ${BACKENDS.join(", ")}`);
  }
  if (backend === "webgpu") adapter ??= await installWebGpu(); // before jax-js's WebGPU module loads
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

/** The WebGPU adapter, when the active backend is webgpu (for summaries and bench lines). */
export function activeAdapter(): GpuAdapterInfo | undefined {
  return active === "webgpu" ? adapter : undefined;
}
