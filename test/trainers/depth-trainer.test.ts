// Recurrent-depth training of the looped model: Huginn's depth distribution (mean, cap,
// determinism), config checks, and a tiny run end to end: the loss falls and accuracy rises, each
// step's r is the seeded draw, the budget charges r iterations forward and min(r, k) backward, a
// resumed run ends bit-identical, and evaluation runs at any r.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SeededRng } from "../../src/common/seeded-rng.js";
import { startEngine } from "../../src/engine/backend.js";
import { recurrenceAt, sampleRecurrence } from "../../src/trainers/depth-trainer.js";
import { evaluateAtDepths } from "../../src/runs/evaluate.js";
import { forwardFlopsPerExample } from "../../src/trainers/supervised-trainer.js";
import { recipeFor } from "../../src/trainers/index.js";
import { makeReasoner, type LoopedReasoner } from "../../src/models/index.js";
import { ConfigError, RunDir, reasonerConfigOf, resolveRunConfig, type RunConfig } from "../../src/runs/index.js";
import { RUN_METHOD_SPECS, trainRun, type TrainHooks } from "../../src/runs/train-run.js";
import { getTask } from "../../src/tasks/index.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose } from "../../src/engine/tree.js";
import { loadModel } from "../../src/runs/model-file.js";

let dir: string;
before(async () => {
  await startEngine("wasm");
  dir = await mkdtemp(join(tmpdir(), "neuralese-looped-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("depth distribution: mean as configured, capped, deterministic per (seed, step)", () => {
  const rng = SeededRng.of(7);
  const draws = Array.from({ length: 20_000 }, () => sampleRecurrence(rng, 5, 1000));
  const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
  assert.ok(Math.abs(mean - 5) < 0.1, `mean r ${mean}`);
  assert.ok(Math.min(...draws) === 1 && Math.max(...draws) > 12, `r spans ${Math.min(...draws)}..${Math.max(...draws)}`);
  // Huginn's Λ is right-skewed: median below the mean
  const sorted = [...draws].sort((a, b) => a - b);
  assert.ok(sorted[draws.length / 2] < 5, `median ${sorted[draws.length / 2]}`);
  assert.ok(draws.slice(0, 2000).every((r) => sampleRecurrence(SeededRng.of(r), 5, 6) <= 6));
  assert.equal(sampleRecurrence(rng, 1, 10), 1);
  const seq = (seed: number) => Array.from({ length: 50 }, (_, s) => recurrenceAt(seed, s, { mean: 4, max: 12 }));
  assert.deepEqual(seq(3), seq(3));
  assert.notDeepEqual(seq(3), seq(4));
  assert.ok(new Set(seq(3)).size > 3, "r varies from step to step");
});

test("config: looped settings resolve with defaults; other trainers, curricula and stray settings are refused by field", () => {
  const c = resolveRunConfig({ method: { name: "direct" }, model: { kind: "looped", looped: { meanRecurrence: 5 } } }, { methods: RUN_METHOD_SPECS });
  assert.deepEqual(c.model.looped, { prelude: 1, coda: 1, meanRecurrence: 5, maxRecurrence: 15, backpropDepth: 4, recurrence: 5 });
  assert.equal(c.model.layers, 1);
  assert.equal(resolveRunConfig({ method: { name: "direct" } }, { methods: RUN_METHOD_SPECS }).model.looped, undefined);
  const refused = (input: object, path: RegExp) =>
    assert.throws(() => resolveRunConfig(input, { methods: RUN_METHOD_SPECS }), (e: Error) => e instanceof ConfigError && path.test(e.message));
  refused({ method: { name: "grpo" }, model: { kind: "looped" } }, /model\.kind.*direct, cot, pause, neuralese/);
  refused({ method: { name: "neuralese", options: { curriculum: {} } }, model: { kind: "looped" } }, /method\.options\.curriculum/);
  refused({ method: { name: "direct" }, model: { looped: { prelude: 2 } } }, /model\.looped.*looped only/);
  refused({ method: { name: "direct" }, model: { kind: "looped", looped: { meanRecurrence: 6, maxRecurrence: 4 } } }, /model\.looped\.maxRecurrence/);
});

// 1–2 hops over 4 symbols; r from {1, 2, 3}, the last iteration backpropagated
const tiny = (overrides: object = {}): RunConfig =>
  resolveRunConfig(
    {
      task: { name: "pointer-chase", options: { symbols: 4, maxHops: 2, trainHops: "1-2" } },
      method: { name: "direct" },
      model: { kind: "looped", dim: 32, heads: 2, looped: { meanRecurrence: 2, maxRecurrence: 3, backpropDepth: 1 } },
      seed: 2,
      batchSize: 16,
      budget: { maxSteps: 40 },
      eval: { every: 1000, valExamples: 64, testExamples: 64 },
      optimizer: { schedule: "constant", warmupSteps: 0 },
      checkpointEvery: 20,
      ...overrides,
    },
    { methods: RUN_METHOD_SPECS },
  );
const train = (name: string, cfg: RunConfig, hooks: TrainHooks = {}) => trainRun(cfg, () => RunDir.create(join(dir, name), cfg), hooks);
const metrics = async (name: string) => (await readFile(join(dir, name, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));

test("looped direct on pointer-chase: learns, draws the seeded r per step, charges r forward and min(r, k) backward, resumes exactly, evaluates at any r", { timeout: 600_000 }, async () => {
  const cfg = tiny();
  const summary = (await train("whole", cfg)) as Record<string, any>;
  const steps = (await metrics("whole")).filter((l) => l.split === undefined);
  assert.deepEqual(steps.map((l) => l.recurrence), steps.map((_, s) => recurrenceAt(cfg.seed, s, { mean: 2, max: 3 })));
  assert.ok(new Set(steps.map((l) => l.recurrence)).size === 3, "r takes each of 1, 2, 3");
  const mean = (xs: any[], key: string) => xs.reduce((a, l) => a + l[key], 0) / xs.length;
  const [first, last] = [steps.slice(0, 10), steps.slice(-10)];
  if (process.env.LOOPED_LOG) console.log(JSON.stringify({ first: mean(first, "loss"), last: mean(last, "loss"), test: summary.test }));
  assert.ok(mean(last, "loss") < mean(first, "loss") - 0.3, `loss ${mean(first, "loss")} → ${mean(last, "loss")}`);
  assert.ok(summary.test.accuracy > 0.45, `test accuracy ${summary.test.accuracy} (chance 0.25)`);

  // FLOPs: forward at each step's r, backward at min(r, k) = 1
  const task = getTask("pointer-chase");
  const limits = task.limits(cfg.task.options);
  const base = makeReasoner(reasonerConfigOf(cfg, task.vocab(cfg.task.options).size)) as unknown as LoopedReasoner;
  const recipe = recipeFor("direct", cfg.model.latentSteps, {});
  const fwd = (r: number) => forwardFlopsPerExample({ recipe, reasoner: base.atDepth(r) as never, limits });
  const expected = steps.reduce((a, l) => a + cfg.batchSize * (fwd(l.recurrence) + 2 * fwd(1)), 0);
  assert.ok(Math.abs(summary.budget.forwardFlops + summary.budget.backwardFlops - expected) / expected < 1e-9);

  // interrupted after its first checkpoint, then resumed: the same model, bit for bit
  await assert.rejects(train("cut", cfg, { onStep: (log) => { if (log.step === 30) throw new Error("interrupted"); } }), /interrupted/);
  await train("cut", cfg);
  assert.deepEqual(await readFile(join(dir, "cut", "model.safetensors")), await readFile(join(dir, "whole", "model.safetensors")));

  // evaluation at several depths: one result per r, the trained depth range near the training accuracy
  const { params } = await loadModel(join(dir, "whole", "model.safetensors"), base.init(modelKey(0)));
  const examples = task.generate(cfg.seed, "test", 64, cfg.task.options);
  const byDepth = await evaluateAtDepths(base, [1, 3, 8], recipe, task, params, examples, limits, 32);
  assert.deepEqual(byDepth.map((e) => e.recurrence), [1, 3, 8]);
  assert.ok(byDepth.every((e) => e.n === 64 && e.accuracy >= 0 && e.accuracy <= 1 && Object.keys(e.byDifficulty).length === 2));
  assert.ok(Math.abs(byDepth[1].accuracy - summary.test.accuracy) < 0.2);
  dispose(params);
});
