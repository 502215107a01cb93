// Coconut's curriculum: which positions are latent at each stage, how a stage is framed and
// scheduled, the optimizer resets, and that a curriculum run learns.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { flattenNamed, type Tree } from "../../src/engine/tree.js";
import {
  curriculumSchema,
  restWidth,
  scheduledStage,
  stageAt,
  stageFrame,
  stageLayout,
  stageSequence,
  stepsPerStage,
  type Curriculum,
} from "../../src/recipes/curriculum.js";
import { curriculumTrainer } from "../../src/trainers/curriculum-trainer.js";
import { evaluate, makePredictor } from "../../src/runs/evaluate.js";
import { METHODS, recipeFor } from "../../src/trainers/index.js";
import { makeReasoner } from "../../src/models/index.js";
import { adamw, chain, clipByGlobalNorm } from "../../src/optim/index.js";
import { SPECIAL, getTask, type Example } from "../../src/tasks/index.js";
import { resolveRunConfig } from "../../src/runs/index.js";
import { RUN_METHOD_SPECS, trainRun } from "../../src/runs/train-run.js";

before(async () => {
  await startEngine("wasm");
});

const curriculum = (o: Partial<Curriculum> = {}): Curriculum => curriculumSchema.parse({ stages: 3, stepsPerStage: 10, ...o });

// three gold steps of two tokens each: s1 = [10, 11], s2 = [12, 13], s3 = [14, 15]; answer [20]
const example: Example = { question: [30, 31], answer: [20], steps: [[10, 11], [12, 13], [14, 15]], difficulty: 3, text: "", meta: null };
const limits = { maxQuestionLength: 2, maxAnswerLength: 1, maxSteps: 3, maxStepLength: 2 };

test("stage k replaces the first k gold steps with k·c latent positions; the last stage has K", () => {
  const c = curriculum({ latentPerStep: 2 });
  const K = 6;
  const { eot, ans, sep } = { eot: SPECIAL.endThought, ans: SPECIAL.answer, sep: SPECIAL.separator };
  const expected = [
    { latent: 0, rest: [eot, 10, 11, sep, 12, 13, sep, 14, 15, ans, 20] },
    { latent: 2, rest: [eot, 12, 13, sep, 14, 15, ans, 20] },
    { latent: 4, rest: [eot, 14, 15, ans, 20] },
    { latent: 6, rest: [eot, ans, 20] },
  ];
  expected.forEach((want, k) => {
    const seq = stageSequence(example, stageLayout(c, K, k));
    assert.deepEqual(seq.prompt, [SPECIAL.begin, 30, 31, SPECIAL.beginThought], `stage ${k} prompt`);
    assert.equal(seq.latent, want.latent, `stage ${k} latent positions`);
    assert.deepEqual(seq.rest, want.rest, `stage ${k} kept tokens`);
  });
  // an example with fewer steps than the stage removes has them all removed
  const short = { ...example, steps: [[10, 11]] };
  assert.deepEqual(stageSequence(short, stageLayout(c, K, 2)).rest, [eot, ans, 20]);
  assert.throws(() => stageLayout(c, K, 4), /stage must be in 0\.\.3/);
});

test("a stage's frame scores the kept steps, the answer and <eos>, never the <ans> marker or padding", async () => {
  const c = curriculum();
  const b = stageFrame([example, { ...example, steps: [[10, 11]] }], limits, stageLayout(c, 3, 1));
  const width = restWidth(limits, 1);
  assert.deepEqual(b.restIn.shape, [2, width]);
  const [inp, tgt, mask] = await Promise.all([b.restIn.data(), b.restTarget.data(), b.restMask.data()]);
  const row = (x: ArrayLike<number>, r: number) => Array.from(x).slice(r * width, (r + 1) * width);
  const { eot, ans, sep, pad, end } = { eot: SPECIAL.endThought, ans: SPECIAL.answer, sep: SPECIAL.separator, pad: SPECIAL.pad, end: SPECIAL.end };
  assert.deepEqual(row(inp, 0), [eot, 12, 13, sep, 14, 15, ans, 20]);
  assert.deepEqual(row(tgt, 0), [12, 13, sep, 14, 15, ans, 20, end]);
  assert.deepEqual(row(mask, 0), [1, 1, 1, 1, 1, 0, 1, 1]);
  assert.deepEqual(row(inp, 1), [eot, ans, 20, pad, pad, pad, pad, pad]);
  assert.deepEqual(row(mask, 1), [0, 1, 1, 0, 0, 0, 0, 0]);
  b.prompt.dispose();
});

test("the schedule: stepsPerStage or epochs of the training set, capped at the last stage; mixing is seeded", () => {
  const c = curriculum();
  assert.deepEqual([0, 9, 10, 29, 30, 500].map((s) => scheduledStage(c, 10, s)), [0, 0, 1, 2, 3, 3]);
  assert.equal(stepsPerStage(curriculum({ stepsPerStage: null, epochsPerStage: 2 }), 10, 100), 20);
  assert.throws(() => stepsPerStage(curriculum({ stepsPerStage: null, epochsPerStage: 2 }), 10, null), /trainExamples/);
  assert.throws(() => curriculumSchema.parse({ stages: 2, stepsPerStage: 5, epochsPerStage: 1 }), /exactly one of curriculum.stepsPerStage/);
  assert.throws(() => curriculumSchema.parse({ stages: 2 }), /exactly one/);
  const plain = Array.from({ length: 40 }, (_, s) => stageAt(c, 10, 7, s));
  assert.deepEqual(plain, Array.from({ length: 40 }, (_, s) => scheduledStage(c, 10, s)), "no mixing: the schedule");
  const mixed = curriculum({ mixProbability: 0.5 });
  const draws = Array.from({ length: 400 }, (_, s) => stageAt(mixed, 1000, 7, s)); // scheduled stage 0 throughout
  assert.deepEqual(draws, Array.from({ length: 400 }, (_, s) => stageAt(mixed, 1000, 7, s)), "a pure function of seed and step");
  const off = draws.filter((k) => k !== 0).length; // drawn uniformly from 0..3: 3/4 of the mixed ones land off 0
  assert.ok(off > 100 && off < 200, `${off} of 400 steps mixed off the scheduled stage (expected ~150)`);
  assert.deepEqual(new Set(draws), new Set([0, 1, 2, 3]));
});

test("method options: curriculum defaults to null and is validated", () => {
  assert.equal(METHODS.neuralese.options.parse({}).curriculum, null);
  assert.equal(METHODS.pause.options.parse({}).curriculum, null);
  assert.equal(METHODS.pause.options.parse({ curriculum: { stages: 2, stepsPerStage: 3 } }).curriculum?.optimizerReset, "stage");
  assert.throws(() => METHODS.neuralese.options.parse({ curriculum: { stages: 2, stepsPerStage: 3, optimizerReset: "always" } }), /optimizerReset/);
});

test("a curriculum counted in epochs without a fixed training set is a config error before any run directory", async () => {
  for (const [c, field] of [[{ stages: 2, epochsPerStage: 1 }, "epochsPerStage"], [{ stages: 2, stepsPerStage: 5, optimizerReset: "epoch" }, "optimizerReset"]] as const) {
    const cfg = resolveRunConfig({ method: { name: "pause", options: { curriculum: c } }, budget: { maxSteps: 2 } }, { methods: RUN_METHOD_SPECS });
    await assert.rejects(
      trainRun(cfg, async () => assert.fail("no run directory should be opened")),
      (err: Error) => err.name === "ConfigError" && err.message.includes(`method.options.curriculum.${field}`) && err.message.includes("--train-examples"),
    );
  }
});

// pointer-chase, 2 hops over 4 symbols: the curriculum starts from the token chain
const task = getTask("pointer-chase");
const taskOptions = { symbols: 4, maxHops: 2, trainHops: { min: 2, max: 2 } };
const pcLimits = task.limits(taskOptions);

function setupFor(method: "neuralese" | "pause", c: Record<string, unknown>, seed = 1) {
  const recipe = recipeFor(method, 2, METHODS[method].options.parse({ curriculum: c }));
  const reasoner = makeReasoner({ model: "transformer", vocab: task.vocab(taskOptions).size, dim: 32, layers: 2, heads: 2, maxLen: recipe.sequenceLength(pcLimits) });
  const optimizer = chain(clipByGlobalNorm(1), adamw({ lr: 3e-3 }));
  return { task, taskOptions, limits: pcLimits, reasoner, recipe, optimizer, batchSize: 32, seed, options: {}, params: reasoner.init(modelKey(seed)) as Tree, trainExamples: 640 };
}

const adamCount = async (t: Tree) => {
  const counts = Object.entries(flattenNamed(t)).filter(([name]) => name.endsWith("count"));
  assert.equal(counts.length, 1);
  return (await counts[0][1].ref.data())[0];
};

test("optimizer reset: the AdamW count restarts at each stage (stage), never (never), each epoch (epoch)", async () => {
  const train = task.generate(1, "train", 64, taskOptions);
  for (const [reset, want] of [["stage", [1, 2, 1, 2, 1]], ["never", [1, 2, 3, 4, 5]], ["epoch", [1, 1, 1, 1, 1]]] as const) {
    const setup = setupFor("neuralese", { stages: 2, stepsPerStage: 2, optimizerReset: reset });
    const trainer = curriculumTrainer({ ...setup, trainExamples: 32 }); // one step per epoch
    const counts: number[] = [];
    const stages: number[] = [];
    for (let s = 0; s < 5; s++) {
      const r = await trainer.step(train.slice((s % 2) * 32, (s % 2) * 32 + 32), s);
      stages.push(r.diagnostics!.stage as number);
      counts.push(await adamCount(trainer.trees().optimizer));
    }
    trainer.dispose();
    assert.deepEqual(stages, [0, 0, 1, 1, 2]);
    assert.deepEqual(counts, want, `optimizerReset ${reset}`);
  }
});

for (const method of ["neuralese", "pause"] as const) {
  test(`${method} with a curriculum learns two-hop pointer-chase through its stages`, async () => {
    const setup = setupFor(method, { stages: 2, stepsPerStage: 60, optimizerReset: "never" });
    const trainer = curriculumTrainer(setup);
    const train = task.generate(1, "train", 640, taskOptions);
    const val = task.generate(1, "val", 64, taskOptions);
    const predictor = makePredictor(setup.recipe, setup.reasoner, pcLimits);
    const losses: number[] = [];
    const stages = new Set<number>();
    for (let s = 0; s < 240; s++) {
      const r = await trainer.step(train.slice((s * 32) % 640, ((s * 32) % 640) + 32), s);
      stages.add(r.diagnostics!.stage as number);
      if (s >= 180) losses.push(r.loss);
    }
    const after = await evaluate(predictor, setup.recipe, task, trainer.trees().params, val, pcLimits, 32);
    predictor.dispose();
    trainer.dispose();
    assert.deepEqual([...stages], [0, 1, 2]);
    const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
    assert.ok(mean < 0.7, `final-stage loss ${mean.toFixed(3)}`);
    assert.ok(after.accuracy >= 0.6, `val accuracy ${after.accuracy} (chance 0.25)`);
  });
}
