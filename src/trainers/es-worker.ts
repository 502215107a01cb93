// The pool worker's side of ES (src/engine/worker-pool.ts runs it in each worker thread): one
// PairEvaluator per worker; each generation brings θ (a SharedArrayBuffer written by the main
// thread), the shared minibatch and this worker's pair keys, and returns their fitness inputs.
import { transferable } from "../engine/worker-pool.js";
import { makePairEvaluator, type EsSpec, type HostBatch } from "./es-members.js";

export interface EsWorkerRequest {
  theta: SharedArrayBuffer;
  batch: HostBatch;
  keys: [number, number][];
  sigma: number;
}

export function createWorkerHandler(init: { spec: EsSpec }) {
  const evaluator = makePairEvaluator(init.spec);
  return async ({ theta, batch, keys, sigma }: EsWorkerRequest) => {
    const out = await evaluator.evaluate(new Float32Array(theta), batch, keys, sigma);
    return transferable(out, [out.buffer as ArrayBuffer]);
  };
}
