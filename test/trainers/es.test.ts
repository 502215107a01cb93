// Evolution strategies: the estimator points along the true gradient, generations are
// bit-identical whatever the number of worker threads, recipes' forward-only losses equal the
// losses they backpropagate, and ES learns one-hop pointer-chase on a tiny model.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { startEngine } from "../../src/engine/backend.js";
import { jit, type Array as JaxArray } from "../../src/engine/jax.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, type Tree } from "../../src/engine/tree.js";
import { evaluate, makePredictor } from "../../src/runs/evaluate.js";
import { centredRanks, keyArray, makeEstimator, noise, pairCoefficients, pairKey } from "../../src/trainers/es-members.js";
import { chunks, esOptions, esTrainer } from "../../src/trainers/es.js";
import { initParams, recipeFor, trainerFor } from "../../src/trainers/index.js";
import { makeReasoner, type Reasoner } from "../../src/models/index.js";
import { adamw, chain, clipByGlobalNorm } from "../../src/optim/index.js";
import { getTask } from "../../src/tasks/index.js";
import { treeHash } from "../runs/tiny-training.js";

before(async () => {
  await startEngine("wasm");
});

test("centred ranks: lowest −0.5, highest +0.5, ties share their mean rank", () => {
  const r = centredRanks([3, -1, 10, 7]);
  [-1 / 6, -0.5, 0.5, 1 / 6].forEach((want, i) => assert.ok(Math.abs(r[i] - want) < 1e-12, `rank ${i}: ${r[i]} vs ${want}`));
  assert.deepEqual([...centredRanks([1, 1, 0, 2])], [0, 0, -0.5, 0.5]);
  // antithetic coefficients: the pair whose + member is fitter pulls towards its ε (minus sign: a loss gradient)
  const c = pairCoefficients([2, 1, 0, 3], 0.5);
  assert.ok(c[0] < 0 && c[1] > 0, `coefficients ${[...c]}`);
});

test("options: population must be even, named in the error", () => {
  const r = esOptions.safeParse({ population: 7 });
  assert.ok(!r.success && /even/.test(r.error.issues[0].message) && r.error.issues[0].path[0] === "population");
  assert.deepEqual(chunks(5, 2), [[0, 2], [2, 5]]);
});

test("on a quadratic, the ES estimate's cosine with the true gradient exceeds 0.9 at a large population", async () => {
  // loss(θ) = ½ Σ a_i (θ_i − c_i)², gradient a ⊙ (θ − c)
  const n = 16;
  const a = Float64Array.from({ length: n }, (_, i) => 0.5 + (i % 5));
  const theta = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
  const loss = (x: ArrayLike<number>) => a.reduce((s, ai, i) => s + 0.5 * ai * (x[i] - 0.3) ** 2, 0);
  const truth = Float64Array.from(theta, (t, i) => a[i] * (t - 0.3));
  const cosineAt = async (population: number) => {
    const sigma = 0.05;
    const keys = Array.from({ length: population / 2 }, (_, j) => pairKey(7, 0, j));
    const fitness: number[] = [];
    const draw = jit((k: JaxArray) => noise(k, n));
    for (const k of keys) {
      const eps = (await draw(keyArray(k)).data()) as Float32Array;
      fitness.push(-loss(Float64Array.from(theta, (t, i) => t + sigma * eps[i])), -loss(Float64Array.from(theta, (t, i) => t - sigma * eps[i])));
    }
    const estimator = makeEstimator(n);
    const g = (await estimator.estimate(keys, pairCoefficients(fitness, sigma)).data()) as Float32Array;
    estimator.dispose();
    draw.dispose();
    const dot = g.reduce((s, gi, i) => s + gi * truth[i], 0);
    return dot / Math.hypot(...g) / Math.hypot(...truth);
  };
  const [small, large] = [await cosineAt(8), await cosineAt(1000)];
  assert.ok(large > 0.9, `cosine ${large.toFixed(3)} at population 1000`);
  assert.ok(large > small, `more members, better estimate: ${small.toFixed(3)} -> ${large.toFixed(3)}`);
});

const task = getTask("pointer-chase");
const taskOptions = { symbols: 4, maxHops: 2, trainHops: { min: 1, max: 1 } };
const limits = task.limits(taskOptions);
const vocab = task.vocab(taskOptions).size;
const K = 1;

test("each recipe's forward-only loss equals the loss it backpropagates", async () => {
  const examples = task.generate(3, "train", 8, taskOptions);
  for (const name of ["direct", "pause", "cot", "neuralese"]) {
    const recipe = recipeFor(name, K, name === "neuralese" ? { truncate: null, gradNorm: false } : {});
    const reasoner = makeReasoner({ model: "transformer", vocab, dim: 16, layers: 1, heads: 2, maxLen: recipe.sequenceLength(limits) }) as Reasoner<Tree>;
    const params = reasoner.init(modelKey(2));
    const out = recipe.lossAndGrad(reasoner, params, recipe.frame(examples, limits));
    const fwd = recipe.loss!(reasoner, params, recipe.frame(examples, limits));
    const [l1, l2] = [(await out.loss.data())[0], (await fwd.loss.data())[0]];
    assert.ok(Math.abs(l1 - l2) < 1e-5, `${name}: ${l1} vs ${l2}`);
    assert.deepEqual([...(await out.correct.data())], [...(await fwd.correct.data())]);
    dispose([out.grads, params] as Tree[]);
    dispose(Object.values(out.diagnostics));
  }
});

function setup(esOpts: Record<string, unknown>, lr = 0.01) {
  const options = esOptions.parse(esOpts);
  const recipe = recipeFor("es", K, options);
  const reasoner = makeReasoner({ model: "transformer", vocab, dim: 16, layers: 1, heads: 2, maxLen: recipe.sequenceLength(limits) }) as Reasoner<Tree>;
  return {
    task,
    taskOptions,
    limits,
    reasoner,
    recipe,
    optimizer: chain(clipByGlobalNorm(1), adamw({ lr })),
    batchSize: 16,
    latentSteps: K,
    seed: 5,
    options,
    params: initParams(recipe, reasoner, modelKey(5)),
  };
}

test("the same seed gives bit-identical parameters with 1 and with 2 workers", async () => {
  const examples = task.generate(5, "train", 48, taskOptions);
  const hashes: string[] = [];
  for (const workers of [1, 2]) {
    const trainer = esTrainer(setup({ population: 6, workers }));
    const losses: number[] = [];
    for (let s = 0; s < 3; s++) losses.push((await trainer.step(examples.slice(16 * s, 16 * s + 16), s)).loss);
    hashes.push(`${await treeHash(trainer.trees().params)} ${await treeHash(trainer.trees().optimizer)} ${losses.join(",")}`);
    trainer.dispose();
  }
  assert.equal(hashes[1], hashes[0]);
});

// ES gets a low-dimensional view of the gradient per generation: in this budget it learns the
// answer format and the symbols' distribution (val accuracy from 0 to about chance, 1/4), not yet the lookup
const STEPS = 80;
test("es raises one-hop pointer-chase accuracy on a tiny model", async () => {
  const s = setup({ population: 32, sigma: 0.05 });
  assert.equal(trainerFor("es"), esTrainer);
  const trainer = esTrainer(s);
  const predictor = makePredictor(s.recipe, s.reasoner, limits);
  const train = task.generate(1, "train", 640, taskOptions);
  const val = task.generate(1, "val", 64, taskOptions);
  const before = await evaluate(predictor, s.recipe, task, trainer.trees().params, val, limits, 64);
  let report;
  const losses: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    report = await trainer.step(train.slice((step * 16) % 640, (step * 16) % 640 + 16), step);
    losses.push(report.loss);
  }
  const after = await evaluate(predictor, s.recipe, task, trainer.trees().params, val, limits, 64);
  // budget charges: forward passes only, the minibatch once per generation
  assert.deepEqual(report!.charge.examples, 16);
  assert.equal(report!.charge.backwardTokens, 0);
  assert.equal(report!.diagnostics!.memberForwardPasses, STEPS * 32 * 16);
  predictor.dispose();
  trainer.dispose();
  assert.ok(losses.at(-1)! < losses[0] / 2, `member mean loss ${losses[0]} -> ${losses.at(-1)}`);
  assert.ok(after.accuracy >= before.accuracy + 0.15, `val accuracy ${before.accuracy} -> ${after.accuracy}`);
});
