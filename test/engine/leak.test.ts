// 500 jitted training steps of a whole transformer with clip + AdamW must not grow memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { np } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { startMemoryProbe, liveMemory } from "../../src/engine/memory.js";
import { DataRng, modelKey } from "../../src/engine/rng.js";
import { dispose, type Tree } from "../../src/engine/tree.js";
import { initTransformer, transformerLogits, crossEntropy } from "../../src/nn/index.js";
import { adamw, chain, clipByGlobalNorm, linearWarmupCosineDecay, makeTrainStep } from "../../src/optim/index.js";

test("500 jitted transformer training steps keep live buffers and the wasm heap flat", async () => {
  await startEngine("wasm");
  await startMemoryProbe();
  const cfg = { vocab: 13, dim: 32, layers: 2, heads: 2, maxLen: 8 };
  const optimizer = chain(clipByGlobalNorm(1), adamw({ lr: linearWarmupCosineDecay({ peak: 3e-3, warmupSteps: 50, totalSteps: 500 }) }));
  const step = makeTrainStep((p, tokens) => crossEntropy(transformerLogits(p as never, tokens.ref, cfg), np.roll(tokens, -1, 1)), optimizer);
  let params = initTransformer(modelKey(0), cfg) as unknown as Tree;
  let state = optimizer.init(params);
  const data = new DataRng(0);
  const snapshots: ReturnType<typeof liveMemory>[] = [];
  for (let i = 0; i < 500; i++) {
    const tokens = np.array(Int32Array.from({ length: 8 * 8 }, () => data.int(0, cfg.vocab - 1)), { dtype: np.int32 }).reshape([8, 8]);
    const [loss, p2, s2] = step(params, state, tokens);
    await loss.data();
    [params, state] = [p2, s2];
    if (i === 49 || i === 499) snapshots.push(liveMemory());
  }
  const [early, late] = snapshots;
  assert.equal(late.buffers, early.buffers, `live buffers grew from ${early.buffers} to ${late.buffers}`);
  assert.equal(late.bytes, early.bytes);
  assert.equal(late.wasmHeapBytes, early.wasmHeapBytes, `wasm heap grew from ${early.wasmHeapBytes} to ${late.wasmHeapBytes}`);
  // and the probe is live: the step's parameters and optimizer state are in the count
  assert.ok(early.buffers > 0);
  dispose(params);
  dispose(state);
  step.dispose();
});
