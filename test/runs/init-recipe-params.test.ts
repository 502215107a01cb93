// --init from a run that trained the bare reasoner (neuralese) into a recipe that adds parameters
// of its own (halting's head): the reasoner's parameters come from the run, the head starts as
// the recipe initialises it (at the prior), and a run whose model does not fit is a config error.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEngine } from "../../src/engine/backend.js";
import { dispose, flattenNamed, type Tree } from "../../src/engine/tree.js";
import { ConfigError, RunDir, resolveRunConfig } from "../../src/runs/index.js";
import { loadModel } from "../../src/runs/model-file.js";
import { RUN_METHOD_SPECS, trainRun } from "../../src/runs/train-run.js";

let dir: string;
before(async () => {
  await startEngine("wasm");
  dir = await mkdtemp(join(tmpdir(), "neuralese-init-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = {
  task: { name: "pointer-chase", options: { symbols: 4, maxHops: 2, trainHops: "1-2" } },
  model: { dim: 16, layers: 1, heads: 2, latentSteps: 2 },
  seed: 1,
  batchSize: 4,
  budget: { maxSteps: 2 },
  eval: { every: 1000, valExamples: 8, testExamples: 8 },
  optimizer: { schedule: "constant", warmupSteps: 0 },
};

async function run(name: string, overrides: Record<string, unknown>): Promise<Record<string, any>> {
  const config = resolveRunConfig({ ...base, ...overrides }, { methods: RUN_METHOD_SPECS });
  return trainRun(config, () => RunDir.create(join(dir, name), config));
}

async function named(run: string): Promise<Record<string, Float32Array>> {
  const { params } = await loadModel(join(dir, run, "model.safetensors"));
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(flattenNamed(params as Tree))) out[k] = (await v.ref.data()) as Float32Array;
  dispose(params);
  return out;
}

test("halting --init from a neuralese run: the reasoner from the run, the halting head at the prior", async () => {
  await run("neuralese", { method: { name: "neuralese" } });
  // a learning rate too small to move anything: the saved parameters are the initial ones
  const s = await run("halting", { method: { name: "halting", options: { lambdaP: 0.2 } }, init: join(dir, "neuralese"), optimizer: { schedule: "constant", warmupSteps: 0, lr: 1e-12, weightDecay: 0 } });
  assert.equal(s.init, join(dir, "neuralese"));
  const [from, got] = [await named("neuralese"), await named("halting")];
  const reasonerLeaves = Object.keys(from);
  assert.ok(reasonerLeaves.length > 3);
  assert.deepEqual(Object.keys(got).sort(), [...reasonerLeaves.map((k) => `model.${k}`), "halt.b", "halt.w"].sort());
  for (const k of reasonerLeaves) {
    const [a, b] = [from[k], got[`model.${k}`]];
    assert.ok(a.every((x, i) => Math.abs(x - b[i]) < 1e-6), `model.${k} is not the neuralese run's ${k}`);
  }
  assert.ok(Math.abs(got["halt.b"][0] - Math.log(0.2 / 0.8)) < 1e-6, `halt.b ${got["halt.b"][0]} is not logit(λ_p)`);
  assert.ok(got["halt.w"].every((x) => Math.abs(x) < 1e-6));
  // a run's own parameters still fit a run of the same recipe
  const again = await run("halting-again", { method: { name: "halting", options: { lambdaP: 0.2 } }, init: join(dir, "halting") });
  assert.equal(again.init, join(dir, "halting"));
});

test("halting --init from a run of another width is a config error naming init", async () => {
  await assert.rejects(run("wide", { method: { name: "halting" }, model: { ...base.model, dim: 32 }, init: join(dir, "neuralese") }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(String((err as Error).message), /init.*does not fit this model/s);
    return true;
  });
});
