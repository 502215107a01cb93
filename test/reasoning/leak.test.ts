// Jitted latent-chain training steps (full BPTT, truncated, gradient-normalised) must free what
// they allocate: live buffers flat over 30 steps.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { liveMemory, startMemoryProbe } from "../../src/engine/memory.js";
import { DataRng, modelKey } from "../../src/engine/rng.js";
import { dispose, type Tree } from "../../src/engine/tree.js";
import { adamw, makeTrainStepFromGradients } from "../../src/optim/index.js";
import { latentChainValueAndGrad, type LatentChainOptions } from "../../src/reasoning/index.js";
import { answerReadout, tinyReasoner, VOCAB } from "./fixtures.js";
import type { ModelKind } from "../../src/models/index.js";

before(async () => {
  await startEngine("wasm");
  await startMemoryProbe();
});

const cases: [ModelKind, LatentChainOptions][] = [
  ["transformer", { latentSteps: 3, gradNorm: true }],
  ["transformer", { latentSteps: 3, truncate: 1 }],
  ["lstm", { latentSteps: 3, gradNorm: true }],
];

for (const [model, opts] of cases) {
  test(`no leak over 30 jitted steps: ${model} ${JSON.stringify(opts)}`, async () => {
    const r = tinyReasoner(model);
    const readout = answerReadout(r);
    const optimizer = adamw({ lr: 1e-3 });
    const step = makeTrainStepFromGradients((p: Tree, tokens: Array) => {
      const c = latentChainValueAndGrad(r, p, tokens, readout, opts);
      return { loss: c.loss, grads: c.grads, metrics: { aux: c.aux, stepGradNorms: c.stepGradNorms, latentNorms: c.latentNorms } };
    }, optimizer);
    let params = r.init(modelKey(0));
    let state = optimizer.init(params);
    const data = new DataRng(0);
    let early = 0;
    for (let i = 0; i < 30; i++) {
      const tokens = np.array(Int32Array.from({ length: 10 }, () => data.int(0, VOCAB - 1)), { dtype: np.int32 }).reshape([2, 5]);
      const [loss, p2, s2, metrics] = step(params, state, tokens);
      await loss.data();
      dispose(metrics);
      [params, state] = [p2, s2];
      if (i === 9) early = liveMemory().buffers;
    }
    assert.equal(liveMemory().buffers, early, `live buffers grew from ${early} to ${liveMemory().buffers}`);
    dispose([params, state]);
    step.dispose();
  });
}

for (const model of ["transformer", "gru", "lstm"] as const) {
  test(`${model} reasoner, eager: read → think → decode frees every buffer it allocates`, async () => {
    const r = tinyReasoner(model);
    const p = r.init(modelKey(1));
    const once = async () => {
      const tokens = np.array(Int32Array.from([0, 3, 4, 5, 1, 2]), { dtype: np.int32 }).reshape([2, 3]);
      const s = r.think(p, r.read(p, r.start(2), tokens));
      const [logits, end] = r.decode(p, s, np.full([2, 2], 6, { dtype: np.int32 }));
      await logits.data();
      dispose([end.latent, end.carry]);
    };
    await once(); // warm-up: one-time constants
    const before = liveMemory().buffers;
    await once();
    await once();
    assert.equal(liveMemory().buffers, before);
    dispose(p);
  });
}
