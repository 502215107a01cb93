// A worker module for worker-pool.test.ts: sums `x·k` with jax-js in the worker, or throws.
import { np } from "../../src/engine/jax.js";
import { transferable } from "../../src/engine/worker-pool.js";

export function createWorkerHandler(init: { k: number }) {
  return async (m: { x: number[]; fail?: boolean; buffer?: boolean }) => {
    if (m.fail) throw new Error("asked to fail");
    const sum = (await np.array(m.x).mul(init.k).sum().data())[0];
    if (!m.buffer) return sum;
    const out = Float32Array.of(sum);
    return transferable(out, [out.buffer as ArrayBuffer]);
  };
}
