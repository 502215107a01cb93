// The KV-cache path on the fast backend (wasm, float32, jitted), as models will run it.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { jit, np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, ref } from "../../src/engine/tree.js";
import {
  attendChunk,
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

test("attendChunk, jitted, reproduces causalSelfAttention chunk by chunk (offsets 0, 2, 3)", async () => {
  const p = initAttention(modelKey(5), D, H);
  const x = randomX(6, [B, T, D]);
  const full = await host(causalSelfAttention(p, x.ref, H)); // [B, T, D]
  const run = jit((p: Attention, x: Array) => {
    let cache = initKvCache(B, T + 2, D); // spare slots after the sequence must be ignored
    const outs: Array[] = [];
    for (const [from, to] of [[0, 2], [2, 3], [3, 5]]) {
      const mask = np.ones([B, T + 2], { dtype: np.bool });
      const [y, next] = attendChunk(p, x.ref.slice([], [from, to]), cache, from, mask, H);
      outs.push(y);
      cache = next;
    }
    x.dispose();
    dispose(cache);
    return np.concatenate(outs, 1);
  });
  const got = await host(run(ref(p), x));
  assert.ok(maxAbsDiff(got, full) < 1e-5, `max diff ${maxAbsDiff(got, full)}`);
  run.dispose();
  dispose(p);
});

test("attendChunk: a masked key is never attended by other queries; a masked query stays finite", async () => {
  const p = initAttention(modelKey(7), D, H);
  const x = await host(randomX(8, [1, T, D]));
  const masked = 1; // position 1 is a <pad>
  const keyMask = () => np.array([true, false, true, true, true], { dtype: np.bool }).reshape([1, T]);
  const run = async (values: number[]) => {
    const xs = np.array(Float32Array.from(values), { dtype: np.float32 }).reshape([1, T, D]);
    const [y, cache] = attendChunk(p, xs, initKvCache(1, T, D), 0, keyMask(), H);
    dispose(cache);
    return host(y);
  };
  const changed = x.slice();
  for (let d = 0; d < D; d++) changed[masked * D + d] += 3;
  const [y0, y1] = [await run(x), await run(changed)];
  const others = (y: number[]) => y.filter((_, i) => Math.floor(i / D) !== masked);
  assert.ok(maxAbsDiff(others(y0), others(y1)) < 1e-6, "other positions must not see the masked key");
  assert.ok(y0.every(Number.isFinite));
  dispose(p);
});
