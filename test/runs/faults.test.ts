// Numeric faults in the training loop: a NaN injected into the gradient is skipped; after
// faults.maxBadSteps in a row the run rolls back to its last checkpoint at a lower learning rate
// (and a resume after that continues exactly), or stops cleanly. No saved file holds a NaN.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEngine } from "../../src/engine/backend.js";
import { flattenNamed, dispose } from "../../src/engine/tree.js";
import { np } from "../../src/engine/jax.js";
import { RunDir, resolveRunConfig, faultInjector, parseFaultInjection, ConfigError, TrainingFaultError, type RunConfig } from "../../src/runs/index.js";
import { RUN_METHOD_SPECS, trainRun, type TrainHooks } from "../../src/runs/train-run.js";
import { loadChecksummed, saveChecksummed } from "../../src/runs/checksummed-safetensors.js";
import { saveModel } from "../../src/runs/model-file.js";

await startEngine("wasm");
const root = mkdtempSync(join(tmpdir(), "neuralese-faults-"));
after(() => rmSync(root, { recursive: true, force: true }));

const tiny = (faults: object = {}): RunConfig =>
  resolveRunConfig(
    {
      task: { name: "pointer-chase", options: { symbols: "4", maxHops: "2", trainHops: "1-2" } },
      method: { name: "direct" },
      model: { dim: 16, layers: 1, heads: 2, latentSteps: 0 },
      batchSize: 16,
      budget: { maxSteps: 12 },
      eval: { every: 100, valExamples: 16, testExamples: 16 },
      checkpointEvery: 4,
      faults: { maxBadSteps: 3, ...faults },
    },
    { methods: RUN_METHOD_SPECS },
  );

const train = (dir: string, cfg: RunConfig, hooks: TrainHooks = {}) => trainRun(cfg, () => RunDir.create(dir, cfg), hooks);
const metrics = (dir: string) => readFileSync(join(dir, "metrics.jsonl"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

/** Every float in every safetensors file of the run is finite; summary.json holds no NaN. */
async function assertNothingNonFinite(dir: string): Promise<void> {
  const files = [join(dir, "checkpoint", "state.safetensors"), join(dir, "model.safetensors")].filter(existsSync);
  assert.ok(files.length > 0);
  for (const file of files) {
    const { tree } = await loadChecksummed(file, "file");
    for (const [name, leaf] of Object.entries(flattenNamed(tree))) {
      if (leaf.dtype !== np.float32) continue;
      const data = await leaf.ref.data();
      assert.ok((data as Float32Array).every(Number.isFinite), `${file}: ${name} holds a non-finite value`);
    }
    dispose(tree);
  }
  if (existsSync(join(dir, "summary.json"))) assert.doesNotMatch(readFileSync(join(dir, "summary.json"), "utf8"), /NaN|Infinity/);
}

test("NaN gradients: skipped, then a rollback to the last checkpoint at half the lr; a resume after the rollback ends bit-identical", { timeout: 120_000 }, async () => {
  const cfg = tiny();
  const whole = join(root, "rollback");
  const events: number[] = [];
  const injected = faultInjector(parseFaultInjection('{"nanGradient":[5,6,7]}'));
  const summary = await train(whole, cfg, { faults: injected, onRollback: (e) => events.push(e.step) });
  assert.deepEqual(injected.fired, [5, 6, 7], "each step poisoned once: the replay after the rollback is clean");
  assert.deepEqual(events, [4]);
  assert.equal(summary.steps, 12);
  assert.equal(summary.skippedSteps, 3);
  assert.equal(summary.rollbacks, 1);
  assert.equal(summary.lrScale, 0.5);
  assert.equal(summary.discardedSteps, 4, "steps 5..8 were discarded");
  const lines = metrics(whole);
  const rollback = lines.find((l) => l.event === "rollback")!;
  assert.deepEqual({ ...rollback, lastLoss: 0 }, { step: 4, event: "rollback", fromStep: 8, badSteps: 3, lastLoss: 0, rollbacks: 1, lrScale: 0.5 });
  const trainSteps = lines.filter((l) => l.split === undefined && l.event === undefined).map((l) => l.step);
  assert.deepEqual(trainSteps, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], "discarded steps are cut from metrics.jsonl, each step once");
  assert.ok(lines.filter((l) => typeof l.step === "number" && (l.step as number) > 4 && l.loss !== undefined).every((l) => l.applied === true));
  await assertNothingNonFinite(whole);

  // the same run interrupted after the rollback (at step 10, last checkpoint at step 8) and resumed
  const cut = join(root, "rollback-resumed");
  const stopAt10: TrainHooks = {
    faults: faultInjector(parseFaultInjection('{"nanGradient":[5,6,7]}')),
    onStep: (log) => {
      if (log.step === 10) throw new Error("interrupted");
    },
  };
  await assert.rejects(train(cut, cfg, stopAt10), /interrupted/);
  const resumed = await train(cut, cfg);
  assert.equal(resumed.lrScale, 0.5, "the lr scale came back from the checkpoint");
  assert.deepEqual(readFileSync(join(cut, "model.safetensors")), readFileSync(join(whole, "model.safetensors")));
  assert.deepEqual(metrics(cut).map((l) => l.loss), lines.map((l) => l.loss));
});

test("a rollback before the first checkpoint of an --init run restarts from the init run's parameters, not a fresh initialisation", { timeout: 120_000 }, async () => {
  const base = join(root, "init-base");
  await train(base, tiny());
  const noCheckpoint = (lr: number): RunConfig => ({ ...tiny(), init: base, checkpointEvery: 1000, optimizer: { ...tiny().optimizer, lr } });
  const lr = tiny().optimizer.lr;
  const faulty = join(root, "init-rollback");
  const events: number[] = [];
  const summary = await train(faulty, noCheckpoint(lr), { faults: faultInjector(parseFaultInjection('{"nanGradient":[1,2,3]}')), onRollback: (e) => events.push(e.step) });
  assert.deepEqual(events, [0]);
  assert.equal(summary.lrScale, 0.5);
  // the rolled-back run is the same as a clean run from the init run at half the learning rate
  const clean = join(root, "init-half-lr");
  await train(clean, noCheckpoint(lr * 0.5));
  assert.deepEqual(readFileSync(join(faulty, "model.safetensors")), readFileSync(join(clean, "model.safetensors")));
});

test("a persistent NaN: stops with a clear error after maxRollbacks, or at once with onBadSteps stop; nothing non-finite written", { timeout: 120_000 }, async () => {
  const persistent = () => faultInjector(parseFaultInjection('{"nanGradient":[5,6,7],"mode":"always"}'));
  const dir = join(root, "persistent");
  await assert.rejects(
    train(dir, tiny({ maxRollbacks: 1 }), { faults: persistent() }),
    (err: Error) => err instanceof TrainingFaultError && /3 training steps in a row \(steps 6\.\.8\) had a non-finite loss or gradient .* after 1 rollback/.test(err.message),
  );
  assert.ok(!existsSync(join(dir, "model.safetensors")) && !existsSync(join(dir, "summary.json")));
  assert.deepEqual(metrics(dir).filter((l) => l.event === "rollback").length, 1);
  await assertNothingNonFinite(dir);

  const stop = join(root, "stop");
  await assert.rejects(
    train(stop, tiny({ onBadSteps: "stop" }), { faults: persistent() }),
    (err: Error) => err instanceof TrainingFaultError && /the run stops \(faults.onBadSteps is "stop"\)/.test(err.message) && /--lr/.test((err as TrainingFaultError).hint ?? ""),
  );
  assert.deepEqual(readdirSync(stop).sort(), ["checkpoint", "config.json", "metrics.jsonl"]);
  await assertNothingNonFinite(stop);
});

test("non-finite parameters are never written: model and checkpoint saves refuse them", async () => {
  const params = { w: np.array([1, 2, Infinity]) };
  const info = { model: { model: "gru" as const, vocab: 3, dim: 1, layers: 1, heads: 1, maxLen: 3, latentSteps: 0 }, task: { name: "t", options: {} }, method: { name: "m", options: {} }, step: 1 };
  const file = join(root, "bad-model.safetensors");
  await assert.rejects(saveModel(file, params, info), /refusing to write .*bad-model\.safetensors: "w" holds a non-finite value \(Infinity at flat index 2\)/);
  await assert.rejects(saveChecksummed(file, { v: np.array([NaN]) }, {}), /non-finite value \(NaN/);
  assert.ok(!existsSync(file));
  dispose(params);
});

test("fault injection: only a well-formed spec in the environment variable turns it on", () => {
  for (const bad of ["", "[5]", '{"nanGradient":[]}', '{"nanGradient":[-1]}', '{"nanGradient":[1],"typo":1}', '{"nanGradient":[1],"mode":"sometimes"}']) {
    assert.throws(() => parseFaultInjection(bad), (err: Error) => err instanceof ConfigError && /NEURALESE_TEST_INJECT_FAULTS/.test(err.message), bad);
  }
  const once = faultInjector(parseFaultInjection('{"nanGradient":[2]}'));
  assert.deepEqual([1, 2, 2, 3].map((s) => once.nanGradient(s)), [false, true, false, false]);
  assert.throws(() => tiny({ onBadSteps: "retry" }), /faults\.onBadSteps/);
  assert.throws(() => tiny({ lrFactor: 1 }), /faults\.lrFactor/);
  assert.throws(() => tiny({ injectNaN: true }), /faults/, "no config field turns injection on");
});

test("a test split too small for eval.testExamples is refused before training, naming the field", async () => {
  const dir = join(root, "small-test-split");
  const cfg = { ...tiny(), eval: { ...tiny().eval, testExamples: 500 } };
  await assert.rejects(train(dir, cfg), (err: Error) => err instanceof ConfigError && /eval\.testExamples/.test(err.message) && /not enough distinct pointer-chase questions in the test split/.test(err.message));
  assert.ok(!existsSync(join(dir, "metrics.jsonl")), "no training step ran");
});
