import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { np } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { DataRng } from "../../src/engine/rng.js";
import { dispose, leafPaths } from "../../src/engine/tree.js";
import { Budget } from "../../src/runs/budget.js";
import { CHECKPOINT_FILE, RunDir, RunDirError } from "../../src/runs/index.js";
import { tinyConfig, tinyTraining, treeHash } from "./tiny-training.js";

await startEngine("wasm");
const root = mkdtempSync(join(tmpdir(), "neuralese-checkpoint-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `run-${n++}`);

const config = tinyConfig();
const training = tinyTraining(config);
after(() => training.dispose());

/** A run dir with a checkpoint after `steps` steps, and the state it saved. */
async function checkpointed(steps: number) {
  const run = await RunDir.create(freshDir(), config);
  const s = training.fresh();
  await training.train(s, steps);
  const budget = new Budget(config.budget);
  budget.charge({ steps, examples: steps * config.batchSize });
  await run.saveCheckpoint({ step: s.step, trees: { params: s.params, optimizer: s.optimizer }, dataRng: s.data.state(), budget: budget.snapshot(), extra: { skipped: 0 } });
  return { run, s, budget };
}

test("checkpoint round trip: params, optimizer state and data RNG restore bit-identically, and training continues identically", async () => {
  const { run, s, budget } = await checkpointed(3);
  const template = training.fresh();
  assert.deepEqual(leafPaths(template.optimizer), leafPaths(s.optimizer), "optimizer state is [clip {}, adamw {count, mu, nu}]");
  const reopened = await RunDir.open(run.path);
  const { checkpoint, droppedRecords, tornLine } = await reopened.resume({ params: template.params, optimizer: template.optimizer });
  assert.ok(checkpoint);
  assert.equal(checkpoint.step, 3);
  assert.equal(droppedRecords, 0);
  assert.equal(tornLine, undefined);
  assert.deepEqual(checkpoint.budget, budget.snapshot());
  assert.deepEqual(checkpoint.extra, { skipped: 0 });
  assert.equal(await treeHash(checkpoint.trees.params), await treeHash(s.params));
  assert.equal(await treeHash(checkpoint.trees.optimizer), await treeHash(s.optimizer));
  assert.deepEqual(checkpoint.dataRng, s.data.state());

  // continuing from the restored state = continuing the original: same losses, same final params
  const restored = { params: checkpoint.trees.params, optimizer: checkpoint.trees.optimizer, data: DataRng.fromState(checkpoint.dataRng), step: checkpoint.step };
  const lossesA = await training.train(s, 3);
  const lossesB = await training.train(restored, 3);
  assert.deepEqual(lossesB, lossesA);
  assert.equal(await treeHash(restored.params), await treeHash(s.params));
  dispose([template.params, template.optimizer, restored.params, restored.optimizer, s.params, s.optimizer]);
});

test("a truncated or bit-flipped checkpoint is a clear error naming the file; nothing is changed", async () => {
  const { run, s } = await checkpointed(1);
  await run.appendMetrics({ step: 1, loss: 2 });
  await run.close();
  const file = join(run.path, CHECKPOINT_FILE);
  const original = readFileSync(file);
  const metrics = readFileSync(join(run.path, "metrics.jsonl"));
  const headerEnd = 8 + Number(original.readBigUInt64LE(0));
  const damaged: [string, Buffer][] = [
    ["truncated data", original.subarray(0, original.length - 7)],
    ["truncated header", original.subarray(0, 20)],
    ["empty", Buffer.alloc(0)],
    ["flipped data bit", flip(original, original.length - 5, 0x01)],
    ["flipped metadata digit", flip(original, original.indexOf('"step":"1"') + 8, 0x01)],
    ["flipped checksum digit", flip(original, original.indexOf('"checksum":"sha256:') + 20, 0x01)],
    ["flipped header length", flip(original, 0, 0x10)],
    ["flipped first data byte", flip(original, headerEnd, 0x80)],
  ];
  for (const [what, bytes] of damaged) {
    writeFileSync(file, bytes);
    const reopened = await RunDir.open(run.path);
    const template = training.fresh();
    await assert.rejects(
      reopened.resume({ params: template.params, optimizer: template.optimizer }),
      (err: Error) => err instanceof RunDirError && err.message.includes(file) && /truncated or corrupted/.test(err.message),
      what,
    );
    assert.deepEqual(readFileSync(file), bytes, `${what}: the checkpoint is left as it was`);
    assert.deepEqual(readFileSync(join(run.path, "metrics.jsonl")), metrics, `${what}: metrics untouched`);
    await assert.rejects(reopened.appendMetrics({ step: 2 }), /call resume\(\) before writing/);
    dispose([template.params, template.optimizer]);
  }
  dispose([s.params, s.optimizer]);
});

test("a checkpoint that does not fit the model, or belongs to another config, is refused", async () => {
  const { run, s } = await checkpointed(1);
  const reopened = await RunDir.open(run.path);
  const wrong = { params: { w: np.zeros([2]) }, optimizer: s.optimizer };
  await assert.rejects(reopened.resume(wrong), /does not fit this model: tree does not match its template/);
  const other = await RunDir.create(freshDir(), tinyConfig({ seed: 9 }));
  writeFileSync(join(other.path, CHECKPOINT_FILE), readFileSync(join(run.path, CHECKPOINT_FILE)));
  await assert.rejects(other.loadCheckpoint({ params: s.params, optimizer: s.optimizer }), /was written for a different config/);
  dispose([s.params, s.optimizer, wrong.params]);
});

test("a failed checkpoint write leaves the previous checkpoint intact; non-finite parameters are never written", async () => {
  const { run, s, budget } = await checkpointed(2);
  const file = join(run.path, CHECKPOINT_FILE);
  const before = readFileSync(file);
  const ckpt = { step: 3, trees: { params: s.params, optimizer: s.optimizer }, dataRng: s.data.state(), budget: budget.snapshot(), extra: {} };
  await assert.rejects(run.saveCheckpoint(ckpt, { beforeRename: () => Promise.reject(new Error("killed")) }), /killed/);
  assert.deepEqual(readFileSync(file), before);
  const poisoned = { ...ckpt, trees: { params: { w: np.array([1, NaN, 3]) }, optimizer: [] } };
  await assert.rejects(run.saveCheckpoint(poisoned), /refusing to write .*state\.safetensors: "params\.w" holds a non-finite value \(NaN at flat index 1\)/);
  assert.deepEqual(readFileSync(file), before);
  dispose([s.params, s.optimizer, poisoned.trees.params]);
});

function flip(bytes: Buffer, at: number, mask: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] ^= mask;
  return copy;
}
