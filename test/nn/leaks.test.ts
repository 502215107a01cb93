// Ownership: every nn function, run eagerly, frees every buffer it allocates and returns every
// reference it takes. Counted exactly with the engine's memory probe: create parameters and
// inputs, run, free the outputs and the parameters, and the live buffer count is back to start.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { liveMemory, startMemoryProbe } from "../../src/engine/memory.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, type Tree } from "../../src/engine/tree.js";
import * as nn from "../../src/nn/index.js";

before(async () => {
  await startEngine("wasm");
  await startMemoryProbe();
});

const [B, T, D, V, H] = [2, 4, 8, 7, 2];
const cfg = { vocab: V, dim: D, layers: 2, heads: H, maxLen: 6 };
const int = (n: number) => np.array(n, { dtype: np.int32 });
const tokens = () => np.array(Int32Array.from([1, 5, 0, 3, 6, 2, 2, 4]), { dtype: np.int32 }).reshape([B, T]);

/** Build params, run `f` on them (results read back, which frees them), free the params. */
const cases: Record<string, () => Promise<void>> = {
  linear: () => run(nn.initLinear(modelKey(0), D, 3), (p) => nn.linear(p, np.ones([B, T, D]))),
  embed: () => run(nn.initEmbedding(modelKey(0), V, D), (p) => nn.embed(p, tokens())),
  layerNorm: () => run(nn.initLayerNorm(D), (p) => nn.layerNorm(p, np.ones([B, T, D]))),
  mlp: () => run(nn.initMlp(modelKey(0), D, 4 * D), (p) => nn.mlp(p, np.ones([B, T, D]))),
  attention: () => run(nn.initAttention(modelKey(0), D, H), (p) => nn.causalSelfAttention(p, np.ones([B, T, D]), H)),
  attentionWithCache: () =>
    run(nn.initAttention(modelKey(0), D, H), (p) => nn.causalSelfAttentionWithCache(p, np.ones([B, T, D]), H, 6)),
  attendStep: () =>
    run(nn.initAttention(modelKey(0), D, H), (p) => nn.attendStep(p, np.ones([B, D]), nn.initKvCache(B, 6, D), int(2), H)),
  attendChunk: () =>
    run(nn.initAttention(modelKey(0), D, H), (p) =>
      nn.attendChunk(p, np.ones([B, 3, D]), nn.initKvCache(B, 6, D), 2, np.ones([B, 6], { dtype: np.bool }), H),
    ),
  transformerBlockChunk: () =>
    run(nn.initTransformer(modelKey(0), cfg), (p) =>
      nn.transformerBlockChunk(p.blocks[0], np.ones([B, 3, D]), nn.initKvCache(B, 6, D), 1, np.ones([B, 6], { dtype: np.bool }), H),
    ),
  gru: () => run(nn.initGru(modelKey(0), 3, D), (p) => nn.gruCell(p, np.ones([B, D]), np.ones([B, 3]))),
  lstm: () => run(nn.initLstm(modelKey(0), 3, D), (p) => nn.lstmCell(p, nn.initLstmState(B, D), np.ones([B, 3]))),
  crossEntropy: () => run(np.ones([B, T, V]), (l) => nn.crossEntropy(l.ref, tokens(), np.ones([B, T]))),
  transformer: () => run(nn.initTransformer(modelKey(0), cfg), (p) => nn.transformerLogits(p, tokens(), cfg)),
  transformerStep: () =>
    run(nn.initTransformer(modelKey(0), cfg), (p) =>
      nn.transformerStepLogits(p, np.zeros([B], { dtype: np.int32 }), nn.initTransformerCache(cfg, B), int(3), cfg),
    ),
};

async function run<P extends Tree>(params: P, f: (p: P) => Tree): Promise<void> {
  const out = f(params);
  for (const leaf of leavesOf(out)) await leaf.data(); // materialise, then free
  dispose(params);
}

function leavesOf(t: Tree): Array[] {
  if (globalThis.Array.isArray(t)) return t.flatMap(leavesOf);
  if (t && (t as object).constructor === Object) return Object.values(t as Record<string, Tree>).flatMap(leavesOf);
  return [t as Array];
}

for (const [name, f] of Object.entries(cases)) {
  test(`no leaked buffers: ${name}`, async () => {
    await f(); // warm-up: one-time constants
    const before = liveMemory().buffers;
    await f();
    await f();
    assert.equal(liveMemory().buffers, before);
  });
}
