// ES generations timed with 1 and 2 worker threads: whether the population splits without overhead.
import type { GpuAdapterInfo } from "../../engine/backend.js";
import { modelKey } from "../../engine/rng.js";
import { count } from "../../engine/tree.js";
import { adamw } from "../../optim/index.js";
import { esOptions, esTrainer } from "../../trainers/es.js";
import { initParams, recipeFor } from "../../trainers/index.js";
import { makeReasoner } from "../../models/index.js";
import { getTask } from "../../tasks/index.js";
import { median, onDevice, round, type BenchOptions } from "./measure.js";

export interface EsBenchResult {
  name: string;
  backend: string;
  /** The WebGPU adapter (vendor, architecture, description, fallback), on the webgpu backend. */
  adapter?: GpuAdapterInfo;
  /** Median ms per generation (population members evaluated + estimate + update) with 1 and 2 workers. */
  ms_per_generation_1_worker: number;
  ms_per_generation_2_workers: number;
  /** Generations per second with 2 workers over with 1 (the issue targets >= 1.6). */
  throughput_ratio: number;
  /**
   * CPU ms (all threads of the process) per generation with 1 and 2 workers: on a shared machine
   * wall times say little, while equal CPU per generation means the work splits without overhead.
   */
  cpu_ms_per_generation_1_worker: number;
  cpu_ms_per_generation_2_workers: number;
  member_evals_per_s_2_workers: number;
  steps: number;
  params: number;
}

/**
 * ES generations on the pointer-chase pilot's model (transformer d64 l2, K = 4 neuralese chain,
 * pointer-chase defaults): population 32, batch 64, evaluated in-process (1 worker) and across 2
 * worker threads. Worker start-up and compilation fall in the untimed warm-up generations.
 */
export async function esBench(name: string, opts: BenchOptions): Promise<EsBenchResult> {
  const task = getTask("pointer-chase");
  const taskOptions = {};
  const limits = task.limits(taskOptions);
  const [K, B, population] = [4, 64, 32];
  const data = task.generate(0, "train", B * (opts.warmup + opts.steps), taskOptions);
  const ms: number[] = [];
  const cpu: number[] = [];
  let nParams = 0;
  for (const workers of [1, 2]) {
    const options = esOptions.parse({ population, workers });
    const recipe = recipeFor("es", K, options);
    const reasoner = makeReasoner({ model: "transformer", vocab: task.vocab(taskOptions).size, dim: 64, layers: 2, heads: 4, maxLen: recipe.sequenceLength(limits) });
    const params = initParams(recipe, reasoner, modelKey(0));
    nParams = count(params);
    const optimizer = adamw({ lr: 1e-3 });
    const trainer = esTrainer({ task, taskOptions, limits, reasoner, recipe, optimizer, batchSize: B, latentSteps: K, seed: 0, options, params });
    const times: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i < opts.warmup + opts.steps; i++) {
      const [t0, c0] = [performance.now(), process.cpuUsage()];
      await trainer.step(data.slice(i * B, (i + 1) * B), i);
      const c = process.cpuUsage(c0);
      if (i >= opts.warmup) {
        times.push(performance.now() - t0);
        cpus.push((c.user + c.system) / 1000);
      }
    }
    trainer.dispose();
    ms.push(median(times));
    cpu.push(median(cpus));
  }
  return {
    name,
    ...onDevice(),
    ms_per_generation_1_worker: round(ms[0], 1),
    ms_per_generation_2_workers: round(ms[1], 1),
    throughput_ratio: round(ms[0] / ms[1], 2),
    cpu_ms_per_generation_1_worker: round(cpu[0], 1),
    cpu_ms_per_generation_2_workers: round(cpu[1], 1),
    member_evals_per_s_2_workers: round((population * 1000) / ms[1], 1),
    steps: opts.steps,
    params: nParams,
  };
}
