// Leak probe for jitted loops: counts jax-js backend buffers that are alive, plus the wasm heap
// size and the JS heap. A step that frees everything it allocates leaves `buffers` exactly flat.
import { internalBackend, type BackendBuffers } from "./jax.js";
import { wasmMemories } from "./wasm-memories.js";

export interface MemorySnapshot {
  /** Backend buffers allocated since startMemoryProbe and not yet freed (wasm + cpu). Exact. */
  buffers: number;
  /** Their requested bytes (the wasm allocator rounds up to size classes). */
  bytes: number;
  /** jax-js's wasm linear memory: a high-water mark in 64 KiB pages (it never shrinks). */
  wasmHeapBytes: number;
  /** V8 heap in use: noisy (garbage collection), a trend over many steps only. */
  jsHeapBytes: number;
}

// slot → [reference count, bytes], per backend; slots born before the probe are not tracked.
const live = new Map<BackendBuffers, Map<number, [number, number]>>();

/**
 * Start counting buffers on the wasm and cpu backends (idempotent). It wraps each backend's
 * malloc/incRef/decRef, which costs a Map update per allocation: meant for tests and diagnostics.
 */
export async function startMemoryProbe(): Promise<void> {
  for (const device of ["wasm", "cpu"] as const) {
    const backend = await internalBackend(device);
    if (live.has(backend)) continue;
    const slots = new Map<number, [number, number]>();
    live.set(backend, slots);
    const { malloc, incRef, decRef } = backend;
    backend.malloc = function (size, initialData) {
      const slot = malloc.call(this, size, initialData);
      slots.set(slot, [1, size]);
      return slot;
    };
    backend.incRef = function (slot) {
      incRef.call(this, slot);
      const s = slots.get(slot);
      if (s) s[0]++;
    };
    backend.decRef = function (slot) {
      decRef.call(this, slot);
      const s = slots.get(slot);
      if (s && --s[0] === 0) slots.delete(slot);
    };
  }
}

export function liveMemory(): MemorySnapshot {
  if (live.size === 0) throw new Error("liveMemory: call `await startMemoryProbe()` first");
  let buffers = 0;
  let bytes = 0;
  for (const slots of live.values()) {
    buffers += slots.size;
    for (const [, size] of slots.values()) bytes += size;
  }
  const wasmHeapBytes = wasmMemories().reduce((n, m) => n + m.buffer.byteLength, 0);
  return { buffers, bytes, wasmHeapBytes, jsHeapBytes: process.memoryUsage().heapUsed };
}
