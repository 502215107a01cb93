// Latent-chain gradients, jitted as a training step runs them, in float64 on wasm (these compare
// two computations built from the same ops, so wasm's float32-precise transcendentals cancel;
// grad-norm.test.ts checks against its reference on the exact cpu backend): full BPTT against
// plain jit(grad), truncation, the diagnostics, and the per-example unit normalisation.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { grad, jit, lax, np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { dispose, leafPaths, ref, type Tree } from "../../src/engine/tree.js";
import type { Reasoner, ReasonerState } from "../../src/models/index.js";
import { recurrentNorm, unitNormPerExample } from "../../src/reasoning/index.js";
import {
  answerReadout,
  float64Params,
  mapLeaves,
  maxRelDiff,
  MODELS,
  prompt,
  promptValues,
  runChain,
  tinyReasoner,
} from "./fixtures.js";
import { toHost, type Host } from "./grad-norm-reference.js";
import { host, randomInput } from "../nn/util.js";

before(async () => {
  await startEngine("wasm");
});

const K = 3;

/** Plain jit(grad) of read → think×K → readout, with an optional stop-gradient on s_cut. */
async function plainGrad(reasoner: Reasoner, params: Tree, cut = -1): Promise<Host[]> {
  const readout = answerReadout(reasoner);
  const loss = (p: Tree) => {
    let s = reasoner.read(p, reasoner.start(2, { dtype: np.float64 }), prompt());
    for (let k = 0; k < K; k++) {
      if (k === cut) s = stopAll(s);
      s = reasoner.think(p, s);
    }
    const [l, aux] = readout(p, s) as [Array, Tree];
    dispose(aux);
    return l;
  };
  const gradOf = grad as unknown as (f: (p: Tree) => Array) => (p: Tree) => Tree;
  const g = jit(gradOf(loss));
  const out = await toHost(g(ref(params)));
  g.dispose();
  return out;
}

function stopAll(s: ReasonerState): ReasonerState {
  const stop = (x: Array) => (x.dtype === np.float64 ? lax.stopGradient(x) : x);
  return { latent: stop(s.latent), carry: mapLeaves(s.carry, stop), position: s.position };
}

for (const model of MODELS) {
  test(`${model}: full BPTT equals plain jit(grad); diagnostics have K positive entries`, async () => {
    const r = tinyReasoner(model);
    const p = float64Params(r);
    const full = await runChain(r, p, { latentSteps: K });
    const expected = await plainGrad(r, p);
    assert.ok(maxRelDiff(full.grads, expected) < 1e-12, `diff ${maxRelDiff(full.grads, expected)}`);
    assert.equal(full.stepGradNorms.length, K);
    assert.equal(full.latentNorms.length, K);
    assert.ok(full.stepGradNorms.every((x) => x > 0 && Number.isFinite(x)), `${full.stepGradNorms}`);
    assert.ok(full.latentNorms.every((x) => x > 0 && Number.isFinite(x)), `${full.latentNorms}`);
    dispose(p);
  });

  test(`${model}: truncate k = K equals full BPTT; k = 1 equals a stop-gradient on s_2 and starves the prompt`, async () => {
    const r = tinyReasoner(model);
    const p = float64Params(r, 1);
    const full = await runChain(r, p, { latentSteps: K });
    const same = await runChain(r, p, { latentSteps: K, truncate: K });
    assert.equal(maxRelDiff(same.grads, full.grads), 0);
    assert.deepEqual(same.stepGradNorms, full.stepGradNorms);
    const cut = await runChain(r, p, { latentSteps: K, truncate: 1 });
    const expected = await plainGrad(r, p, K - 1);
    assert.ok(maxRelDiff(cut.grads, expected) < 1e-12);
    assert.ok(maxRelDiff(cut.grads, full.grads) > 1e-6, "truncation must change the gradient");
    assert.deepEqual(cut.stepGradNorms.slice(0, K - 1), [0, 0], "no gradient reaches s_1, s_2");
    assert.ok(Math.abs(cut.stepGradNorms[K - 1] - full.stepGradNorms[K - 1]) < 1e-12, "s_K gets the same cotangent");
    // embedding rows of tokens that only the prompt holds get no gradient
    const table = cut.grads[leafPaths(p).indexOf("embed.table")];
    const dim = table.shape[1];
    for (const token of new Set(promptValues.filter((t) => t !== 0))) {
      assert.ok(table.values.slice(token * dim, (token + 1) * dim).every((v) => v === 0), `row ${token}`);
    }
    dispose(p);
  });

}

test("unitNormPerExample: unit norm per example over the recurrent state; the rest untouched", async () => {
  for (const model of MODELS) {
    const r = tinyReasoner(model);
    const p = float64Params(r, 4);
    // a state after reading 5 tokens and one thought: position 6, so the transformer's slot is 5
    const s = r.think(p, r.read(p, r.start(2, { dtype: np.float64 }), prompt()));
    let seed = 50;
    const random = (x: Array) => {
      if (x.dtype !== np.float64) return x; // the bool validity mask stays as it is
      x.dispose();
      return randomInput(seed++, x.shape);
    };
    const g = { latent: random(s.latent), carry: mapLeaves(s.carry, random) };
    const before = await toHost(ref(g) as unknown as Tree);
    const normed = unitNormPerExample(r, { latent: g.latent.ref, carry: ref(g.carry) }, s.position);
    const norms = await host(recurrentNorm(r, normed, s.position));
    norms.forEach((n) => assert.ok(Math.abs(n - 1) < 1e-12, `${model}: norm ${n}`));
    const after = await toHost(normed as unknown as Tree);
    if (model === "transformer") {
      // cache slots other than 5 and the bool validity mask are unchanged
      const [, maxLen, dim] = before[1].shape;
      before.slice(1).forEach((leaf, i) => {
        leaf.values.forEach((v, j) => {
          const slot = leaf.shape.length === 3 ? Math.floor(j / dim) % maxLen : -1;
          if (slot !== 5) assert.equal(after[i + 1].values[j], v);
        });
      });
    }
    dispose([g.latent, g.carry, p]);
  }
});
