// Exit rules: the per-example exit step from a matrix of changes, the change measures, and the
// neuralese recipe's predictions under a rule against fixed-K predictions of the same parameters.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { np } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, ref, type Tree } from "../../src/engine/tree.js";
import { evaluate, makePredictor } from "../../src/runs/evaluate.js";
import { neuralese } from "../../src/recipes/neuralese.js";
import { makeReasoner } from "../../src/models/index.js";
import { exitSteps, klDivergence, relativeChange, selectByStep } from "../../src/reasoning/index.js";
import { getTask } from "../../src/tasks/index.js";

before(async () => {
  await startEngine("wasm");
});

const host = async (x: { data(): Promise<ArrayLike<number>> }) => globalThis.Array.from(await x.data(), Number);

test("exit step: the first thought whose change is below the threshold, else K", async () => {
  const changes = np.array([
    [0.5, 0.05, 0.01, 0.5], // first below 0.1 at step 2
    [0.01, 0.5, 0.5, 0.5], // step 1
    [0.5, 0.5, 0.5, 0.5], // never: K = 4
    [0.5, 0.5, 0.5, 0.09], // step 4
  ]);
  assert.deepEqual(await host(exitSteps(changes.ref, 0.1)), [2, 1, 4, 4]);
  assert.deepEqual(await host(exitSteps(changes, 0)), [4, 4, 4, 4], "threshold 0: all K");
  const candidates = [0, 1, 2].map((k) => np.array(Int32Array.from([10 + k, 20 + k, 30 + k, 40 + k, 50 + k, 60 + k]), { dtype: np.int32 }).reshape([3, 2]));
  const picked = selectByStep(candidates, np.array(Int32Array.from([3, 1, 2]), { dtype: np.int32 }));
  assert.deepEqual(await host(picked), [12, 22, 30, 40, 51, 61]);
});

test("relative latent change and KL between answer distributions", async () => {
  const prev = np.array([[3, 4], [1, 0]]);
  const next = np.array([[3, 4], [1, 1]]);
  const rel = await host(relativeChange(prev, next));
  assert.ok(Math.abs(rel[0]) < 1e-7 && Math.abs(rel[1] - 1) < 1e-6, `${rel}`);
  const p = [0.2, 1.0, -0.5];
  const q = [0.0, 0.3, 0.4];
  const soft = (l: number[]) => l.map((x) => Math.exp(x) / l.reduce((a, y) => a + Math.exp(y), 0));
  const [sp, sq] = [soft(p), soft(q)];
  const want = sp.reduce((a, pi, i) => a + pi * Math.log(pi / sq[i]), 0);
  const kl = await host(klDivergence(np.array([p, q]), np.array([q, q])));
  assert.ok(Math.abs(kl[0] - want) < 1e-5 && Math.abs(kl[1]) < 1e-6, `${kl} vs ${want}`);
});

test("neuralese under an exit rule: threshold ∞ answers as K = 1, threshold 0 as K = 3, steps reported", async () => {
  const task = getTask("pointer-chase");
  const options = { symbols: 6, maxHops: 3, trainHops: { min: 1, max: 3 } };
  const limits = task.limits(options);
  const examples = task.generate(3, "val", 32, options);
  const fixed = (K: number) => neuralese({ latentSteps: K, truncate: null, gradNorm: false });
  const ruled = (rule: "latent-change" | "answer-kl", threshold: number) => neuralese({ latentSteps: 3, truncate: null, gradNorm: false, exit: { rule, threshold } });
  const reasoner = makeReasoner({ model: "transformer", vocab: task.vocab(options).size, dim: 16, layers: 1, heads: 2, maxLen: fixed(3).sequenceLength(limits) });
  const params = reasoner.init(modelKey(4)) as Tree;
  const answers = async (recipe: ReturnType<typeof fixed>) => {
    const predictor = makePredictor(recipe, reasoner, limits);
    const prompt = (await import("../../src/recipes/framing.js")).promptGrid(examples, limits);
    const rows = await predictor(ref(params), np.array(prompt.ids, { dtype: np.int32 }).reshape([prompt.rows, prompt.cols])).data();
    predictor.dispose();
    const width = rows.length / examples.length;
    return examples.map((_, i) => {
      const row = rows.subarray(i * width, (i + 1) * width);
      return { answer: recipe.answerOf(row), steps: recipe.stepsOf?.(row) };
    });
  };
  const [one, three] = [await answers(fixed(1)), await answers(fixed(3))];
  for (const rule of ["latent-change", "answer-kl"] as const) {
    const early = await answers(ruled(rule, 1e9));
    const late = await answers(ruled(rule, 0));
    assert.deepEqual(early.map((r) => r.answer), one.map((r) => r.answer), `${rule} threshold ∞ = fixed K=1`);
    assert.deepEqual(early.map((r) => r.steps), examples.map(() => 1));
    assert.deepEqual(late.map((r) => r.answer), three.map((r) => r.answer), `${rule} threshold 0 = fixed K=3`);
    assert.deepEqual(late.map((r) => r.steps), examples.map(() => 3));
  }
  // evaluate reports the mean steps used, overall and per difficulty
  const recipe = ruled("latent-change", 1e9);
  const predictor = makePredictor(recipe, reasoner, limits);
  const e = await evaluate(predictor, recipe, task, params, examples, limits, 32);
  predictor.dispose();
  assert.equal(e.stepsUsed, 1);
  assert.ok(Object.values(e.byDifficulty).every((d) => d.stepsUsed === 1));
  dispose(params);
});
