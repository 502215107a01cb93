// The jax-js backends a run can ask for (no jax-js import: run configs validate against this list).
export type Backend = "wasm" | "cpu" | "webgpu";
export const BACKENDS: readonly Backend[] = ["wasm", "cpu", "webgpu"];
