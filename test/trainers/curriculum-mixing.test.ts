// Per-example stage mixing of Coconut's curriculum (mixing: "example"): which stage each example
// draws, that the split batch's update follows the gradient of the token-mean loss over the whole
// mixed batch (padding unscored), and that it reduces to the per-batch step without mixing.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, flattenNamed, ref, type Tree } from "../../src/engine/tree.js";
import { curriculumSchema, groupRows, scheduledStage, stagesAt, type Curriculum } from "../../src/recipes/curriculum.js";
import { frameGroup, makeStageAccumulator, zeroSums } from "../../src/trainers/curriculum-mixed-step.js";
import { curriculumTrainer } from "../../src/trainers/curriculum-trainer.js";
import { METHODS, recipeFor } from "../../src/trainers/index.js";
import { makeReasoner } from "../../src/models/index.js";
import { sgd, type GradientTransformation } from "../../src/optim/index.js";
import { getTask } from "../../src/tasks/index.js";

before(async () => {
  await startEngine("wasm");
});

const curriculum = (o: Partial<Curriculum> = {}): Curriculum => curriculumSchema.parse({ stages: 2, stepsPerStage: 10, mixing: "example", ...o });

test("per-example draws: the schedule without mixing, else each example its own stage, seeded", () => {
  assert.equal(curriculumSchema.parse({ stages: 2, stepsPerStage: 3 }).mixing, "batch", "the default stays per batch");
  assert.throws(() => curriculumSchema.parse({ stages: 2, stepsPerStage: 3, mixing: "token" }), /mixing/);
  const plain = curriculum();
  for (const s of [0, 9, 10, 25]) assert.deepEqual(stagesAt(plain, 10, 3, s, 8), Array(8).fill(scheduledStage(plain, 10, s)));
  const mixed = curriculum({ mixProbability: 0.6 });
  const draws = stagesAt(mixed, 1000, 3, 5, 600); // scheduled stage 0
  assert.deepEqual(draws, stagesAt(mixed, 1000, 3, 5, 600), "a pure function of seed, step and place");
  assert.deepEqual(stagesAt(mixed, 1000, 3, 5, 10), draws.slice(0, 10), "an example's stage does not depend on the batch size");
  assert.notDeepEqual(stagesAt(mixed, 1000, 3, 6, 600), draws, "another step draws anew");
  const counts = [0, 1, 2].map((k) => draws.filter((d) => d === k).length);
  // off stage 0: 0.6 × 2/3 = 40% of the examples, split evenly between stages 1 and 2
  assert.ok(counts[1] > 90 && counts[1] < 150 && counts[2] > 90 && counts[2] < 150, `stage counts ${counts}`);
  assert.deepEqual([1, 2, 3, 5, 17, 32, 40].map((n) => groupRows(n, 32)), [1, 2, 4, 8, 32, 32, 40]);
});

// pointer-chase, 2 hops over 4 symbols (as the curriculum tests)
const task = getTask("pointer-chase");
const taskOptions = { symbols: 4, maxHops: 2, trainHops: { min: 2, max: 2 } };
const limits = task.limits(taskOptions);

function setupFor(method: "neuralese" | "pause", c: Record<string, unknown>, optimizer: GradientTransformation<Tree>, seed = 1) {
  const recipe = recipeFor(method, 2, METHODS[method].options.parse({ curriculum: c }));
  const reasoner = makeReasoner({ model: "transformer", vocab: task.vocab(taskOptions).size, dim: 32, layers: 2, heads: 2, maxLen: recipe.sequenceLength(limits) });
  return { task, taskOptions, limits, reasoner, recipe, optimizer: optimizer as GradientTransformation<Tree>, batchSize: 8, seed, options: {}, params: reasoner.init(modelKey(seed)) as Tree };
}

const leafValues = async (t: Tree): Promise<Record<string, number[]>> =>
  Object.fromEntries(await Promise.all(Object.entries(flattenNamed(t)).map(async ([k, v]) => [k, Array.from(await v.ref.data(), Number)] as const)));

test("a mixed batch steps along the token-mean gradient over all its examples, whatever the grouping and padding", async () => {
  // SGD with lr 1 and no clipping: the parameter change is minus the gradient
  const c = { stages: 2, stepsPerStage: 100, mixProbability: 1, mixing: "example" };
  const setup = setupFor("neuralese", c, sgd({ lr: 1 }) as unknown as GradientTransformation<Tree>);
  const examples = task.generate(2, "train", 8, taskOptions);
  const stages = stagesAt(curriculumSchema.parse(c), 100, setup.seed, 0, 8);
  const sizes = [0, 1, 2].map((k) => stages.filter((s) => s === k).length);
  assert.ok(sizes.every((n) => n > 0) && sizes.some((n) => groupRows(n, 8) > n), `stages ${stages}: three groups, one of them padded`);
  // reference: each example alone at its stage (one row, nothing padded), combined by scored tokens
  const before = ref(setup.params);
  let [tokens, loss] = [0, 0];
  const grads: Record<string, number[]> = {};
  const accumulators = [0, 1, 2].map((k) => makeStageAccumulator(setup.recipe.curriculum!.stage(k), setup.reasoner));
  for (let i = 0; i < 8; i++) {
    const recipe = setup.recipe.curriculum!.stage(stages[i]);
    const acc = accumulators[stages[i]];
    const [sums, correct] = acc(ref(before), frameGroup(recipe, [examples[i]], limits, 8), zeroSums(before));
    correct.dispose();
    const m = (await sums.tokens.data())[0];
    tokens += m;
    loss += (await sums.loss.data())[0];
    for (const [k, v] of Object.entries(await leafValues(sums.grads))) grads[k] = (grads[k] ?? v.map(() => 0)).map((x, j) => x + v[j]);
    dispose(sums.grads);
    assert.ok(m > 0);
  }
  accumulators.forEach((a) => a.dispose());
  const trainer = curriculumTrainer(setup);
  const report = await trainer.step(examples, 0);
  assert.deepEqual(report.diagnostics!.stageCounts, [0, 1, 2].map((k) => stages.filter((s) => s === k).length));
  assert.ok(Math.abs(report.loss - loss / tokens) < 1e-5, `loss ${report.loss} vs ${loss / tokens}`);
  const [was, now] = [await leafValues(before), await leafValues(trainer.trees().params)];
  let worst = 0;
  let scale = 0;
  for (const k of Object.keys(grads)) {
    grads[k].forEach((g, j) => {
      const want = -g / tokens;
      worst = Math.max(worst, Math.abs(now[k][j] - was[k][j] - want));
      scale = Math.max(scale, Math.abs(want));
    });
  }
  assert.ok(scale > 1e-3, "the gradient is not trivially zero");
  assert.ok(worst < 1e-4 * Math.max(1, scale), `largest deviation from the combined gradient ${worst} (gradient scale ${scale})`);
  dispose(before);
  trainer.dispose();
});

test("without mixing, per-example mode makes the per-batch step", async () => {
  const examples = task.generate(3, "train", 16, taskOptions);
  const after: Record<string, number[]>[] = [];
  const losses: number[] = [];
  for (const mixing of ["batch", "example"]) {
    // plain SGD: Adam's normalisation would blow float rounding on tiny gradients up to a step size
    const setup = setupFor("pause", { stages: 2, stepsPerStage: 1, mixing, optimizerReset: "never" }, sgd({ lr: 0.1 }) as unknown as GradientTransformation<Tree>);
    const trainer = curriculumTrainer(setup);
    for (let s = 0; s < 3; s++) losses.push((await trainer.step(examples.slice(0, 8), s)).loss); // stages 0, 1, 2
    after.push(await leafValues(trainer.trees().params));
    trainer.dispose();
  }
  losses.slice(0, 3).forEach((l, i) => assert.ok(Math.abs(l - losses[3 + i]) < 1e-5, `step ${i} loss ${l} vs ${losses[3 + i]}`));
  let worst = 0;
  for (const k of Object.keys(after[0])) after[0][k].forEach((v, j) => (worst = Math.max(worst, Math.abs(v - after[1][k][j]))));
  assert.ok(worst < 1e-5, `largest parameter difference ${worst}`);
});
