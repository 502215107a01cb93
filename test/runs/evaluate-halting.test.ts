// Evaluation of a recipe that chooses its steps per example and decodes after every block
// (halting): steps used per difficulty, their Spearman correlation with difficulty, and the
// accuracy of each block's answer, from the rows the halting recipe's predict lays out
// ([chosen answer, every block's answer, steps used]). The predictor is a stand-in that writes
// known rows, so every figure has a value computed by hand.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { evaluate, oracleSteps, type Predictor } from "../../src/runs/evaluate.js";
import { answerWidth } from "../../src/recipes/framing.js";
import { METHODS, recipeFor } from "../../src/trainers/index.js";
import { getTask, SPECIAL, SPECIAL_TOKENS } from "../../src/tasks/index.js";

before(async () => {
  await startEngine("wasm");
});

const task = getTask("pointer-chase");
const options = { symbols: 8, maxHops: 3, trainHops: { min: 1, max: 3 }, valHops: { min: 1, max: 3 } };
const limits = task.limits(options);
const N = 3;
const recipe = recipeFor("halting", N, METHODS.halting.options.parse({}));

/** A stand-in predictor: block n's answer is right iff n ≥ hops, and the chosen block is block `halt(hops)`. */
function fakePredictor(examples: ReturnType<typeof task.generate>, B: number, halt: (hops: number, index: number) => number): Predictor<never> {
  const W = answerWidth(limits);
  let call = 0;
  const f = (_params: unknown, prompt: Array) => {
    prompt.dispose();
    const rows: number[] = [];
    for (let i = 0; i < B; i++) {
      const index = Math.min(call * B + i, examples.length - 1);
      const e = examples[index];
      const first = SPECIAL_TOKENS.length; // symbol tokens first..first+7
      const wrong = ((e.answer[0] - first + 1) % 8) + first; // another symbol
      const block = (n: number) => [n >= e.difficulty ? e.answer[0] : wrong, SPECIAL.end, ...new globalThis.Array(W - 2).fill(0)];
      const h = halt(e.difficulty, index);
      rows.push(...block(h), ...[1, 2, 3].flatMap(block), h);
    }
    call++;
    return np.array(Int32Array.from(rows), { dtype: np.int32 }).reshape([B, (N + 1) * W + 1]);
  };
  return Object.assign(f, { dispose: () => {} }) as unknown as Predictor<never>;
}

test("evaluate reports steps per difficulty, their Spearman with difficulty, and each block's accuracy", async () => {
  const examples = task.generate(0, "val", 60, options);
  const count = (h: number) => examples.filter((e) => e.difficulty === h).length;
  assert.ok([1, 2, 3].every((h) => count(h) > 5));
  // halts at block = hops; block n is right iff n ≥ hops
  const e = await evaluate(fakePredictor(examples, 16, (h) => h), recipe, task, {} as never, examples, limits, 16);
  assert.equal(e.accuracy, 1);
  assert.equal(e.stepsSpearman, 1);
  assert.deepEqual(e.byDifficulty["1"].blockAccuracy, [1, 1, 1]);
  assert.deepEqual(e.byDifficulty["2"].blockAccuracy, [0, 1, 1]);
  assert.deepEqual(e.byDifficulty["3"].blockAccuracy, [0, 0, 1]);
  for (const h of [1, 2, 3]) {
    assert.equal(e.byDifficulty[String(h)].stepsUsed, h);
    assert.deepEqual(e.byDifficulty[String(h)].stepsHistogram, { [String(h)]: 1 });
  }
  const n = examples.length;
  const expected = [count(1) / n, (count(1) + count(2)) / n, 1];
  e.blockAccuracy!.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < 1e-12, `block ${i + 1}: ${a} vs ${expected[i]}`));
  assert.ok(Math.abs(e.stepsUsed! - (count(1) + 2 * count(2) + 3 * count(3)) / n) < 1e-12);
  // the oracle halts at the first block that is right (block = hops), whatever the head chose
  assert.equal(e.oracle!.stepsSpearman, 1);
  assert.ok(Math.abs(e.oracle!.stepsUsed - e.stepsUsed!) < 1e-12);
  for (const h of [1, 2, 3]) assert.equal(e.byDifficulty[String(h)].oracleSteps, h);
  // halting always at the first block: steps constant (no correlation: null), only one-hop questions right
  const early = await evaluate(fakePredictor(examples, 16, () => 1), recipe, task, {} as never, examples, limits, 16);
  assert.equal(early.stepsSpearman, null);
  assert.deepEqual(early.oracle, e.oracle, "the oracle reads the chain, not the head");
  // pointer-chase knows the hops a question needs (up to its first fixed point): halting there correlates perfectly with them
  const needed = examples.map((x) => task.stepsNeeded!(x));
  assert.ok(needed.some((k, i) => k < examples[i].difficulty), "some questions land on a fixed point early");
  const byNeed = await evaluate(fakePredictor(examples, 16, (_h, i) => needed[i]), recipe, task, {} as never, examples, limits, 16);
  assert.equal(byNeed.stepsSpearmanNeeded, 1);
  assert.ok(byNeed.stepsSpearman! < 1);
  assert.ok(e.stepsSpearmanNeeded! < 1, "halting at the nominal hops");
  assert.equal(early.accuracy, count(1) / n);
  // halting later on easier questions: a negative correlation
  const reversed = await evaluate(fakePredictor(examples, 16, (h) => 4 - h), recipe, task, {} as never, examples, limits, 16);
  assert.equal(reversed.stepsSpearman, -1);
  // a mixed halting step within one difficulty: the histogram gives each step's share
  const mixed = await evaluate(fakePredictor(examples, 16, (h, i) => (h === 2 && i % 2 === 0 ? 1 : 3)), recipe, task, {} as never, examples, limits, 16);
  const twos = examples.map((x, i) => [x.difficulty, i]).filter(([d]) => d === 2);
  const even = twos.filter(([, i]) => i % 2 === 0).length / twos.length;
  assert.ok(even > 0 && even < 1);
  assert.deepEqual(mixed.byDifficulty["2"].stepsHistogram, { "1": even, "3": 1 - even });
  assert.deepEqual(mixed.byDifficulty["3"].stepsHistogram, { "3": 1 });
});

test("the oracle halting step: the first block grading at least as well as the last, times the steps per block", () => {
  assert.equal(oracleSteps([0, 1, 0, 1], 1), 2, "right at block 2, wrong at 3, right again at 4: halting at 2 loses nothing");
  assert.equal(oracleSteps([1, 0, 0], 1), 1, "the full chain is wrong: halting at once loses nothing");
  assert.equal(oracleSteps([0, 0, 1], 2), 6, "only the last block is right");
  assert.equal(oracleSteps([0.3, 0.8, 0.5], 2), 4, "graded scores (inexact tasks): block 2 already beats the last");
});
