// Latent feedback operators: shapes and values of identity, mlp (Linear → GELU → Linear →
// LayerNorm) and soft-token (Σ softmax(head(h))·e), and float64 gradients through a latent
// chain that feeds them back (cpu backend).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { jnn, np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { gradCheck } from "../../src/engine/gradcheck.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, leaves, type Tree } from "../../src/engine/tree.js";
import { crossEntropy } from "../../src/nn/index.js";
import { applyFeedback, initFeedback, withFeedback, type FeedbackKind } from "../../src/reasoning/index.js";
import { answerValues, float64Params, MODELS, prompt, tinyReasoner } from "./fixtures.js";
import { assertGradOk, ints, randomInput } from "../nn/util.js";

before(async () => {
  await startEngine("cpu");
});

const withOp = (kind: FeedbackKind, model: (typeof MODELS)[number], dtype = np.float64) => {
  const r = tinyReasoner(model);
  const base = float64Params(r, 3) as Record<string, Tree>;
  const f = initFeedback(kind, modelKey(5), r.config.dim, { dtype });
  return { r, params: (f ? { ...base, feedback: f } : base) as Tree };
};

for (const model of ["transformer", "gru"] as const) {
  test(`${model}: each operator maps latents [B, D] to inputs [B, D] with the values it defines`, async () => {
    for (const kind of ["identity", "mlp", "soft-token"] as const) {
      const { r, params } = withOp(kind, model);
      const latent = randomInput(11, [3, r.config.dim]).astype(np.float64);
      const out = applyFeedback(kind, r, params as never, latent.ref);
      assert.deepEqual(out.shape, [3, r.config.dim], kind);
      const [got, h] = [await out.data(), await latent.ref.data()];
      if (kind === "identity") assert.deepEqual(globalThis.Array.from(got), globalThis.Array.from(h));
      if (kind === "mlp") {
        // LayerNorm at init (gain 1, bias 0): every row has mean 0 and variance 1
        for (let b = 0; b < 3; b++) {
          const row = globalThis.Array.from(got.slice(b * 6, b * 6 + 6), Number);
          const mean = row.reduce((a, x) => a + x, 0) / 6;
          const variance = row.reduce((a, x) => a + (x - mean) ** 2, 0) / 6;
          assert.ok(Math.abs(mean) < 1e-9 && Math.abs(variance - 1) < 1e-3, `row ${b}: mean ${mean}, var ${variance}`);
        }
      }
      if (kind === "soft-token") {
        // the embedding table's rows weighted by the head's softmax, computed here separately
        const p = params as { head: { w: Array; b: Array }; embed: { table: Array } };
        const probs = jnn.softmax(np.matmul(latent.ref, p.head.w.ref).add(p.head.b.ref), -1);
        const want = await np.matmul(probs, p.embed.table.ref).data();
        globalThis.Array.from(got, Number).forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-12, `soft-token[${i}] ${x} vs ${want[i]}`));
      }
      latent.dispose();
      dispose(params);
    }
  });
}

test("the mlp operator's parameters: fc1, fc2 D×D with biases, a layer norm", () => {
  const f = initFeedback("mlp", modelKey(0), 8)!;
  assert.deepEqual(leaves(f as unknown as Tree).map((x) => x.shape), [[8, 8], [8], [8, 8], [8], [8], [8]]);
  dispose(f as unknown as Tree);
  assert.equal(initFeedback("soft-token", modelKey(0), 8), null);
});

for (const model of ["transformer", "gru"] as const) {
  for (const kind of ["mlp", "soft-token"] as const) {
    test(`${model} + ${kind} feedback: gradient of read → think×2 → decode cross-entropy (float64)`, async () => {
      const { r, params } = withOp(kind, model);
      const fed = withFeedback(r, kind);
      const tokens = prompt();
      const targets = ints([...answerValues], [2, 1]);
      const loss = (p: Tree): Array => {
        let s = fed.read(p as never, fed.start(2, { dtype: np.float64 }), tokens.ref);
        for (let k = 0; k < 2; k++) s = fed.think(p as never, s);
        const [logits, end] = fed.decode(p as never, s, ints([6, 6], [2, 1]));
        dispose([end.latent, end.carry]);
        return crossEntropy(logits, targets.ref);
      };
      assertGradOk(await gradCheck(loss, params, { samplesPerLeaf: 1 }));
      dispose([params, tokens, targets]);
    });
  }
}

test("identity feedback is the reasoner itself (default behaviour unchanged)", () => {
  const r = tinyReasoner("gru");
  assert.equal(withFeedback(r, "identity"), r);
  assert.ok(withFeedback(r, "soft-token").positionFlops.think > r.positionFlops.think);
});
