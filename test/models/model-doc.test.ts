// MODEL.md cannot drift from the code: its parameter tables must match the parameter trees
// (names, order, shapes, for a config with distinct sizes so that a swapped symbol shows), and
// its equations, reimplemented in numpy from the document (model_reference.py), must reproduce
// the logits of a saved model.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jit, np, random, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { saveSafetensors } from "../../src/engine/safetensors.js";
import { dispose, leafPaths, leaves, map, ref, type Tree } from "../../src/engine/tree.js";
import { makeReasoner, MODEL_KINDS, type ModelKind, type ReasonerConfig } from "../../src/models/index.js";
import { thinkSteps } from "../../src/reasoning/index.js";

const doc = readFileSync(fileURLToPath(new URL("../../MODEL.md", import.meta.url)), "utf8");

/** The rows (name, shape) of the table after `<!-- parameters: model -->`. */
function documentedRows(model: ModelKind): [string, string][] {
  const marker = `<!-- parameters: ${model} -->`;
  const at = doc.indexOf(marker);
  assert.ok(at >= 0, `MODEL.md has no "${marker}"`);
  const rows: [string, string][] = [];
  for (const line of doc.slice(at + marker.length).trimStart().split("\n")) {
    if (!line.startsWith("|")) break;
    const match = /^\|\s*`([^`]+)`\s*\|\s*`\[([^\]]*)\]`\s*\|/.exec(line);
    if (match) rows.push([match[1], match[2]]);
  }
  assert.ok(rows.length > 0, `MODEL.md: empty parameter table for ${model}`);
  return rows;
}

/** "4D" → 4·D etc. */
function size(expr: string, c: ReasonerConfig): number {
  const match = /^(\d*)([VDNLH])$/.exec(expr.trim());
  if (!match) throw new Error(`MODEL.md: cannot read the size "${expr}"`);
  const symbols = { V: c.vocab, D: c.dim, N: c.maxLen, L: c.layers, H: c.heads };
  return Number(match[1] || 1) * symbols[match[2] as keyof typeof symbols];
}

/** Expand `{l}` rows (and a looped model's `{p}` prelude and `{d}` coda rows), group by group, for each block; shapes as numbers. */
function expected(model: ModelKind, c: ReasonerConfig): [string, number[]][] {
  const out: [string, number[]][] = [];
  const rows = documentedRows(model);
  const counts: Record<string, number> = { "{l}": c.layers, "{p}": c.looped?.prelude ?? 0, "{d}": c.looped?.coda ?? 0 };
  const group = (name: string) => Object.keys(counts).find((g) => name.includes(g));
  for (let i = 0; i < rows.length; ) {
    const g = group(rows[i][0]);
    if (!g) {
      out.push([rows[i][0], rows[i][1].split(",").map((e) => size(e, c))]);
      i++;
      continue;
    }
    let j = i;
    while (j < rows.length && group(rows[j][0]) === g) j++;
    for (let l = 0; l < counts[g]; l++) {
      for (const [name, shape] of rows.slice(i, j)) out.push([name.replaceAll(g, String(l)), shape.split(",").map((e) => size(e, c))]);
    }
    i = j;
  }
  return out;
}

/** A looped model's own sizes in the doc tests (distinct from layers, so a swapped count shows; ignored by the other kinds). */
const LOOPED = { prelude: 3, coda: 1, recurrence: 3, backpropDepth: null };

for (const model of MODEL_KINDS) {
  test(`MODEL.md documents every ${model} parameter: name, order, shape`, async () => {
    await startEngine("wasm");
    const config: ReasonerConfig = { model, vocab: 11, dim: 6, layers: 2, heads: 3, maxLen: 7, looped: LOOPED };
    const params = makeReasoner(config).init(modelKey(0));
    const actual = leafPaths(params).map((name, i) => [name, leaves(params)[i].shape]);
    assert.deepEqual(actual, expected(model, config));
    dispose(params);
  });
}

const python = spawnSync("python3", ["-c", "import numpy"]).status === 0;

for (const model of MODEL_KINDS) {
  test(`MODEL.md's equations, reimplemented in numpy, reproduce a saved ${model}'s logits to 1e-4`, { skip: !python && "python3 with numpy not found" }, async () => {
    await startEngine("wasm");
    const config: ReasonerConfig = { model, vocab: 11, dim: 8, layers: 2, heads: 2, maxLen: 12, looped: LOOPED };
    const r = makeReasoner(config);
    // Away from init: biases, norms and embeddings that matter.
    const params = map((x, path) => {
      const scale = /table$/.test(path) ? 1 : /(gain|bias|\.b|\.bi|\.bh)$/.test(path) ? 0.3 : 0;
      return scale ? x.add(random.normal(random.key(path.length + x.size), x.shape).mul(scale)) : x;
    }, r.init(modelKey(1)));
    const dir = mkdtempSync(join(tmpdir(), "model-doc-"));
    const weights = join(dir, "model.safetensors");
    await saveSafetensors(weights, params);
    const prompt = [[0, 0, 1, 9, 4, 3], [1, 5, 8, 2, 10, 3]]; // left-padded by 2 and 0
    const answer = [[6, 7], [6, 9]];
    const K = 3;
    const run = jit((p: Tree, tokens: Array, answerTokens: Array) => {
      const s = thinkSteps(r, p, r.read(p, r.start(2), tokens), K);
      const [logits, end] = r.decode(p, s, answerTokens);
      dispose([end.latent, end.carry]);
      return logits;
    });
    const ids = (rows: number[][]) => np.array(Int32Array.from(rows.flat()), { dtype: np.int32 }).reshape([rows.length, -1]);
    const got: number[] = globalThis.Array.from(await (run(ref(params), ids(prompt), ids(answer)) as Array).data()); // [2, 2, V]
    const spec = {
      model,
      layers: config.layers,
      heads: config.heads,
      looped: LOOPED,
      rows: prompt.map((row, b) => [...row, ...globalThis.Array(K).fill(null), ...answer[b]]),
      decode: [6 + K, 6 + K + 1],
    };
    writeFileSync(join(dir, "spec.json"), JSON.stringify(spec));
    const script = fileURLToPath(new URL("./model_reference.py", import.meta.url));
    const out = spawnSync("python3", [script, weights, join(dir, "spec.json")], { encoding: "utf8" });
    assert.equal(out.status, 0, out.stderr);
    const expected = (JSON.parse(out.stdout) as number[][][]).flat(2);
    const diff = got.reduce((m, x, i) => Math.max(m, Math.abs(x - expected[i])), 0);
    if (process.env.MODEL_DOC_LOG) console.log(`${model}: max |logit difference| ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-4, `max |logit difference| ${diff}`);
    assert.ok(Math.max(...expected.map(Math.abs)) > 0.1, "logits are not trivially small");
    rmSync(dir, { recursive: true });
    run.dispose();
    dispose(params);
  });
}
