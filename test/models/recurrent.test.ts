// GRU and LSTM reasoners (wasm, float32, jitted): equations against the nn cells stepped by hand,
// the latent feedback, and left padding, with one and two stacked layers.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { jit, np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, leafPaths, ref, type Tree } from "../../src/engine/tree.js";
import { embed, gruCell, linear, lstmCell } from "../../src/nn/index.js";
import { makeReasoner, type GruParams, type LstmParams, type ModelKind, type Reasoner } from "../../src/models/index.js";
import { host, ints, maxAbsDiff } from "../nn/util.js";

before(async () => {
  await startEngine("wasm");
});

const V = 9;
const config = (model: ModelKind, layers = 1) => ({ model, vocab: V, dim: 8, layers, heads: 1, maxLen: 16 });
const tokens = [1, 5, 8, 3, 6, 2, 7, 4, 4, 1]; // [2, 5]

test("gru and lstm reasoners: parameter names", () => {
  const gru = makeReasoner(config("gru", 2));
  const p = gru.init(modelKey(0));
  assert.deepEqual(leafPaths(p), [
    "embed.table",
    "cells.0.wi", "cells.0.bi", "cells.0.wh", "cells.0.bh",
    "cells.1.wi", "cells.1.bi", "cells.1.wh", "cells.1.bh",
    "head.w", "head.b",
  ]);
  dispose(p);
  const lstm = makeReasoner(config("lstm"));
  const q = lstm.init(modelKey(0));
  assert.deepEqual(leafPaths(q), ["embed.table", "cells.0.wi", "cells.0.wh", "cells.0.b", "head.w", "head.b"]);
  dispose(q);
});

/** read the tokens, think twice, decode one token; logits of both decodes. */
function readThinkDecode(r: Reasoner, thoughts = 2) {
  return jit((p: Tree, tok: Array) => {
    const [logits, state] = r.decode(p, r.start(tok.shape[0]), tok);
    let s = state;
    for (let k = 0; k < thoughts; k++) s = r.think(p, s);
    const [after, end] = r.decode(p, s, np.full([tok.shape[0], 1], 6, { dtype: np.int32 }));
    dispose([end.latent, end.carry]);
    return [logits, after];
  });
}

test("gru reasoner: decode and think follow the GRU cell (the latent h is the next input)", async () => {
  const r = makeReasoner(config("gru"));
  const p = r.init(modelKey(1)) as unknown as GruParams;
  const cell = p.cells[0];
  let h = np.zeros([2, 8]);
  const expected: Array[] = [];
  for (let t = 0; t < 5; t++) {
    h = gruCell(cell, h, embed(p.embed, ints([tokens[t], tokens[5 + t]], [2])));
    expected.push(linear(p.head, h.ref));
  }
  for (let k = 0; k < 2; k++) h = gruCell(cell, h.ref, h);
  const expectedAfter = linear(p.head, gruCell(cell, h, embed(p.embed, ints([6, 6], [2]))));
  const f = readThinkDecode(r);
  const [logits, after] = f(ref(p as unknown as Tree), ints(tokens, [2, 5]));
  assert.ok(maxAbsDiff(await host(logits), await host(np.stack(expected, 1))) < 1e-5);
  assert.ok(maxAbsDiff(await host(after), await host(expectedAfter)) < 1e-5);
  f.dispose();
  dispose(p);
});

test("lstm reasoner: decode and think follow the LSTM cell (input h, state (h, c))", async () => {
  const r = makeReasoner(config("lstm"));
  const p = r.init(modelKey(2)) as unknown as LstmParams;
  const cell = p.cells[0];
  let s = { h: np.zeros([2, 8]), c: np.zeros([2, 8]) };
  const expected: Array[] = [];
  for (let t = 0; t < 5; t++) {
    s = lstmCell(cell, s, embed(p.embed, ints([tokens[t], tokens[5 + t]], [2])));
    expected.push(linear(p.head, s.h.ref));
  }
  for (let k = 0; k < 2; k++) s = lstmCell(cell, { h: s.h.ref, c: s.c }, s.h);
  const last = lstmCell(cell, s, embed(p.embed, ints([6, 6], [2])));
  const expectedAfter = linear(p.head, last.h);
  last.c.dispose();
  const f = readThinkDecode(r);
  const [logits, after] = f(ref(p as unknown as Tree), ints(tokens, [2, 5]));
  assert.ok(maxAbsDiff(await host(logits), await host(np.stack(expected, 1))) < 1e-5);
  assert.ok(maxAbsDiff(await host(after), await host(expectedAfter)) < 1e-5);
  f.dispose();
  dispose(p);
});

for (const [model, layers] of [["gru", 1], ["lstm", 1], ["gru", 2], ["lstm", 2]] as const) {
  test(`${model} reasoner (${layers} layer${layers > 1 ? "s" : ""}): left padding leaves real-position logits and thoughts unchanged`, async () => {
    const r = makeReasoner(config(model, layers));
    const p = r.init(modelKey(3));
    const rows = [[0, 0, 0, 5, 8, 3], [0, 2, 7, 4, 4, 1]];
    const f = readThinkDecode(r);
    const [padLogits, padAfter] = f(ref(p), ints(rows.flat(), [2, 6]));
    const [pl, pa] = [await host(padLogits), await host(padAfter)];
    for (const [b, row] of rows.entries()) {
      const real = row.filter((t) => t !== 0);
      const [soloLogits, soloAfter] = f(ref(p), ints(real, [1, real.length]));
      const start = row.length - real.length;
      assert.ok(maxAbsDiff(pl.slice((b * 6 + start) * V, (b + 1) * 6 * V), await host(soloLogits)) < 1e-5, `row ${b} logits`);
      assert.ok(maxAbsDiff(pa.slice(b * V, (b + 1) * V), await host(soloAfter)) < 1e-5, `row ${b} after thinking`);
    }
    f.dispose();
    dispose(p);
  });
}
