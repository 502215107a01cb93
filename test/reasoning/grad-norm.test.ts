// Gradient-normalised BPTT against an independent hand-derived reference (grad-norm-reference.ts),
// in float64 on the exact cpu backend, on a 3-step chain: the gradient, the diagnostics, the
// truncated variant, and one AdamW update.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { jit, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { dispose, ref, type Tree } from "../../src/engine/tree.js";
import { latentChainValueAndGrad } from "../../src/reasoning/index.js";
import { adamw, applyUpdates, makeTrainStepFromGradients } from "../../src/optim/index.js";
import { answerReadout, float64Params, maxRelDiff, MODELS, prompt, rebuildLike, runChain, tinyReasoner } from "./fixtures.js";
import { gradNormReference, toHost } from "./grad-norm-reference.js";

before(async () => {
  await startEngine("cpu");
});

const K = 3;

for (const model of MODELS) {
  test(`${model}: gradNorm equals the hand-derived float64 reference on a 3-step chain (and with a cut)`, async () => {
    const r = tinyReasoner(model);
    const p = float64Params(r, 2);
    const normed = await runChain(r, p, { latentSteps: K, gradNorm: true });
    const expected = await gradNormReference(r, p, prompt, answerReadout(r), K);
    assert.ok(maxRelDiff(normed.grads, expected) < 1e-12, `diff ${maxRelDiff(normed.grads, expected)}`);
    const full = await runChain(r, p, { latentSteps: K });
    assert.ok(maxRelDiff(normed.grads, full.grads) > 1e-3, "normalisation must change the gradient");
    // the cotangent at s_K is measured before any normalisation: the same as full BPTT's
    assert.ok(Math.abs(normed.stepGradNorms[K - 1] - full.stepGradNorms[K - 1]) < 1e-12);
    assert.ok(normed.stepGradNorms.every((x) => x > 0));
    assert.deepEqual(normed.latentNorms, full.latentNorms);
    const cut = await runChain(r, p, { latentSteps: K, gradNorm: true, truncate: 2 });
    const expectedCut = await gradNormReference(r, p, prompt, answerReadout(r), K, 1);
    assert.ok(maxRelDiff(cut.grads, expectedCut) < 1e-12, `cut diff ${maxRelDiff(cut.grads, expectedCut)}`);
    assert.equal(cut.stepGradNorms[0], 0);
    dispose(p);
  });
}

test("gradNorm: one AdamW update equals the update from the reference gradient (gru, float64)", async () => {
  const r = tinyReasoner("gru");
  const p = float64Params(r, 3);
  const optimizer = adamw({ lr: 1e-2, weightDecay: 0.01 });
  const readout = answerReadout(r);
  const step = makeTrainStepFromGradients((params: Tree, tokens: Array) => {
    const c = latentChainValueAndGrad(r, params, tokens, readout, { latentSteps: K, gradNorm: true });
    dispose(c.aux);
    return { loss: c.loss, grads: c.grads, metrics: { stepGradNorms: c.stepGradNorms, latentNorms: c.latentNorms } };
  }, optimizer);
  const [loss, updated, state, metrics] = step(ref(p), optimizer.init(p), prompt());
  const got = await toHost(updated);
  // the same optimizer applied to the reference gradient
  const reference = await gradNormReference(r, p, prompt, readout, K);
  const refGrads = rebuildLike(p, reference);
  // jitted as the step is, so that scalar constants round alike (float32 under jit)
  const update = jit((g: Tree, s: Tree, params: Tree) => {
    const [updates, next] = optimizer.update(g, s as never, params);
    dispose(next);
    return applyUpdates(params, updates);
  });
  const expectedTree = update(refGrads, optimizer.init(p), ref(p)) as Tree;
  const expected = await toHost(expectedTree);
  dispose(expectedTree);
  update.dispose();
  assert.ok(maxRelDiff(got, expected) < 1e-12, `diff ${maxRelDiff(got, expected)}`);
  assert.ok(maxRelDiff(got, await toHost(p)) > 1e-4, "the step moved the parameters");
  dispose([loss, updated, state, metrics, p]);
  step.dispose();
});

