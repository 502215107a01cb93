import { test, before } from "node:test";
import assert from "node:assert/strict";
import { np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { gradCheck, toFloat64 } from "../../src/engine/gradcheck.js";
import { dispose } from "../../src/engine/tree.js";
import {
  attendChunk,
  attendStep,
  causalSelfAttention,
  initAttention,
  initKvCache,
  type Attention,
  type KvCache,
} from "../../src/nn/index.js";
import { assertGradOk, fixedWeights, host, maxAbsDiff, randomInput } from "./util.js";

before(async () => {
  await startEngine("cpu");
});

/** Attention params with non-zero biases, so that every bias gradient is exercised. */
function attentionParams(seed: number, dim: number, heads: number): Attention {
  const p = toFloat64(initAttention(modelKey(seed), dim, heads));
  for (const [i, name] of (["q", "k", "v", "o"] as const).entries()) {
    p[name].b.dispose();
    p[name].b = randomInput(100 + seed * 10 + i, [dim]).mul(0.5);
  }
  return p;
}

const scalar = (n: number) => np.array(n, { dtype: np.int32 });

test("attention: parameter shapes and output shape", () => {
  const p = initAttention(modelKey(0), 8, 2);
  for (const name of ["q", "k", "v", "o"] as const) {
    assert.deepEqual(p[name].w.shape, [8, 8]);
    assert.deepEqual(p[name].b.shape, [8]);
  }
  const y = causalSelfAttention(p, np.ones([3, 5, 8]), 2);
  assert.deepEqual(y.shape, [3, 5, 8]);
  y.dispose();
  assert.throws(() => initAttention(modelKey(1), 8, 3), /divisible/);
  dispose(p);
});

test("attention: causal — changing a later position leaves earlier outputs unchanged", async () => {
  const p = attentionParams(1, 8, 2);
  const base = await host(randomInput(2, [2, 4, 8]));
  const changed = base.slice();
  for (let b = 0; b < 2; b++) for (let d = 0; d < 8; d++) changed[b * 32 + 3 * 8 + d] += 1; // t = 3
  const run = async (v: number[]) =>
    host(causalSelfAttention(p, np.array(Float64Array.from(v), { dtype: np.float64 }).reshape([2, 4, 8]), 2));
  const [y0, y1] = [await run(base), await run(changed)];
  for (let b = 0; b < 2; b++) {
    const rows = (y: number[], t0: number, t1: number) => y.slice(b * 32 + t0 * 8, b * 32 + t1 * 8);
    assert.equal(maxAbsDiff(rows(y0, 0, 3), rows(y1, 0, 3)), 0, "positions 0..2 must not see position 3");
    assert.ok(maxAbsDiff(rows(y0, 3, 4), rows(y1, 3, 4)) > 1e-3, "position 3 must see itself");
  }
  dispose(p);
});

test("attention: gradient of the full causal path w.r.t. params and x (float64)", async () => {
  const params = { attn: attentionParams(3, 8, 2), x: randomInput(4, [2, 4, 8]) };
  const w = fixedWeights(5, [2, 4, 8]);
  const loss = (t: { attn: Attention; x: Array }) => np.tanh(causalSelfAttention(t.attn, t.x, 2)).mul(w.ref).sum();
  assertGradOk(await gradCheck(loss, params, { samplesPerLeaf: 3 }));
  dispose(params);
  w.dispose();
});

test("attention: gradient of attendStep w.r.t. params, x and the cache (float64)", async () => {
  // A cache holding junk at every position, including those after `pos`, which must be ignored.
  const params = {
    attn: attentionParams(6, 8, 2),
    x: randomInput(7, [2, 8]),
    cache: { k: randomInput(8, [2, 5, 8]), v: randomInput(9, [2, 5, 8]) },
  };
  const w = fixedWeights(10, [2, 8]);
  const wk = fixedWeights(11, [2, 5, 8]);
  const pos = scalar(2);
  const loss = (t: { attn: Attention; x: Array; cache: KvCache }) => {
    const [y, cache] = attendStep(t.attn, t.x, t.cache, pos.ref, 2);
    // The written cache feeds the loss too, so the k/v projections' gradient through it is checked.
    return np.tanh(y).mul(w.ref).sum().add(cache.k.mul(wk.ref).sum()).add(cache.v.mul(wk.ref).sum());
  };
  const result = await gradCheck(loss, params, { samplesPerLeaf: 3 });
  assertGradOk(result);
  dispose(params);
  dispose([w, wk, pos]);
});

test("attention: attendStep writes position pos and ignores positions after it", async () => {
  const p = attentionParams(12, 4, 2);
  const x = await host(randomInput(13, [1, 4]));
  const junk = (seed: number) => ({ k: randomInput(seed, [1, 3, 4]), v: randomInput(seed + 1, [1, 3, 4]) });
  const xa = () => np.array(Float64Array.from(x), { dtype: np.float64 }).reshape([1, 4]);
  const [y0, c0] = attendStep(p, xa(), initKvCache(1, 3, 4, { dtype: np.float64 }), scalar(0), 2);
  const [y1, c1] = attendStep(p, xa(), junk(14), scalar(0), 2);
  assert.equal(maxAbsDiff(await host(y0), await host(y1)), 0);
  // Row 0 of both caches holds this position's key; rows 1–2 keep what was there.
  const [k0, k1] = [await host(c0.k), await host(c1.k)];
  assert.equal(maxAbsDiff(k0.slice(0, 4), k1.slice(0, 4)), 0);
  assert.deepEqual(k0.slice(4), [0, 0, 0, 0, 0, 0, 0, 0]);
  dispose([c0.v, c1.v]);
  dispose(p);
});

test("attention: gradient of attendChunk at an offset w.r.t. params, x and the cache, with masked keys (float64)", async () => {
  const params = {
    attn: attentionParams(15, 8, 2),
    x: randomInput(16, [2, 3, 8]),
    cache: { k: randomInput(17, [2, 6, 8]), v: randomInput(18, [2, 6, 8]) },
  };
  const w = fixedWeights(19, [2, 3, 8]);
  const wk = fixedWeights(20, [2, 6, 8]);
  // row 0 masks slot 0 (earlier) and slot 3 (inside the chunk); row 1 sees everything
  const mask = np.array([false, true, true, false, true, true, true, true, true, true, true, true], { dtype: np.bool }).reshape([2, 6]);
  const loss = (t: { attn: Attention; x: Array; cache: KvCache }) => {
    const [y, cache] = attendChunk(t.attn, t.x, t.cache, 2, mask.ref, 2);
    return np.tanh(y).mul(w.ref).sum().add(cache.k.mul(wk.ref).sum()).add(cache.v.mul(wk.ref).sum());
  };
  assertGradOk(await gradCheck(loss, params, { samplesPerLeaf: 3 }));
  dispose(params);
  dispose([w, wk, mask]);
});
