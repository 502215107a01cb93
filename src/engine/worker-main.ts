// A pool worker's body: start jax-js (engine/jax.ts loads the Node 20 shim first), build the
// handler from the worker module, then answer {id, message} requests in order.
import { parentPort, workerData } from "node:worker_threads";
import { startEngine, type Backend } from "./backend.js";
import type { Transferable, WorkerHandlerFactory } from "./worker-pool.js";

const { module, backend, init } = workerData as { module: string; backend: Backend; init: unknown };
const port = parentPort!;
const describe = (e: unknown) => (e instanceof Error ? (e.stack ?? e.message) : String(e));

try {
  await startEngine(backend);
  const { createWorkerHandler } = (await import(module)) as { createWorkerHandler: WorkerHandlerFactory };
  const handle = await createWorkerHandler(init);
  // one request at a time, in arrival order (each worker is one jax-js instance)
  let queue: Promise<void> = Promise.resolve();
  port.on("message", ({ id, message }: { id: number; message: unknown }) => {
    queue = queue.then(async () => {
      try {
        const r = await handle(message);
        if (r && typeof r === "object" && (r as Transferable<unknown>).__transfer) {
          const t = r as Transferable<unknown>;
          port.postMessage({ id, ok: true, result: t.value }, t.buffers);
        } else port.postMessage({ id, ok: true, result: r });
      } catch (e) {
        port.postMessage({ id, ok: false, error: describe(e) });
      }
    });
  });
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, error: describe(e) });
}
