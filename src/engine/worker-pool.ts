// A pool of worker_threads, each running its own jax-js instance (the engine notes measured one
// instance per thread as the fast route for our small kernels; jax-js's own wasm worker pool is
// slower on them). It hides how a worker loads the TypeScript sources (tsx's loader, registered
// in worker-boot.mjs) and the Node 20 shim (worker-main.ts imports engine/jax.ts first).
//
// A worker module (given by URL) exports `createWorkerHandler(init)`, returning
// `(message) => result | Promise<result>`; a result may name ArrayBuffers to transfer back by
// being a `Transferable` wrapper (see `transferable`).
import { Worker } from "node:worker_threads";
import type { Backend } from "./backend.js";

export interface WorkerPool {
  readonly size: number;
  /** Send `message` to worker `index`; resolves to its handler's result. `transfer`: buffers to move, not copy. */
  call<R>(index: number, message: unknown, transfer?: readonly ArrayBuffer[]): Promise<R>;
  /** Stop every worker. */
  close(): Promise<void>;
}

/** A handler result with buffers to move (not copy) back to the main thread. */
export interface Transferable<R> {
  __transfer: true;
  value: R;
  buffers: ArrayBuffer[];
}

export const transferable = <R>(value: R, buffers: ArrayBuffer[]): Transferable<R> => ({ __transfer: true, value, buffers });

export type WorkerHandlerFactory = (init: unknown) => Promise<(message: unknown) => unknown> | ((message: unknown) => unknown);

/**
 * Start `size` workers, each starting jax-js on `backend` and then running
 * `createWorkerHandler(init)` from `moduleUrl`. Resolves once all are ready.
 */
export async function createWorkerPool(size: number, moduleUrl: string | URL, opts: { backend: Backend; init: unknown }): Promise<WorkerPool> {
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`worker pool size must be a positive integer, got ${size}`);
  const boot = new URL("./worker-boot.mjs", import.meta.url);
  const workers: Worker[] = [];
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  let nextId = 0;
  const ready: Promise<void>[] = [];
  for (let i = 0; i < size; i++) {
    const w = new Worker(boot, { workerData: { module: String(moduleUrl), backend: opts.backend, init: opts.init } });
    ready.push(
      new Promise<void>((resolve, reject) => {
        w.once("message", (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : reject(new Error(`worker ${i} failed to start: ${m.error}`))));
        w.once("error", reject);
      }),
    );
    w.on("message", (m: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (m.id === undefined) return;
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) p?.resolve(m.result);
      else p?.reject(new Error(`worker ${i}: ${m.error}`));
    });
    w.on("error", (e) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
    workers.push(w);
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  return {
    size,
    call<R>(index: number, message: unknown, transfer: readonly ArrayBuffer[] = []) {
      const id = nextId++;
      return new Promise<R>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        workers[index].postMessage({ id, message }, transfer as ArrayBuffer[]);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
