// Monitorability readouts (src/experiments/monitor): the logit lens on latents that are exact
// (tied) embeddings names the planted tokens and a probe reads them; the traced chain is the chain
// the recipe runs; written token chains are parsed into steps.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { jit, np, type Array } from "../../src/engine/jax.js";
const range = (n: number) => [...globalThis.Array(n).keys()];
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, ref, type Tree } from "../../src/engine/tree.js";
import { analyseLatentChain, frontiers, logitLens, readLatentChain, stepTargets, type ChainReadout } from "../../src/experiments/monitor/monitorability.js";
import { writtenSteps } from "../../src/experiments/monitor/cot-faithfulness.js";
import { recipeFor } from "../../src/trainers/index.js";
import { promptGrid } from "../../src/recipes/framing.js";
import { tokens } from "../../src/recipes/supervised-parts.js";
import { makeReasoner, type Reasoner, type TransformerParams } from "../../src/models/index.js";
import { layerNorm } from "../../src/nn/index.js";
import { thinkSteps } from "../../src/reasoning/index.js";
import { SPECIAL, getTask } from "../../src/tasks/index.js";
import { host, maxAbsDiff } from "../nn/util.js";

before(async () => {
  await startEngine("wasm");
});

const task = getTask("pointer-chase");
const options = { symbols: 8, maxHops: 4, trainHops: { min: 1, max: 4 } };
const vocab = task.vocab(options);
const limits = task.limits(options);
const K = 4;

test("the logit lens on latents that are exact embeddings gives the planted tokens, and a probe reads them", async () => {
  const examples = task.generate(3, "test", 400, options);
  const recipe = recipeFor("neuralese", K, { truncate: null, gradNorm: false });
  const reasoner = makeReasoner({ model: "transformer", vocab: vocab.size, dim: 32, layers: 1, heads: 2, maxLen: recipe.sequenceLength(limits) }) as unknown as Reasoner<TransformerParams>;
  const params = reasoner.init(modelKey(2));
  // unit-norm embedding rows; the head is the tied embedding, so row t scores highest on token t
  const { dim } = reasoner.config;
  const table = await host(params.embed.table.ref);
  const unit = Float32Array.from(table, (v, i) => {
    const r = Math.floor(i / dim);
    const norm = Math.hypot(...table.slice(r * dim, (r + 1) * dim));
    return (8 * v) / norm;
  });
  const tied = np.array(unit).reshape([vocab.size, dim]);
  const lensParams = { ...params, head: { w: tied.ref.transpose([1, 0]), b: np.zeros([vocab.size]) } } as TransformerParams;
  // thought k holds the embedding of the variable after k hops (the answer once the chain is done)
  const n = examples.length;
  const planted = examples.map((e) => range(K).map((k) => stepTargets(e)[Math.min(k, e.steps.length - 1)]));
  const latents = new Float32Array(K * n * dim);
  planted.forEach((ts, i) => ts.forEach((t, k) => latents.set(unit.subarray(t * dim, (t + 1) * dim), (k * n + i) * dim)));
  const lensFn = jit((p: TransformerParams, x: Array) => logitLens(reasoner, p, x));
  const lens = await host(lensFn(ref(lensParams as unknown as Tree) as never, np.array(latents).reshape([K, n, dim])));
  lensFn.dispose();
  const V = vocab.size;
  const readout: ChainReadout = {
    n,
    latentSteps: K,
    layers: 0,
    dim,
    vocab: V,
    latents: range(K).map((k) => latents.slice(k * n * dim, (k + 1) * n * dim)),
    layerStates: range(K).map(() => []),
    lens: range(K).map((k) => Float32Array.from(lens.slice(k * n * V, (k + 1) * n * V))),
  };
  const m = analyseLatentChain(readout, examples, task, vocab, { seed: 1, show: 2 });
  for (const row of m.lens.filter((l) => l.target === "hop")) {
    assert.equal(row.top1, 1, `lens top-1 at thought ${row.step}`);
    assert.equal(row.meanRank, 1);
  }
  const last = m.lens.find((l) => l.step === K && l.target === "answer")!;
  assert.equal(last.top1, 1, "the last thought holds every example's answer");
  const first = m.lens.find((l) => l.step === 1 && l.target === "answer")!;
  assert.ok(first.top1 < 0.6, `thought 1 holds the answer only for 1-hop questions, lens top-1 ${first.top1}`);
  const hopProbes = m.probes.filter((p) => p.target === "hop" && p.layer === "latent" && p.hop === p.step);
  assert.equal(hopProbes.length, K);
  for (const p of hopProbes) {
    assert.ok(p.accuracy > 0.95, `probe at thought ${p.step}: ${p.accuracy}`);
    assert.ok(p.control < 0.4, `control at thought ${p.step}: ${p.control}`);
  }
  // thought 1 holds f(s) only: f²(s) depends on each question's own table, so it is not linearly there
  const ahead = m.probes.find((p) => p.step === 1 && p.hop === 2)!;
  assert.ok(ahead.accuracy < 0.4, `thought 1 → hop 2: ${ahead.accuracy}`);
  assert.equal(m.examples.length, 2);
  const e = m.examples[0];
  e.thoughts.forEach((t, k) => assert.equal(t.lens[0][0], vocab.tokens[planted[e.index][k]]));
  dispose([params as unknown as Tree, lensParams.head as unknown as Tree]);
  tied.dispose();
});

test("the traced chain is the chain neuralese runs: last latent = thinkSteps', latent = final norm of the last layer", async () => {
  const examples = task.generate(4, "test", 8, options);
  const recipe = recipeFor("neuralese", K, { truncate: null, gradNorm: false });
  const reasoner = makeReasoner({ model: "transformer", vocab: vocab.size, dim: 16, layers: 2, heads: 2, maxLen: recipe.sequenceLength(limits) }) as unknown as Reasoner<TransformerParams>;
  const params = reasoner.init(modelKey(5));
  const r = await readLatentChain(recipe, reasoner, params, examples, limits, 4); // two batches
  assert.equal(r.layers, 2);
  assert.equal(r.latentSteps, K);
  const direct = jit((p: TransformerParams, prompt: Array) => {
    const B = prompt.shape[0];
    const withBot = np.concatenate([prompt, np.full([B, 1], SPECIAL.beginThought, { dtype: np.int32 })], 1);
    const s = thinkSteps(reasoner, p, reasoner.read(p, reasoner.start(B), withBot), K);
    dispose(s.carry);
    return s.latent;
  });
  const want = await host(direct(ref(params as unknown as Tree) as never, tokens(promptGrid(examples, limits))));
  direct.dispose();
  assert.ok(maxAbsDiff([...r.latents[K - 1]], want) < 1e-5, "last traced latent = thinkSteps' latent");
  const norm = jit((p: TransformerParams, x: Array) => layerNorm(p.lnFinal, x));
  for (let k = 0; k < K; k++) {
    const normed = await host(norm(ref(params as unknown as Tree) as never, np.array(r.layerStates[k][1]).reshape([examples.length, 16])));
    assert.ok(maxAbsDiff(normed, [...r.latents[k]]) < 1e-4, `thought ${k + 1}: final norm of the last layer = latent`);
  }
  norm.dispose();
  dispose(params as unknown as Tree);
});

test("a 2-layer GRU's traced layers are each cell's h; the top one is the latent", async () => {
  const examples = task.generate(4, "test", 4, options);
  const recipe = recipeFor("neuralese", 2, { truncate: null, gradNorm: false });
  const reasoner = makeReasoner({ model: "gru", vocab: vocab.size, dim: 8, layers: 2, heads: 1, maxLen: recipe.sequenceLength(limits) });
  const params = reasoner.init(modelKey(6));
  const r = await readLatentChain(recipe, reasoner, params, examples, limits, 4);
  assert.equal(r.layers, 2);
  for (let k = 0; k < 2; k++) {
    assert.deepEqual([...r.layerStates[k][1]], [...r.latents[k]]);
    assert.ok(maxAbsDiff([...r.layerStates[k][0]], [...r.latents[k]]) > 1e-3, "layer 0 is another state");
  }
  assert.ok(maxAbsDiff([...r.latents[0]], [...r.latents[1]]) > 1e-3, "each thought is its own state");
  dispose(params);
});

test("writtenSteps splits a decoded token chain at <sep> up to <eot>", () => {
  const { separator: sep, endThought: eot, answer: ans, end: eos } = SPECIAL;
  assert.deepEqual(writtenSteps([10, sep, 12, sep, 9, eot, ans, 9, eos]), { steps: [[10], [12], [9]], closed: true });
  assert.deepEqual(writtenSteps([10, 11, sep, 12]), { steps: [[10, 11], [12]], closed: false });
  assert.deepEqual(writtenSteps([eot, ans, 9]), { steps: [], closed: true });
});

test("prosqa frontiers: step k of the gold shortest path lies on frontier k; frontiers are disjoint", () => {
  const prosqa = getTask("prosqa");
  const v = prosqa.vocab({});
  for (const e of prosqa.generate(7, "test", 30, {})) {
    const f = frontiers(prosqa, e, v, e.steps.length)!;
    stepTargets(e).forEach((t, k) => assert.ok(f[k].includes(t), `gold step ${k + 1} on frontier ${k + 1}`));
    const all = f.flat();
    assert.equal(new Set(all).size, all.length);
  }
  assert.equal(frontiers(task, task.generate(1, "test", 1, options)[0], vocab, 2), null);
});
