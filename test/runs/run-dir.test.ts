import { after, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { np } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { dispose } from "../../src/engine/tree.js";
import { Budget } from "../../src/runs/budget.js";
import { RunDir, RunDirError } from "../../src/runs/index.js";
import { tinyConfig, tinyTraining, treeHash } from "./tiny-training.js";

await startEngine("wasm");
const root = mkdtempSync(join(tmpdir(), "neuralese-rundir-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `run-${n++}`);
const config = tinyConfig();
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;

test("create writes the resolved config; the same config reopens the run, a different one is refused unless force", async () => {
  const dir = freshDir();
  const run = await RunDir.create(dir, config);
  assert.equal(run.existed, false);
  assert.deepEqual(readJson(join(dir, "config.json")), config);
  assert.ok(existsSync(join(dir, "checkpoint")));
  await run.appendMetrics({ step: 1, loss: 2.5 });
  await run.close();

  const again = await RunDir.create(dir, tinyConfig());
  assert.equal(again.existed, true);
  await assert.rejects(again.appendMetrics({ step: 2 }), /call resume\(\) before writing/);

  const other = tinyConfig({ seed: 3, batchSize: 8 });
  await assert.rejects(
    RunDir.create(dir, other),
    (err: Error) => err instanceof RunDirError && /already holds a different run \(batchSize: 4 → 8; seed: 0 → 3\)/.test(err.message) && /--force/.test((err as RunDirError).hint ?? ""),
  );
  assert.deepEqual(readJson(join(dir, "config.json")), config, "refusal changes nothing");
  assert.match(readFileSync(join(dir, "metrics.jsonl"), "utf8"), /"loss":2.5/);

  writeFileSync(join(dir, "notes.txt"), "mine");
  const forced = await RunDir.create(dir, other, { force: true });
  assert.equal(forced.existed, false);
  assert.deepEqual(readJson(join(dir, "config.json")), other);
  assert.equal(existsSync(join(dir, "metrics.jsonl")), false, "the old run's metrics are gone");
  assert.equal(readFileSync(join(dir, "notes.txt"), "utf8"), "mine", "files that are not the run's are kept");
});

test("a non-empty directory without a run, a file, and an unreadable config.json are refused", async () => {
  const dir = freshDir();
  mkdirSync(dir);
  writeFileSync(join(dir, "data.csv"), "x");
  await assert.rejects(RunDir.create(dir, config), /is not empty and holds no run \(data\.csv\); refusing to write into it/);
  await assert.rejects(RunDir.open(dir), /is not a run directory \(no config\.json\)/);
  const file = join(root, "a-file");
  writeFileSync(file, "x");
  await assert.rejects(RunDir.create(file, config), /is a file, not a run directory/);
  writeFileSync(join(dir, "config.json"), "{ torn");
  await assert.rejects(RunDir.create(dir, config), /holds a run that cannot be read: .*config\.json is unreadable or not valid JSON/);
  assert.equal(readFileSync(join(dir, "config.json"), "utf8"), "{ torn");
});

test("a directory left by a run killed while being created (empty checkpoint/, a temporary config) is started afresh; anything else is kept", async () => {
  const dir = freshDir();
  mkdirSync(join(dir, "checkpoint"), { recursive: true });
  writeFileSync(join(dir, ".config.json.4242.a1b2c3d4.tmp"), "{ half");
  const run = await RunDir.create(dir, config);
  assert.equal(run.existed, false);
  assert.deepEqual(readdirSync(dir).sort(), ["checkpoint", "config.json"]);
  await run.close();
  const other = freshDir();
  mkdirSync(join(other, "checkpoint"), { recursive: true });
  writeFileSync(join(other, "checkpoint", "keep.me"), "x");
  await assert.rejects(RunDir.create(other, config), /is not empty and holds no run/);
  assert.ok(existsSync(join(other, "checkpoint", "keep.me")));
});

test("a run directory from an incompatible version is a clear error", async () => {
  const dir = freshDir();
  await RunDir.create(dir, config);
  writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, formatVersion: 2 }));
  await assert.rejects(
    RunDir.open(dir),
    (err: Error) => err instanceof RunDirError && /written by an incompatible version of neuralese \(run format 2; this version reads format 1\)/.test(err.message),
  );
  writeFileSync(join(dir, "config.json"), JSON.stringify({ model: {} }));
  await assert.rejects(RunDir.open(dir), /run format "missing"/);
  await assert.rejects(RunDir.create(dir, config), /holds a run that cannot be read: .*incompatible version/);
});

test("a config.json written before a defaulted field existed (same format version) reopens as the same run", async () => {
  const dir = freshDir();
  await RunDir.create(dir, config);
  const { faults: _faults, trainData: _trainData, ...older } = config;
  writeFileSync(join(dir, "config.json"), JSON.stringify(older));
  const again = await RunDir.create(dir, config);
  assert.equal(again.existed, true);
  assert.deepEqual(readJson(join(dir, "config.json")), older, "left as it was");
  await assert.rejects(RunDir.create(dir, tinyConfig({ faults: { maxBadSteps: 2 } })), /already holds a different run \(faults\.maxBadSteps: 20 → 2\)/);
});

test("a torn last metrics line is detected, reported and cut away on resume, with lines past the checkpoint", async () => {
  const training = tinyTraining(config);
  const run = await RunDir.create(freshDir(), config);
  const s = training.fresh();
  for (let step = 1; step <= 4; step++) {
    await training.train(s, 1);
    await run.appendMetrics({ step, loss: step === 3 ? NaN : 1 / step, latentGradNorms: [1, 2] });
    if (step === 2) {
      await run.saveCheckpoint({ step, trees: { params: s.params, optimizer: s.optimizer }, dataRng: s.data.state(), budget: new Budget().snapshot(), extra: {} });
    }
  }
  await run.close();
  const metricsFile = join(run.path, "metrics.jsonl");
  appendFileSync(metricsFile, '{"step":5,"loss":0.1'); // killed mid-line

  const read = await run.readMetrics();
  assert.deepEqual(read.records.map((r) => r.step), [1, 2, 3, 4]);
  assert.equal(read.records[2].loss, "NaN", "non-finite numbers are kept as strings, not null");
  assert.deepEqual(read.torn, { line: 5, bytes: 20 });

  const reopened = await RunDir.open(run.path);
  const template = training.fresh();
  const resumed = await reopened.resume({ params: template.params, optimizer: template.optimizer });
  assert.equal(resumed.checkpoint?.step, 2);
  assert.deepEqual(resumed.tornLine, { line: 5, bytes: 20 });
  assert.equal(resumed.droppedRecords, 2, "steps 3 and 4 happen again after the resume");
  await reopened.appendMetrics({ step: 3, loss: 0.3 });
  await reopened.close();
  const lines = readFileSync(metricsFile, "utf8").split("\n");
  assert.deepEqual(lines.slice(0, -1).map((l) => JSON.parse(l).step), [1, 2, 3]);
  assert.equal(lines.at(-1), "", "every line ends in a newline");

  writeFileSync(metricsFile, '{"step":1}\nnot json\n{"step":3}\n');
  await assert.rejects(run.readMetrics(), /metrics\.jsonl line 2 is not a JSON object with a numeric "step"; the file is corrupted/);
  training.dispose();
  dispose([s.params, s.optimizer, template.params, template.optimizer]);
});

test("a run killed before its first checkpoint resumes from scratch", async () => {
  const run = await RunDir.create(freshDir(), config);
  await run.appendMetrics({ step: 1, loss: 1 });
  await run.close();
  const reopened = await RunDir.create(run.path, config);
  const resumed = await reopened.resume({ params: {}, optimizer: [] });
  assert.equal(resumed.checkpoint, undefined);
  assert.equal(resumed.droppedRecords, 1);
  assert.equal(readFileSync(join(run.path, "metrics.jsonl"), "utf8"), "");
});

test("summary.json is written atomically with a checksum that is verified on read", async () => {
  const run = await RunDir.create(freshDir(), config);
  assert.equal(await run.finished(), false);
  await assert.rejects(run.readSummary(), /no such file \(the run has not finished\)/);
  const summary = { step: 20, valAccuracy: 0.96, testAccuracy: 0.951, byDifficulty: { "3": 0.97, "4": 0.93 }, stoppedBy: "maxSteps", loss: Infinity };
  await run.writeSummary(summary);
  assert.equal(await run.finished(), true);
  assert.deepEqual(await run.readSummary(), { ...summary, loss: "Infinity" });
  const file = join(run.path, "summary.json");
  const text = readFileSync(file, "utf8");
  assert.match(text, /"checksum": "sha256:[0-9a-f]{64}"/);
  assert.deepEqual(readdirSync(run.path).filter((f) => f.endsWith(".tmp")), [], "no temporary files left");
  writeFileSync(file, text.replace("0.951", "0.991"));
  await assert.rejects(run.readSummary(), /summary\.json is corrupted or was edited: checksum sha256:\w+ does not match its content/);
  writeFileSync(file, text.slice(0, 40));
  await assert.rejects(run.readSummary(), /summary\.json is corrupted: not valid JSON/);
});

test("model.safetensors holds the final params with format version, model config, task, method and step", async () => {
  const training = tinyTraining(config);
  const run = await RunDir.create(freshDir(), config);
  const s = training.fresh();
  await run.saveModel(s.params, { step: 7, vocab: 11 });
  const template = training.fresh();
  const { params, info } = await run.loadModel(template.params);
  assert.equal(await treeHash(params), await treeHash(s.params));
  assert.deepEqual(info, {
    model: { model: "transformer", vocab: 11, dim: 16, layers: 1, heads: 2, maxLen: config.model.maxLen, latentSteps: 4 },
    task: config.task,
    method: config.method,
    step: 7,
  });
  // a plain safetensors file: the metadata is readable without this code
  const bytes = readFileSync(join(run.path, "model.safetensors"));
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8"));
  assert.deepEqual(Object.keys(header.__metadata__), ["format", "formatVersion", "model", "task", "method", "step", "checksum"]);
  assert.equal(header.__metadata__.formatVersion, "1");
  await assert.rejects(run.saveModel({ w: np.array([Infinity]) }, { step: 8, vocab: 11 }), /non-finite value \(Infinity/);
  training.dispose();
  dispose([s.params, s.optimizer, template.optimizer, params]);
});
