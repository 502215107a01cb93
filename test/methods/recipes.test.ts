// Each supervised recipe really learns a small task: loss falls and held-out accuracy rises
// (fixed seeds, tiny transformer, a few seconds each).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, type Tree } from "../../src/engine/tree.js";
import { evaluate, makePredictor } from "../../src/methods/evaluate.js";
import { recipeFor } from "../../src/methods/index.js";
import { makeSupervisedStep } from "../../src/methods/supervised-step.js";
import { makeReasoner } from "../../src/models/index.js";
import { adamw, chain, clipByGlobalNorm } from "../../src/optim/index.js";
import { getTask } from "../../src/tasks/index.js";

before(async () => {
  await startEngine("wasm");
});

// one hop over 4 symbols (chance 1/4): every recipe, direct included, can learn it quickly
const task = getTask("pointer-chase");
const options = { symbols: 4, maxHops: 2, trainHops: { min: 1, max: 1 } };
const limits = task.limits(options);
const vocab = task.vocab(options).size;
const [B, STEPS, K] = [32, 200, 2];

async function learn(method: string, methodOptions: Record<string, unknown> = {}) {
  const recipe = recipeFor(method, K, methodOptions);
  const reasoner = makeReasoner({ model: "transformer", vocab, dim: 32, layers: 2, heads: 2, maxLen: recipe.sequenceLength(limits) });
  const optimizer = chain(clipByGlobalNorm(1), adamw({ lr: 3e-3 }));
  let params = reasoner.init(modelKey(1)) as Tree;
  let state = optimizer.init(params);
  const step = makeSupervisedStep(recipe, reasoner, optimizer);
  const predictor = makePredictor(recipe, reasoner, limits);
  const train = task.generate(1, "train", 640, options); // of the ~819 train questions 4 symbols allow
  const val = task.generate(1, "val", 64, options);
  const before = await evaluate(predictor, recipe, task, params, val, limits, B);
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    const [loss, p2, s2, metrics, health] = step(params, state, recipe.frame(train.slice((s * B) % 640, (s * B) % 640 + B), limits));
    [params, state] = [p2, s2];
    losses.push((await loss.data())[0]);
    dispose([metrics, health] as unknown as Tree);
  }
  const after = await evaluate(predictor, recipe, task, params, val, limits, B);
  step.dispose();
  predictor.dispose();
  dispose(params);
  dispose(state);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { first: mean(losses.slice(0, 10)), last: mean(losses.slice(-10)), before: before.accuracy, after: after.accuracy };
}

for (const [method, opts] of [["direct", {}], ["pause", {}], ["cot", {}], ["neuralese", {}], ["neuralese", { gradNorm: true }], ["neuralese", { truncate: 1 }]] as const) {
  test(`${method} ${JSON.stringify(opts)} learns one-hop pointer-chase`, async () => {
    const r = await learn(method, opts);
    assert.ok(r.last < r.first / 2, `loss ${r.first.toFixed(3)} -> ${r.last.toFixed(3)}`);
    assert.ok(r.after >= 0.5 && r.after >= r.before + 0.3, `val accuracy ${r.before} -> ${r.after} (chance 0.25)`);
  });
}
