// The KV-cache path on the fast backend (wasm, float32, jitted), as models will run it.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { jit, np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, ref } from "../../src/engine/tree.js";
import {
  attendStep,
  causalSelfAttention,
  causalSelfAttentionWithCache,
  initAttention,
  initKvCache,
  initTransformer,
  initTransformerCache,
  transformerLogits,
  transformerStepLogits,
  type Attention,
  type KvCache,
  type Transformer,
} from "../../src/nn/index.js";
import { host, ints, maxAbsDiff } from "./util.js";

before(async () => {
  await startEngine("wasm");
});

const scalar = (n: number) => np.array(n, { dtype: np.int32 });
const [B, T, D, H] = [2, 5, 8, 2];

function randomX(seed: number, shape: number[]): Array {
  return np.array(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Math.sin(seed + 1.7 * i)), {
    dtype: np.float32,
  }).reshape(shape);
}

test("attendStep, jitted with pos as an Array, reproduces causalSelfAttention position by position (one trace)", async () => {
  const p = initAttention(modelKey(0), D, H);
  const x = randomX(1, [B, T, D]);
  const full = await host(causalSelfAttention(p, x.ref, H)); // [B, T, D]
  let traces = 0;
  const step = jit((p: Attention, xt: Array, cache: KvCache, pos: Array) => {
    traces++;
    return attendStep(p, xt, cache, pos, H);
  });
  let cache = initKvCache(B, T, D);
  for (let t = 0; t < T; t++) {
    const [y, next] = step(ref(p), x.ref.slice([], t), cache, scalar(t));
    cache = next;
    const got = await host(y);
    const expected = [0, 1].flatMap((b) => full.slice((b * T + t) * D, (b * T + t + 1) * D));
    assert.ok(maxAbsDiff(got, expected) < 1e-5, `t=${t}: ${maxAbsDiff(got, expected)}`);
  }
  assert.equal(traces, 1, "changing pos must not retrace");
  step.dispose();
  dispose([x, cache.k, cache.v]);
  dispose(p);
});

test("causalSelfAttentionWithCache then attendStep continues the sequence", async () => {
  const p = initAttention(modelKey(2), D, H);
  const x = randomX(3, [B, T, D]);
  const full = await host(causalSelfAttention(p, x.ref, H));
  const prefixLen = 3;
  const [yPrefix, cache] = causalSelfAttentionWithCache(p, x.ref.slice([], [0, prefixLen]), H, T);
  assert.deepEqual(cache.k.shape, [B, T, D]);
  const prefix = await host(yPrefix);
  const expectedPrefix = [0, 1].flatMap((b) => full.slice(b * T * D, (b * T + prefixLen) * D));
  assert.ok(maxAbsDiff(prefix, expectedPrefix) < 1e-5);
  let c = cache;
  for (let t = prefixLen; t < T; t++) {
    const [y, next] = attendStep(p, x.ref.slice([], t), c, scalar(t), H);
    c = next;
    const expected = [0, 1].flatMap((b) => full.slice((b * T + t) * D, (b * T + t + 1) * D));
    assert.ok(maxAbsDiff(await host(y), expected) < 1e-5);
  }
  dispose([x, c.k, c.v]);
  dispose(p);
});

test("transformerStepLogits, jitted, reproduces transformerLogits token by token", async () => {
  const cfg = { vocab: 7, dim: D, layers: 2, heads: H, maxLen: 6 };
  const p = initTransformer(modelKey(4), cfg);
  const tokens = [1, 5, 0, 3, 6, 2, 2, 4, 4, 1];
  const full = await host(transformerLogits(p, ints(tokens, [B, T]), cfg)); // [B, T, V]
  const step = jit((p: Transformer, tok: Array, caches: KvCache[], pos: Array) =>
    transformerStepLogits(p, tok, caches, pos, cfg),
  );
  let caches = initTransformerCache(cfg, B);
  for (let t = 0; t < T; t++) {
    const [logits, next] = step(ref(p), ints([tokens[t], tokens[T + t]], [B]), caches, scalar(t));
    caches = next;
    const expected = [0, 1].flatMap((b) => full.slice((b * T + t) * 7, (b * T + t + 1) * 7));
    assert.ok(maxAbsDiff(await host(logits), expected) < 1e-5, `t=${t}`);
  }
  step.dispose();
  dispose(caches);
  dispose(p);
});
