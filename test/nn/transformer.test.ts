import { test, before } from "node:test";
import assert from "node:assert/strict";
import { np } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { gradCheck, toFloat64 } from "../../src/engine/gradcheck.js";
import { count, dispose, leafPaths, map } from "../../src/engine/tree.js";
import { crossEntropy, initTransformer, transformerLogits, type Transformer } from "../../src/nn/index.js";
import { assertGradOk, host, ints, maxAbsDiff, randomInput } from "./util.js";

before(async () => {
  await startEngine("cpu");
});

const cfg = { vocab: 7, dim: 8, layers: 2, heads: 2, maxLen: 6 };
const tokens = [1, 5, 0, 3, 6, 2, 2, 4]; // [B=2, T=4]

test("transformer: parameter names, shapes and output shape", () => {
  const p = initTransformer(modelKey(0), cfg);
  const paths = leafPaths(p);
  assert.deepEqual(paths.slice(0, 2), ["embed.table", "pos.table"]);
  assert.deepEqual(paths.filter((n) => n.startsWith("blocks.1.")), [
    "blocks.1.ln1.gain", "blocks.1.ln1.bias",
    "blocks.1.attn.q.w", "blocks.1.attn.q.b", "blocks.1.attn.k.w", "blocks.1.attn.k.b",
    "blocks.1.attn.v.w", "blocks.1.attn.v.b", "blocks.1.attn.o.w", "blocks.1.attn.o.b",
    "blocks.1.ln2.gain", "blocks.1.ln2.bias",
    "blocks.1.mlp.up.w", "blocks.1.mlp.up.b", "blocks.1.mlp.down.w", "blocks.1.mlp.down.b",
  ]);
  assert.deepEqual(paths.slice(-4), ["lnFinal.gain", "lnFinal.bias", "head.w", "head.b"]);
  assert.deepEqual(p.pos.table.shape, [6, 8]);
  assert.deepEqual(p.blocks[0].mlp.up.w.shape, [8, 32]);
  assert.deepEqual(p.head.w.shape, [8, 7]);
  // V·D + maxLen·D + L·(2·2D + 4(D²+D) + (D·4D + 4D) + (4D·D + D)) + 2D + D·V + V
  const D = 8;
  assert.equal(count(p), 7 * D + 6 * D + 2 * (4 * D + 4 * (D * D + D) + 8 * D * D + 5 * D) + 2 * D + D * 7 + 7);
  const logits = transformerLogits(p, ints(tokens, [2, 4]), cfg);
  assert.deepEqual(logits.shape, [2, 4, 7]);
  logits.dispose();
  assert.throws(() => transformerLogits(p, np.zeros([1, 7], { dtype: np.int32 }), cfg), /maxLen/);
  dispose(p);
});

test("transformer: causal — changing a later token leaves earlier logits unchanged", async () => {
  const p = initTransformer(modelKey(1), cfg);
  const changed = tokens.slice();
  changed[2] = 6; // batch 0, t = 2
  const y0 = await host(transformerLogits(p, ints(tokens, [2, 4]), cfg));
  const y1 = await host(transformerLogits(p, ints(changed, [2, 4]), cfg));
  assert.equal(maxAbsDiff(y0.slice(0, 2 * 7), y1.slice(0, 2 * 7)), 0);
  assert.ok(maxAbsDiff(y0.slice(2 * 7, 4 * 7), y1.slice(2 * 7, 4 * 7)) > 1e-6);
  assert.equal(maxAbsDiff(y0.slice(4 * 7), y1.slice(4 * 7)), 0, "batch rows are independent");
  dispose(p);
});

test("transformer: gradient of next-token cross-entropy, 2 layers (float64)", async () => {
  const params = toFloat64(initTransformer(modelKey(2), cfg));
  // Make norms and biases non-trivial so their gradients are exercised away from init.
  const perturbed = map(
    (x, path) => (/(gain|bias|\.b)$/.test(path) ? x.add(randomInput(path.length, x.shape).mul(0.3)) : x),
    params,
  );
  // std 0.02 embeddings give tiny gradients; scale them so the check is not all noise floor.
  perturbed.embed.table = perturbed.embed.table.mul(30);
  perturbed.pos.table = perturbed.pos.table.mul(30);
  const inputs = ints(tokens, [2, 4]);
  const targets = ints([5, 0, 3, 6, 2, 4, 4, 1], [2, 4]);
  const loss = (p: Transformer) => crossEntropy(transformerLogits(p, inputs.ref, cfg), targets.ref);
  assertGradOk(await gradCheck(loss, perturbed, { samplesPerLeaf: 2 }));
  dispose(perturbed);
  dispose([inputs, targets]);
});
