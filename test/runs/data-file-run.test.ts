// A data file sizes the run (`train --data FILE`) and is scored as Coconut scores ProsQA (`eval
// --data FILE`). The file is written here by hand in Coconut's format: one question at the largest
// size of Coconut's released files (6 steps, 54 edges: 112 question tokens) and one 3-step question.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, type Tree } from "../../src/engine/tree.js";
import { evaluate, makePredictor } from "../../src/runs/evaluate.js";
import { initParams, recipeFor } from "../../src/trainers/index.js";
import { makeReasoner } from "../../src/models/index.js";
import { ConfigError, readEvalData, reasonerConfigOf, resolveRunConfigWithData, runLimits } from "../../src/runs/index.js";
import { RUN_METHOD_SPECS } from "../../src/runs/train-run.js";
import { runConfigFromCli } from "../../src/cli/run-config.js";
import { UserError } from "../../src/cli/errors.js";
import { getTask, gradeLikeCoconut, prosqaVocab } from "../../src/tasks/index.js";

const root = mkdtempSync(join(tmpdir(), "neuralese-data-run-"));
after(() => rmSync(root, { recursive: true, force: true }));

interface Item {
  question: string;
  answer: string;
  steps: string[];
  idx_to_symbol: string[];
  edges: [number, number][];
  root: number;
  target: number;
  neg_target: number;
}

const sentence = (names: string[], [a, b]: [number, number]) => (a < 2 ? `${names[a]} is a ${names[b]}.` : `Every ${names[a]} is a ${names[b]}.`);

/**
 * Tom (0) → c1 → … → c6 (the target, 6 steps); Alex (1) → d1..d9, every d_i → d_j (i < j),
 * d7..d9 → neg (the negative target): 6 + 9 + 36 + 3 = 54 edges, 18 nodes.
 */
function sixStepItem(): Item {
  const concepts = ["terpus", "brimpus", "lempus", "gerpus", "lorpus", "yerpus", "shumpus", "rempus", "fompus", "rorpus", "yimpus", "boompus", "timpus", "scrompus", "dumpus", "zumpus"];
  const names = ["Tom", "Alex", ...concepts];
  const c = (k: number) => 1 + k; // c1..c6 = nodes 2..7
  const d = (k: number) => 7 + k; // d1..d9 = nodes 8..16
  const neg = 17;
  const path: [number, number][] = [[0, c(1)], ...[1, 2, 3, 4, 5].map((k): [number, number] => [c(k), c(k + 1)])];
  const edges: [number, number][] = [...path];
  for (let i = 1; i <= 9; i++) edges.push([1, d(i)]);
  for (let i = 1; i <= 9; i++) for (let j = i + 1; j <= 9; j++) edges.push([d(i), d(j)]);
  for (const i of [7, 8, 9]) edges.push([d(i), neg]);
  // stated in an order other than the edge list's, as Coconut's questions are
  const stated = edges.map((e, i) => ({ e, key: (i * 37) % edges.length })).sort((a, b) => a.key - b.key).map((x) => x.e);
  return {
    question: `${stated.map((e) => sentence(names, e)).join(" ")} Is Tom a ${names[neg]} or ${names[c(6)]}?`,
    answer: `Tom is a ${names[c(6)]}.`,
    steps: path.map((e) => sentence(names, e)),
    idx_to_symbol: names,
    edges,
    root: 0,
    target: c(6),
    neg_target: neg,
  };
}

function threeStepItem(): Item {
  const names = ["Sally", "Rex", "wumpus", "yumpus", "numpus", "kerpus"];
  const edges: [number, number][] = [[0, 2], [2, 3], [3, 4], [1, 5]];
  return {
    question: `${edges.map((e) => sentence(names, e)).join(" ")} Is Sally a numpus or kerpus?`,
    answer: "Sally is a numpus.",
    steps: edges.slice(0, 3).map((e) => sentence(names, e)),
    idx_to_symbol: names,
    edges,
    root: 0,
    target: 4,
    neg_target: 5,
  };
}

const path = join(root, "coconut.json");
writeFileSync(path, JSON.stringify([sixStepItem(), threeStepItem()]));
const digest = `sha256:${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
const input = (extra: Record<string, unknown> = {}) => ({ task: { name: "prosqa" }, method: { name: "direct" }, model: { dim: 8, layers: 1, heads: 1 }, trainData: path, ...extra });

before(async () => {
  await startEngine("wasm");
});

test("--data sizes a prosqa run from the file (112-token, 6-step question) and records its sha256", async () => {
  assert.equal(sixStepItem().edges.length, 54);
  const cfg = await resolveRunConfigWithData(input(), { methods: RUN_METHOD_SPECS });
  assert.deepEqual(cfg.task.limits, { maxQuestionLength: 112, maxAnswerLength: 1, maxSteps: 6, maxStepLength: 2 });
  assert.equal(cfg.trainDataSha256, digest);
  assert.ok(getTask("prosqa").limits(cfg.task.options).maxQuestionLength < 112, "the default task alone could not hold the file");
  assert.deepEqual(runLimits(cfg), cfg.task.limits);
  assert.ok(cfg.model.maxLen >= 112 + 1, `maxLen ${cfg.model.maxLen} holds the longest question and its answer`);
  // the same through the command line, with no task options at all
  const cli = await runConfigFromCli({ task: "prosqa", data: path }, RUN_METHOD_SPECS);
  assert.deepEqual(cli.task.limits, cfg.task.limits);
  assert.equal(cli.trainDataSha256, digest);
});

test("a file that cannot fit the model fails with an error naming the option to change", async () => {
  await assert.rejects(resolveRunConfigWithData(input({ model: { dim: 8, layers: 1, heads: 1, maxLen: 100 } }), { methods: RUN_METHOD_SPECS }), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.issues[0].path, "model.maxLen");
    assert.match(err.issues[0].message, /got 100; the data file .*coconut\.json \(questions up to 112 tokens, 6 steps\).* need at least 1\d\d/);
    return true;
  });
  await assert.rejects(runConfigFromCli({ task: "prosqa", data: path, maxLen: "100" }, RUN_METHOD_SPECS), (err: Error) => err instanceof UserError && /model\.maxLen \(--max-len\): got 100/.test(err.message));
  // a recorded digest that no longer matches the file is refused
  await assert.rejects(resolveRunConfigWithData(input({ trainDataSha256: `sha256:${"0".repeat(64)}` }), { methods: RUN_METHOD_SPECS }), /has changed: its digest is sha256:/);
});

test("eval --data: a Coconut file is scored per difficulty by Coconut's answer rule, on a run sized for it", async () => {
  const cfg = await resolveRunConfigWithData(input(), { methods: RUN_METHOD_SPECS });
  const data = await readEvalData(cfg, path, { splitName: "hand" });
  assert.equal(data.grading, "coconut");
  assert.equal(data.splitName, "hand");
  assert.deepEqual(data.examples.map((e) => e.difficulty), [6, 3]);
  const v = prosqaVocab();
  const [six] = data.examples;
  // Coconut's rule on the sentence the answer makes: only the target is right
  assert.equal(data.task.grade(six, [v.id("yerpus")]), 1);
  assert.equal(data.task.grade(six, [v.id("dumpus")]), 0, "the negative target");
  assert.equal(data.task.grade(six, [v.id("terpus")]), 0, "a node on the path");
  assert.equal(data.task.grade(six, []), 0, "no answer");

  // a model at the run's sizes (random parameters) scores the file; the figures follow from its answers
  const limits = runLimits(cfg);
  const reasoner = makeReasoner(reasonerConfigOf(cfg, getTask("prosqa").vocab(cfg.task.options).size));
  const recipe = recipeFor(cfg.method.name, cfg.model.latentSteps, cfg.method.options);
  const params = initParams(recipe, reasoner as never, modelKey(1)) as Tree;
  const predictor = makePredictor(recipe, reasoner as never, limits);
  const outputs = { answers: [] as number[][], chains: [] as number[][] };
  const result = await evaluate(predictor, recipe, data.task, params as never, data.examples, limits, 2, outputs);
  predictor.dispose();
  dispose(params);
  const grades = data.examples.map((e, i) => gradeLikeCoconut(e as never, outputs.answers[i]));
  assert.equal(result.n, 2);
  assert.deepEqual(Object.keys(result.byDifficulty), ["3", "6"]);
  assert.equal(result.byDifficulty["6"].accuracy, grades[0]);
  assert.equal(result.byDifficulty["3"].accuracy, grades[1]);
  assert.equal(result.accuracy, (grades[0] + grades[1]) / 2);

  // a run sized for the default task cannot hold the file: the error says how to get one that can
  const small = await resolveRunConfigWithData({ ...input(), trainData: null }, { methods: RUN_METHOD_SPECS });
  await assert.rejects(readEvalData(small, path), (err: Error & { hint?: string }) =>
    /item 0: question length 112 exceeds the run's limit \d+/.test(err.message) && /--data .*coconut\.json, or --task prosqa --graphs coconut/.test(err.hint ?? ""));
});
