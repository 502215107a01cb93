// The looped (recurrent-depth) reasoner: shapes and parameter tree, depth changes the function
// while the parameters stay the same, left padding, FLOPs per iteration, and Huginn's truncated
// backpropagation: the gradient through the last k of r iterations is exactly the gradient of a
// k-iteration loop started from the (constant) state the first r − k iterations reach.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { grad, jit, np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, leafPaths, leaves, ref, type Tree } from "../../src/engine/tree.js";
import { initKvCache, type KvCache } from "../../src/nn/index.js";
import { makeReasoner, type LoopedParams, type LoopedReasoner, type ReasonerState } from "../../src/models/index.js";
import { loopCore } from "../../src/models/looped.js";
import { host, ints, maxAbsDiff, randomInput } from "../nn/util.js";

before(async () => {
  await startEngine("wasm");
});

const cfg = { model: "looped" as const, vocab: 11, dim: 8, layers: 2, heads: 2, maxLen: 12, looped: { prelude: 1, coda: 1, recurrence: 3, backpropDepth: null } };
const reasoner = makeReasoner(cfg) as unknown as LoopedReasoner;
const release = (s: ReasonerState) => dispose([s.latent, s.carry]);

/** Read a prompt, think twice, decode two tokens at depth r; logits [B, 2, V] on the host. */
async function logitsAt(r: LoopedReasoner, p: LoopedParams, prompt: number[], width: number): Promise<number[]> {
  const f = jit((p: LoopedParams, tokens: Array) => {
    let s = r.read(p, r.start(2), tokens);
    s = r.think(p, r.think(p, s));
    const [logits, end] = r.decode(p, s, ints([6, 2, 6, 8], [2, 2]));
    release(end);
    return logits;
  });
  const out = await host(f(ref(p), ints(prompt, [2, width])) as Array);
  f.dispose();
  return out;
}

test("looped reasoner: parameter tree, logits shape, depth changes the function", async () => {
  const p = reasoner.init(modelKey(0));
  const names = leafPaths(p);
  for (const name of ["embed.table", "prelude.0.attn.q.w", "adapter.w", "core.1.mlp.down.b", "coreNorm.gain", "coda.0.ln2.bias", "lnFinal.gain", "head.w"]) {
    assert.ok(names.includes(name), `no ${name} in ${names.join(" ")}`);
  }
  assert.deepEqual(leaves(p)[names.indexOf("adapter.w")].shape, [16, 8]);
  const prompt = [1, 5, 9, 3, 4, 8, 10, 3];
  const at3 = await logitsAt(reasoner, p, prompt, 4);
  assert.equal(at3.length, 2 * 2 * 11);
  assert.ok(at3.every(Number.isFinite));
  const at1 = await logitsAt(reasoner.atDepth(1), p, prompt, 4);
  assert.ok(maxAbsDiff(at1, at3) > 1e-3, "r = 1 and r = 3 give the same logits");
  // the same depth through atDepth is the same function
  assert.ok(maxAbsDiff(await logitsAt(reasoner.atDepth(3, 1), p, prompt, 4), at3) < 1e-6);
  dispose(p);
});

test("looped reasoner: left padding leaves the real slots' logits unchanged", async () => {
  const p = reasoner.init(modelKey(1));
  const plain = await logitsAt(reasoner, p, [1, 5, 9, 3, 4, 8, 10, 3], 4);
  const padded = await logitsAt(reasoner, p, [0, 0, 1, 5, 9, 3, 0, 0, 4, 8, 10, 3], 6);
  assert.ok(maxAbsDiff(plain, padded) < 1e-5, `max diff ${maxAbsDiff(plain, padded)}`);
  dispose(p);
});

test("looped reasoner: FLOPs per position grow by one iteration's cost per iteration", () => {
  const { dim, layers, maxLen } = cfg;
  const perBlock = 8 * dim * dim + 16 * dim * dim + 4 * maxLen * dim;
  const f = (r: number) => reasoner.atDepth(r).positionFlops;
  assert.equal(f(5).think - f(2).think, 3 * (layers * perBlock + 4 * dim * dim));
  assert.equal(f(4).decode - f(4).think, 4 * cfg.vocab * dim);
});

test("looped core: gradient through the last k of r iterations = a k-iteration loop from the constant state s_{r−k}", async () => {
  const p = reasoner.init(modelKey(2));
  const [B, L, D] = [2, 3, cfg.dim];
  const [r, k] = [5, 2];
  const caches = (n: number): KvCache[][] => globalThis.Array.from({ length: n }, () => [initKvCache(B, cfg.maxLen, D), initKvCache(B, cfg.maxLen, D)]);
  const valid = () => np.greaterEqual(np.arange(cfg.maxLen).reshape([1, cfg.maxLen]), np.zeros([B, 1], { dtype: np.int32 })).mul(np.less(np.arange(cfg.maxLen), L)).astype(np.bool);
  const weights = randomInput(3, [B, L, D]).astype(np.float32);
  const at = (frozen: number) => ({ offset: 0, valid: valid(), heads: cfg.heads, frozen });
  const lossOf = (s: Array, written: KvCache[][]) => {
    dispose(written as unknown as Tree);
    return s.mul(weights.ref).sum();
  };
  // the gradient with respect to the core, the adapter and the injected input e
  const gradOf = (iterations: number, frozen: number, s0: () => Array) =>
    jit(grad((q: { core: LoopedParams["core"]; adapter: LoopedParams["adapter"]; e: Array }) => {
      const params = { ...p, core: q.core, adapter: q.adapter } as LoopedParams;
      const [s, written] = loopCore(params, q.e, s0(), caches(iterations), at(frozen));
      return lossOf(s, written);
    }));
  const e = randomInput(4, [B, L, D]).astype(np.float32);
  const inputs = () => ({ core: ref(p.core), adapter: ref(p.adapter), e: e.ref });
  const hostTree = async (t: Tree) => Promise.all(leaves(t).map(host));

  const truncated = await hostTree(gradOf(r, r - k, () => np.zeros([B, L, D]))(inputs()) as Tree);
  const full = await hostTree(gradOf(r, 0, () => np.zeros([B, L, D]))(inputs()) as Tree);
  // s_{r−k} by a plain forward run, then a k-iteration loop from it as a constant
  const [early, writtenEarly] = loopCore(p, e.ref, np.zeros([B, L, D]), caches(r - k), at(0));
  dispose(writtenEarly as unknown as Tree);
  const constantStart = np.array(Float32Array.from(await early.data())).reshape([B, L, D]);
  const fromConstant = await hostTree(gradOf(k, 0, () => constantStart.ref)(inputs()) as Tree);

  let worst = 0;
  let differs = 0;
  truncated.forEach((g, i) => {
    worst = Math.max(worst, maxAbsDiff(g, fromConstant[i]));
    differs = Math.max(differs, maxAbsDiff(g, full[i]));
  });
  assert.ok(worst < 1e-5, `truncated vs constant-start gradient: max diff ${worst}`);
  assert.ok(differs > 1e-3, `truncation changed nothing (max diff to full BPTT ${differs})`);
  // the injected input still gets a gradient (Huginn: the prelude trains through e at every step)
  assert.ok(truncated[truncated.length - 1].some((x) => Math.abs(x) > 1e-6), "no gradient reaches e");
  dispose([p, e, weights, constantStart]);
});
