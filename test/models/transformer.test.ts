// The continuous-thought transformer reasoner on the fast path (wasm, float32, jitted): its KV
// cache against the full-sequence nn transformer, left padding, and the latent feedback against a
// no-cache recomputation (Coconut's multi-pass forward).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { jit, np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, ref } from "../../src/engine/tree.js";
import { embed, layerNorm, linear, transformerBlock, transformerLogits } from "../../src/nn/index.js";
import { makeReasoner, type ReasonerState, type TransformerParams } from "../../src/models/index.js";
import { host, ints, maxAbsDiff } from "../nn/util.js";

before(async () => {
  await startEngine("wasm");
});

const cfg = { model: "transformer" as const, vocab: 11, dim: 16, layers: 2, heads: 2, maxLen: 12 };
const nnCfg = { ...cfg, mlpRatio: 4 };
const reasoner = makeReasoner(cfg) as unknown as import("../../src/models/reasoner.js").Reasoner<TransformerParams>;
const [B, T, V] = [2, 6, cfg.vocab];
const tokens = [1, 5, 9, 3, 6, 2, 8, 4, 4, 1, 10, 7]; // [B, T], no pads

const releaseState = (s: ReasonerState) => dispose([s.latent, s.carry]);

/** Columns [from, to) of a [B, T] host token list, as an int32 array. */
function chunk(values: number[], width: number, from: number, to: number): Array {
  const rows = globalThis.Array.from({ length: values.length / width }, (_, b) => values.slice(b * width + from, b * width + to));
  return ints(rows.flat(), [rows.length, to - from]);
}

/** Decode `tokens` in chunks of the given widths, one jitted call per layout; logits [B, T, V] on the host. */
async function decodeInChunks(p: TransformerParams, widths: number[]): Promise<number[]> {
  const f = jit((p: TransformerParams, tok: Array) => {
    let state = reasoner.start(B);
    const outs: Array[] = [];
    let at = 0;
    for (const w of widths) {
      const [logits, next] = reasoner.decode(p, state, tok.ref.slice([], [at, at + w]));
      outs.push(logits);
      state = next;
      at += w;
    }
    tok.dispose();
    releaseState(state);
    return np.concatenate(outs, 1);
  });
  const out = await host(f(ref(p), ints(tokens, [B, T])));
  f.dispose();
  return out;
}

test("transformer reasoner: parameters are nn's transformer; decode in one chunk equals transformerLogits", async () => {
  const p = reasoner.init(modelKey(0));
  const expected = await host(transformerLogits(p, ints(tokens, [B, T]), nnCfg));
  const got = await decodeInChunks(p, [T]);
  assert.ok(maxAbsDiff(got, expected) < 1e-5, `max diff ${maxAbsDiff(got, expected)}`);
  dispose(p);
});

test("transformer reasoner: decoding in several chunks or one token at a time gives the same logits", async () => {
  const p = reasoner.init(modelKey(1));
  const expected = await host(transformerLogits(p, ints(tokens, [B, T]), nnCfg));
  for (const widths of [[2, 3, 1], [1, 1, 1, 1, 1, 1], [4, 2]]) {
    const got = await decodeInChunks(p, widths);
    assert.ok(maxAbsDiff(got, expected) < 1e-5, `chunks ${widths}: max diff ${maxAbsDiff(got, expected)}`);
  }
  dispose(p);
});

test("transformer reasoner: left padding leaves the logits at real positions and the thoughts unchanged", async () => {
  const p = reasoner.init(modelKey(2));
  // row 0 padded by 3, row 1 by 1 (different amounts per row), against each row alone unpadded
  const rows = [[0, 0, 0, 5, 9, 3, 6], [0, 8, 4, 4, 1, 10, 7]];
  const run = jit((p: TransformerParams, tok: Array) => {
    const [logits, read] = reasoner.decode(p, reasoner.start(tok.shape[0]), tok);
    const thought = reasoner.think(p, reasoner.think(p, read));
    const [after, end] = reasoner.decode(p, thought, np.full([tok.shape[0], 1], 6, { dtype: np.int32 }));
    releaseState(end);
    return [logits, after];
  });
  const [padLogits, padAfter] = run(ref(p), ints(rows.flat(), [2, 7]));
  const [pl, pa] = [await host(padLogits), await host(padAfter)];
  for (const [b, row] of rows.entries()) {
    const real = row.filter((t) => t !== 0);
    const [soloLogits, soloAfter] = run(ref(p), ints(real, [1, real.length]));
    const [sl, sa] = [await host(soloLogits), await host(soloAfter)];
    const start = row.length - real.length;
    const padRows = pl.slice((b * 7 + start) * V, (b + 1) * 7 * V);
    assert.ok(maxAbsDiff(padRows, sl) < 1e-5, `row ${b}: logits differ by ${maxAbsDiff(padRows, sl)}`);
    const afterRow = pa.slice(b * V, (b + 1) * V);
    assert.ok(maxAbsDiff(afterRow, sa) < 1e-5, `row ${b}: logits after 2 thoughts differ by ${maxAbsDiff(afterRow, sa)}`);
  }
  run.dispose();
  dispose(p);
});

test("transformer reasoner: pads after the question (right padding) are skipped too: the thought starts from the last real slot", async () => {
  const p = reasoner.init(modelKey(5));
  const rows = [[5, 9, 3, 6, 0, 0], [0, 8, 4, 0, 0, 0]];
  const thinkThenDecode = jit((p: TransformerParams, tok: Array) => {
    const s = reasoner.think(p, reasoner.read(p, reasoner.start(tok.shape[0]), tok));
    const [logits, end] = reasoner.decode(p, s, np.full([s.latent.shape[0], 1], 6, { dtype: np.int32 }));
    releaseState(end);
    return logits;
  });
  const padded = await host(thinkThenDecode(ref(p), ints(rows.flat(), [2, 6])));
  for (const [b, row] of rows.entries()) {
    const real = row.filter((t) => t !== 0);
    const solo = await host(thinkThenDecode(ref(p), ints(real, [1, real.length])));
    assert.ok(maxAbsDiff(padded.slice(b * V, (b + 1) * V), solo) < 1e-5, `row ${b}`);
  }
  thinkThenDecode.dispose();
  dispose(p);
});

/**
 * Reference without a cache: the whole sequence of input embeddings (tokens, then one latent per
 * thought) recomputed from scratch for every thought, as Coconut's forward does.
 */
function noCacheThoughts(p: TransformerParams, tok: Array, thoughts: number, answer: number): Array {
  let inputs = embed(p.embed, tok); // [B, T, D]
  const hidden = (x: Array) => {
    const n = x.shape[1];
    let h = x.add(p.pos.table.ref.slice([0, n]));
    for (const block of p.blocks) h = transformerBlock(block, h, cfg.heads);
    return layerNorm(p.lnFinal, h);
  };
  for (let k = 0; k < thoughts; k++) {
    const h = hidden(inputs.ref);
    const n = h.shape[1];
    const latent = h.slice([], [n - 1, n]); // [B, 1, D]: final-norm state of the last position
    inputs = np.concatenate([inputs, latent], 1);
  }
  const answerEmbedding = embed(p.embed, np.full([tok.shape[0], 1], answer, { dtype: np.int32 }));
  const h = hidden(np.concatenate([inputs, answerEmbedding], 1));
  const n = h.shape[1];
  return linear(p.head, h.slice([], [n - 1, n])); // [B, 1, V]
}

test("transformer reasoner: think feeds the final-norm hidden state back as the next input (vs no-cache recompute)", async () => {
  const p = reasoner.init(modelKey(3));
  const K = 4;
  const expected = await host(noCacheThoughts(p, ints(tokens, [B, T]), K, 6));
  let traces = 0;
  const f = jit((p: TransformerParams, tok: Array) => {
    traces++;
    let state = reasoner.read(p, reasoner.start(B), tok);
    for (let k = 0; k < K; k++) state = reasoner.think(p, state);
    assert.equal(state.position, T + K);
    const [logits, end] = reasoner.decode(p, state, np.full([B, 1], 6, { dtype: np.int32 }));
    releaseState(end);
    return logits;
  });
  const got = await host(f(ref(p), ints(tokens, [B, T])));
  assert.ok(maxAbsDiff(got, expected) < 1e-5, `max diff ${maxAbsDiff(got, expected)}`);
  await host(f(ref(p), ints(tokens.map((t) => (t % 7) + 1), [B, T])));
  assert.equal(traces, 1, "one trace for read → think×K → decode");
  f.dispose();
  dispose(p);
});

test("transformer reasoner: reading past maxLen throws", () => {
  const p = reasoner.init(modelKey(4));
  const state = reasoner.start(1);
  assert.throws(() => reasoner.read(p, state, np.ones([1, cfg.maxLen + 1], { dtype: np.int32 })), /maxLen/);
  dispose(p);
});
