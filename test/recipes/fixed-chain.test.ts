// The fixed-K token chain (the bet's equal framing for the token arms): whatever the parameters,
// greedy and sampled rows are exactly K task tokens, the forced `<eot> <ans>`, and a non-empty
// answer, so an untrained or collapsed policy is wrong, never malformed; the rows GRPO trains on
// count only the sampled tokens as actions; a GRPO run on it writes K tokens a rollout and is
// evaluated well-formed.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEngine } from "../../src/engine/backend.js";
import { random } from "../../src/engine/jax.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, ref, type Tree } from "../../src/engine/tree.js";
import { makeReasoner } from "../../src/models/index.js";
import { fixedChain, fixedChainWidth } from "../../src/recipes/fixed-chain.js";
import { cot } from "../../src/recipes/cot.js";
import { answerFromChain, promptGrid } from "../../src/recipes/framing.js";
import { evaluate, makePredictor } from "../../src/runs/evaluate.js";
import { tokens } from "../../src/recipes/supervised-parts.js";
import { RunDir, resolveRunConfig } from "../../src/runs/index.js";
import { RUN_METHOD_SPECS, trainRun } from "../../src/runs/train-run.js";
import { chainRow, fixedChainRow, makeFixedChainGoldSampler, makeFixedChainSampler, makeScorer, perRowAnswer, rolloutGrids, sampleWithGoldLogp, scoreRollouts } from "../../src/trainers/policy-gradient.js";
import { getTask, SPECIAL, SPECIAL_TOKENS } from "../../src/tasks/index.js";

let dir: string;
before(async () => {
  await startEngine("wasm");
  dir = await mkdtemp(join(tmpdir(), "neuralese-fixed-chain-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const task = getTask("pointer-chase");
const options = { symbols: 4, maxHops: 3, trainHops: { min: 1, max: 3 } };
const limits = task.limits(options);
const isContent = (t: number) => Number.isInteger(t) && t >= SPECIAL_TOKENS.length;

/** Rows [n, width] of a flat array. */
const rowsOf = (flat: ArrayLike<number>, width: number) =>
  globalThis.Array.from({ length: flat.length / width }, (_, i) => globalThis.Array.from(flat).slice(i * width, (i + 1) * width));

function assertWellFormed(row: number[], K: number, vocab: number) {
  assert.equal(row.length, fixedChainWidth(K, limits));
  assert.ok(row.slice(0, K).every(isContent), `chain ${row.slice(0, K)} holds a special token`);
  assert.deepEqual(row.slice(K, K + 2), [SPECIAL.endThought, SPECIAL.answer]);
  assert.ok(isContent(row[K + 2]) && row[K + 2] < vocab, `first answer token ${row[K + 2]}`);
  assert.ok(answerFromChain(row).length >= 1);
}

test("greedy and sampled fixed chains: K task tokens, <eot> <ans> forced, a non-empty answer", async () => {
  const vocab = task.vocab(options).size;
  const examples = task.generate(3, "val", 16, options);
  for (const [model, K, seed] of [["transformer", 1, 0], ["transformer", 3, 1], ["gru", 5, 2]] as const) {
    const recipe = fixedChain(K);
    const reasoner = makeReasoner({ model, vocab, dim: 16, layers: 1, heads: model === "transformer" ? 2 : 1, maxLen: recipe.sequenceLength(limits) });
    const params = reasoner.init(modelKey(seed)) as Tree;
    const greedy = rowsOf(await recipe.predict(reasoner, params, tokens(promptGrid(examples, limits)), limits).data(), fixedChainWidth(K, limits));
    greedy.forEach((row) => assertWellFormed(row, K, vocab));
    for (const temperature of [1, 3]) {
      const sampler = makeFixedChainSampler(reasoner, K, limits, temperature, true);
      const drawn = rowsOf(await sampler(ref(params), tokens(promptGrid(examples, limits)), random.key(seed)).data(), fixedChainWidth(K, limits));
      drawn.forEach((row) => assertWellFormed(row, K, vocab));
      sampler.dispose();
    }
    // the chain alone (what a likelihood reward needs): exactly K tokens
    const chainOnly = makeFixedChainSampler(reasoner, K, limits, 1, false);
    const chains = rowsOf(await chainOnly(ref(params), tokens(promptGrid(examples, limits)), random.key(9)).data(), K);
    assert.equal(chains.length, examples.length);
    assert.ok(chains.every((c) => c.length === K && c.every(isContent)));
    chainOnly.dispose();
    dispose(params);
  }
});

test("evaluation counts well-formed answers: an untrained free chain is often malformed, the fixed chain never", async () => {
  const examples = task.generate(5, "val", 32, options);
  const vocab = task.vocab(options).size;
  const K = 2;
  const fixed = fixedChain(K);
  const free = cot();
  const reasoner = makeReasoner({ model: "transformer", vocab, dim: 16, layers: 1, heads: 2, maxLen: Math.max(fixed.sequenceLength(limits), free.sequenceLength(limits)) });
  const params = reasoner.init(modelKey(4)) as Tree;
  const score = async (recipe: typeof fixed) => {
    const predictor = makePredictor(recipe, reasoner, limits);
    const e = await evaluate(predictor, recipe, task, params, examples, limits, 16);
    predictor.dispose();
    return e;
  };
  assert.equal((await score(fixed)).wellFormed, 1);
  const f = await score(free);
  assert.ok(f.wellFormed < 1, `an untrained free chain closed with <eot> <ans> and an answer ${f.wellFormed * 100}% of the time`);
  assert.ok(f.accuracy <= f.wellFormed, "a malformed answer is never right");
  dispose(params);
});

test("fixed chain rows: the forced <eot> <ans> are never actions; the gold answer is teacher-forced", () => {
  const examples = task.generate(4, "train", 2, options);
  const K = 3;
  const cols = fixedChainWidth(K, limits);
  const gold = fixedChainRow([9, 10, 11], K, [12]);
  assert.deepEqual(gold.targets, [9, 10, 11, SPECIAL.endThought, SPECIAL.answer, 12, SPECIAL.end]);
  assert.equal(gold.actions, K);
  const sampled = fixedChainRow([9, 10, 11, SPECIAL.endThought, SPECIAL.answer, 12, SPECIAL.end, 13, 14], K, null);
  assert.deepEqual(sampled.targets, [9, 10, 11, SPECIAL.endThought, SPECIAL.answer, 12, SPECIAL.end]);
  const r = rolloutGrids(examples, [gold, sampled], limits, cols);
  assert.deepEqual(globalThis.Array.from(r.action.slice(0, cols)).slice(0, 7), [1, 1, 1, 0, 0, 0, 0]);
  assert.deepEqual(globalThis.Array.from(r.answer.slice(0, cols)).slice(0, 7), [0, 0, 0, 0, 0, 1, 1]);
  assert.deepEqual(globalThis.Array.from(r.action.slice(cols, 2 * cols)).slice(0, 7), [1, 1, 1, 0, 0, 1, 1]);
  assert.deepEqual(r.sampled, [[9, 10, 11], [9, 10, 11, 12, SPECIAL.end]]);
  // drawn with the special tokens masked: the chain, and a sampled answer's first token
  assert.deepEqual(globalThis.Array.from(r.restricted!.slice(0, cols)).slice(0, 7), [1, 1, 1, 0, 0, 0, 0]);
  assert.deepEqual(globalThis.Array.from(r.restricted!.slice(cols, 2 * cols)).slice(0, 7), [1, 1, 1, 0, 0, 1, 0]);
  assert.equal(rolloutGrids(examples, [chainRow([9, SPECIAL.endThought], [12], limits)], limits).restricted, null);
  assert.throws(() => fixedChain(0), /at least 1 token/);
  assert.throws(() => fixedChain(2).frame([], limits), /no gold chain to imitate/);
});

test("a fixed chain is scored under the policy it was drawn from: the task's tokens' probabilities sum to 1", async () => {
  // every content token as the first chain token of one prompt: their scored probabilities at
  // that target are the masked softmax's (sum 1); scored unmasked they would miss the specials' mass
  const vocab = task.vocab(options).size;
  const [example] = task.generate(5, "train", 1, options);
  const K = 2;
  const cols = fixedChainWidth(K, limits);
  const reasoner = makeReasoner({ model: "transformer", vocab, dim: 16, layers: 1, heads: 2, maxLen: fixedChain(K).sequenceLength(limits) });
  const params = reasoner.init(modelKey(4)) as Tree;
  const content = globalThis.Array.from({ length: vocab - SPECIAL_TOKENS.length }, (_, i) => SPECIAL_TOKENS.length + i);
  const rows = content.map((t) => fixedChainRow([t, content[0]], K, example.answer));
  const r = rolloutGrids(rows.map(() => example), rows, limits, cols);
  const scorer = makeScorer(reasoner, 1);
  const first = (logp: ArrayLike<number>) => rows.map((_, i) => Math.exp(logp[i * cols]));
  const masked = first(await scoreRollouts(scorer, params, r).data());
  const total = masked.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - 1) < 1e-4, `masked probabilities of the first chain token sum to ${total}`);
  const unmasked = first(await scoreRollouts(scorer, params, { ...r, restricted: null }).data());
  const special = 1 - unmasked.reduce((a, b) => a + b, 0);
  assert.ok(special > 1e-3, `an untrained policy puts ${special} on special tokens`);
  masked.forEach((p, i) => assert.ok(Math.abs(p - unmasked[i] / (1 - special)) < 1e-5, `token ${content[i]}: ${p} vs ${unmasked[i] / (1 - special)}`));
  scorer.dispose();
  dispose(params);
});

test("the gold-scoring sampler: the same chain as the fixed-chain sampler, and the scorer's gold-answer log-probabilities", async () => {
  const vocab = task.vocab(options).size;
  const examples = task.generate(6, "train", 8, options);
  const K = 3;
  const cols = fixedChainWidth(K, limits);
  const reasoner = makeReasoner({ model: "transformer", vocab, dim: 16, layers: 1, heads: 2, maxLen: fixedChain(K).sequenceLength(limits) });
  const params = reasoner.init(modelKey(7)) as Tree;
  for (const temperature of [1, 0.7]) {
    const sampler = makeFixedChainSampler(reasoner, K, limits, temperature, false);
    const plain = rowsOf(await sampler(ref(params), tokens(promptGrid(examples, limits)), random.key(9)).data(), K);
    const gold = makeFixedChainGoldSampler(reasoner, K, temperature);
    const fused = await sampleWithGoldLogp(gold, params, examples, limits, random.key(9));
    assert.deepEqual(fused.map((f) => globalThis.Array.from(f.chain)), plain);
    const rows = fused.map((f, i) => fixedChainRow(f.chain, K, examples[i].answer));
    const scorer = makeScorer(reasoner, temperature);
    const scored = perRowAnswer(await scoreRollouts(scorer, params, rolloutGrids(examples, rows, limits, cols)).data(), rolloutGrids(examples, rows, limits, cols));
    fused.forEach((f, i) => {
      assert.equal(f.answerLogp.length, examples[i].answer.length + 1);
      f.answerLogp.forEach((x, j) => assert.ok(Math.abs(x - scored[i][j]) < 1e-4, `row ${i} token ${j}: ${x} vs ${scored[i][j]}`));
    });
    [sampler, gold, scorer].forEach((f) => f.dispose());
  }
  dispose(params);
});

test("grpo (loglik) on a fixed chain from scratch: K tokens a rollout, every greedy answer well-formed", async () => {
  const K = 2;
  const config = resolveRunConfig(
    {
      task: { name: "pointer-chase", options: { symbols: 4, maxHops: 3, trainHops: "1-3" } },
      model: { dim: 16, layers: 1, heads: 2, latentSteps: K },
      method: { name: "grpo", options: { reward: "loglik", chain: "fixed", groupSize: 4, klCoef: 0 } },
      batchSize: 8,
      budget: { maxSteps: 3 },
      seed: 2,
      eval: { every: 1000, valExamples: 32, testExamples: 32 },
    },
    { methods: RUN_METHOD_SPECS },
  );
  const summary = (await trainRun(config, () => RunDir.create(join(dir, "grpo"), config))) as Record<string, any>;
  assert.equal(summary.test.wellFormed, 1);
  const rd = await RunDir.open(join(dir, "grpo"), { methods: RUN_METHOD_SPECS });
  const lines = (await rd.readMetrics()).records.filter((r: any) => typeof r.loss === "number") as any[];
  assert.equal(lines.length, 3);
  assert.ok(lines.every((l) => l.sampledTokens === K), `sampled tokens per rollout: ${lines.map((l) => l.sampledTokens)}`);
});
