// A tiny transformer trained with the optimizer a run config describes: enough state (params,
// AdamW moments, step count, data RNG) to test that checkpoints restore a run exactly.
import { createHash } from "node:crypto";
import { np, type Array as JaxArray } from "../../src/engine/jax.js";
import { DataRng, modelKey } from "../../src/engine/rng.js";
import { leaves, type Tree } from "../../src/engine/tree.js";
import { crossEntropy, initTransformer, transformerLogits, type TransformerConfig } from "../../src/nn/index.js";
import { makeTrainStep } from "../../src/optim/index.js";
import { optimizerFromConfig, resolveRunConfig, type RunConfig } from "../../src/runs/index.js";

export const MODEL: TransformerConfig = { vocab: 11, dim: 16, layers: 1, heads: 2, maxLen: 6 };

export function tinyConfig(overrides: object = {}): RunConfig {
  return resolveRunConfig({ model: { dim: 16, layers: 1, heads: 2 }, budget: { maxSteps: 20 }, batchSize: 4, ...overrides });
}

export interface TrainingState {
  params: Tree;
  optimizer: Tree;
  data: DataRng;
  step: number;
}

export function tinyTraining(config: RunConfig) {
  const optimizer = optimizerFromConfig(config.optimizer);
  const trainStep = makeTrainStep((p, tokens: JaxArray) => crossEntropy(transformerLogits(p as never, tokens.ref, MODEL), np.roll(tokens, -1, 1)), optimizer);
  return {
    fresh(): TrainingState {
      const params = initTransformer(modelKey(config.seed), MODEL) as unknown as Tree;
      return { params, optimizer: optimizer.init(params), data: new DataRng(config.seed), step: 0 };
    },
    /** Train `n` steps on arithmetic sequences drawn from `s.data` (consumes and replaces s's trees). */
    async train(s: TrainingState, n: number): Promise<number[]> {
      const losses: number[] = [];
      for (let i = 0; i < n; i++) {
        const rows = Array.from({ length: config.batchSize }, () => {
          const [start, stride] = [s.data.int(0, MODEL.vocab - 1), s.data.int(1, 3)];
          return Array.from({ length: MODEL.maxLen }, (_, t) => (start + t * stride) % MODEL.vocab);
        });
        const tokens = np.array(Int32Array.from(rows.flat()), { dtype: np.int32 }).reshape([config.batchSize, MODEL.maxLen]);
        const [loss, params, opt] = trainStep(s.params, s.optimizer, tokens);
        losses.push((await loss.data())[0]);
        [s.params, s.optimizer, s.step] = [params, opt, s.step + 1];
      }
      return losses;
    },
    dispose: () => trainStep.dispose(),
  };
}

/** SHA-256 over every leaf's dtype, shape and bytes, in tree order. */
export async function treeHash(t: Tree): Promise<string> {
  const hash = createHash("sha256");
  for (const leaf of leaves(t)) {
    hash.update(`${leaf.dtype}[${leaf.shape}]`);
    const data = (await leaf.ref.data()) as Float32Array;
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return hash.digest("hex");
}
