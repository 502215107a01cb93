// The halting recipe end to end: it learns a small task (loss falls, held-out accuracy rises),
// predictions carry the steps used, options are checked, and a halting head pinned to halt at
// once (or never) selects the first (or last) block's answer.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { jit, np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, type Tree } from "../../src/engine/tree.js";
import { makePredictor } from "../../src/runs/evaluate.js";
import { promptGrid } from "../../src/recipes/framing.js";
import { initParams, METHODS, recipeFor } from "../../src/trainers/index.js";
import { tokens } from "../../src/recipes/supervised-parts.js";
import type { StepMetrics } from "../../src/trainers/supervised-step.js";
import { makeReasoner } from "../../src/models/index.js";
import { learnOneHop, limits, options, task, vocab } from "./one-hop.js";

before(async () => {
  await startEngine("wasm");
});

const resolve = (o: Record<string, unknown>) => METHODS.halting.options.parse(o);

test("halting (PonderNet) learns one-hop pointer-chase and reports the steps it used", async () => {
  const K = 2;
  const recipe = recipeFor("halting", K, resolve({ beta: 0.01, lambdaP: 0.3 }));
  let halt: number[] = [];
  const onStep = async (metrics: StepMetrics) => void (halt = globalThis.Array.from(await metrics.diagnostics.haltDistribution.ref.data(), Number));
  const { first, last, before, after } = await learnOneHop(recipe, { steps: 150, onStep });
  assert.ok(last < first / 2, `loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
  assert.ok(after.accuracy >= 0.5 && after.accuracy >= before.accuracy + 0.3, `val accuracy ${before.accuracy} -> ${after.accuracy} (chance 0.25)`);
  assert.equal(halt.length, K);
  assert.ok(Math.abs(halt[0] + halt[1] - 1) < 1e-5, `halting distribution ${halt}`);
  assert.ok(after.stepsUsed! >= 1 && after.stepsUsed! <= K, `steps used ${after.stepsUsed}`);
  for (const d of Object.values(after.byDifficulty)) assert.ok(d.stepsUsed! >= 1 && d.stepsUsed! <= K);
});

test("predict selects the halting block's answer and reports n·c steps", async () => {
  const recipe = recipeFor("halting", 4, resolve({ blockSize: 2, rule: "act" }));
  const reasoner = makeReasoner({ model: "gru", vocab, dim: 16, layers: 1, heads: 1, maxLen: recipe.sequenceLength(limits) });
  const examples = task.generate(2, "val", 4, options);
  const run = async (bias: number) => {
    const params = initParams(recipe, reasoner as never, modelKey(0)) as { model: Tree; halt: { w: Array; b: Array } };
    params.halt.b.dispose();
    params.halt.b = np.array(bias);
    const predictor = makePredictor(recipe, reasoner, limits);
    const rows = await predictor(params as never, tokens(promptGrid(examples, limits))).data();
    predictor.dispose();
    const width = rows.length / examples.length;
    return examples.map((_, i) => rows.subarray(i * width, (i + 1) * width));
  };
  // λ ≈ 1 at the first block: halt after c = 2 steps; λ ≈ 0: the last of N = 2 blocks, 4 steps
  const early = await run(30);
  const late = await run(-30);
  assert.deepEqual(early.map((r) => recipe.stepsOf!(r)), [2, 2, 2, 2]);
  assert.deepEqual(late.map((r) => recipe.stepsOf!(r)), [4, 4, 4, 4]);
  // "sample": λ ≈ 1 halts at the first block, λ ≈ 0 runs to the forced last one; λ = 1/2 mixes
  const sampler = recipeFor("halting", 4, resolve({ blockSize: 2, inference: "sample", sampleSeed: 3 }));
  const sampled = async (bias: number, prompts = examples) => {
    const params = initParams(sampler, reasoner as never, modelKey(0)) as { model: Tree; halt: { w: Array; b: Array } };
    params.halt.b.dispose();
    params.halt.b = np.array(bias);
    const predictor = makePredictor(sampler, reasoner, limits);
    const rows = await predictor(params as never, tokens(promptGrid(prompts, limits))).data();
    predictor.dispose();
    const width = rows.length / prompts.length;
    return prompts.map((_, i) => sampler.stepsOf!(rows.subarray(i * width, (i + 1) * width)));
  };
  assert.deepEqual(await sampled(30), [2, 2, 2, 2]);
  assert.deepEqual(await sampled(-30), [4, 4, 4, 4]);
  const mixed = await sampled(0, task.generate(3, "val", 64, options));
  const early2 = mixed.filter((s) => s === 2).length;
  assert.ok(early2 > 16 && early2 < 48, `λ = 1/2: ${early2} of 64 halted at the first block`);
  // the answer is the block's greedy answer: compare with neuralese's fixed-K predictions of the same model;
  // every row also carries each block's answer (block 1 after 2 steps, block 2 after 4)
  for (const [K, rows] of [[2, early], [4, late]] as const) {
    const fixed = recipeFor("neuralese", K, { truncate: null, gradNorm: false });
    const params = initParams(recipe, reasoner as never, modelKey(0)) as { model: Tree; halt: Tree };
    const predict = jit((p: Tree, prompt: Array) => fixed.predict(reasoner, p, prompt, limits));
    const expected = await predict(params.model, tokens(promptGrid(examples, limits))).data();
    predict.dispose();
    dispose(params.halt);
    const width = expected.length / examples.length;
    rows.forEach((r, i) => assert.deepEqual(recipe.answerOf(r), fixed.answerOf(expected.subarray(i * width, (i + 1) * width)), `example ${i}, K = ${K}`));
    [...early, ...late].forEach((r, i) => {
      const j = i % examples.length;
      assert.deepEqual(recipe.blockAnswersOf!(r)[K / 2 - 1], fixed.answerOf(expected.subarray(j * width, (j + 1) * width)), `block ${K / 2} of example ${j}`);
    });
  }
});

test("halting options: bad values name the field; maxSteps must match the latent steps", () => {
  assert.throws(() => resolve({ rule: "pondernett" }), /rule/);
  assert.throws(() => resolve({ lambdaP: 1.5 }), /lambdaP/);
  assert.throws(() => recipeFor("halting", 6, resolve({ maxSteps: 4 })), /maxSteps 4 × blockSize 1 must equal --latent-steps 6/);
  assert.throws(() => recipeFor("halting", 5, resolve({ blockSize: 2 })), /not a positive multiple of method.options.blockSize 2/);
});
