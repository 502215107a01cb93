import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import fc from "fast-check";
import { TASKS, TASK_NAMES } from "../../src/tasks/index.js";
import { METHOD_CONFIG_SPECS } from "../../src/trainers/index.js";
import { ConfigError, mergeConfigInputs, readConfigFile, resolveRunConfig, type MethodConfigSpecs } from "../../src/runs/index.js";

/** The ConfigError's message, or fails when the input resolves. */
function errorOf(input: unknown, methods?: MethodConfigSpecs): string {
  try {
    resolveRunConfig(input, { methods });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`${JSON.stringify(input)} should be rejected`);
}

test("defaults: an empty config resolves to a complete one, and resolving is idempotent", () => {
  const c = resolveRunConfig({});
  assert.deepEqual(c, {
    formatVersion: 1,
    task: {
      name: "pointer-chase",
      options: { symbols: 8, layout: "array", maxHops: 8, trainHops: { min: 3, max: 4 }, valHops: { min: 3, max: 4 }, testHops: { min: 3, max: 4 } },
      limits: null,
    },
    method: { name: "neuralese", options: {} },
    model: { kind: "transformer", dim: 64, layers: 2, heads: 4, latentSteps: 4, maxLen: c.model.maxLen },
    seed: 0,
    batchSize: 64,
    optimizer: { name: "adamw", lr: 3e-3, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.01, schedule: "cosine", warmupSteps: 100, decaySteps: 1000, endLrFraction: 0.1, clipNorm: 1 },
    budget: { maxSteps: 1000, maxExamples: null, maxFlops: null },
    eval: { every: 250, valExamples: 500, testExamples: 1000, testCurve: false },
    trainExamples: null,
    checkpointEvery: 250,
    trainData: null,
    trainDataSha256: null,
    init: null,
    faults: { maxBadSteps: 20, onBadSteps: "rollback", lrFactor: 0.5, maxRollbacks: 3 },
    backend: "wasm",
  });
  assert.ok(c.model.maxLen > 4 + 8, `maxLen ${c.model.maxLen} covers question + thoughts + answer`);
  assert.deepEqual(resolveRunConfig(JSON.parse(JSON.stringify(c))), c);
});

test("derived defaults follow the other fields", () => {
  const gru = resolveRunConfig({ model: { kind: "gru" }, budget: { maxExamples: 6400 }, batchSize: 32 });
  assert.equal(gru.model.layers, 1);
  assert.equal(gru.model.heads, 1);
  assert.deepEqual(gru.budget, { maxSteps: null, maxExamples: 6400, maxFlops: null });
  assert.equal(gru.optimizer.decaySteps, 200);
  assert.equal(gru.optimizer.warmupSteps, 20);
  const k8 = resolveRunConfig({ model: { latentSteps: 8 } });
  assert.equal(k8.model.maxLen, resolveRunConfig({}).model.maxLen + 4);
  const flat = resolveRunConfig({ optimizer: { schedule: "constant" }, budget: { maxFlops: 1e12 } });
  assert.equal(flat.optimizer.decaySteps, null);
  assert.equal(flat.optimizer.warmupSteps, 0);
  assert.equal(resolveRunConfig({ task: { name: "parity", options: { length: "12" } } }).task.options.length, 12);
});

test("an unknown field is rejected by its full path, with the allowed fields", () => {
  assert.match(errorOf({ model: { width: 64 } }), /unknown field "model\.width"; allowed fields here: kind, dim, layers, heads, latentSteps, maxLen/);
  assert.match(errorOf({ learningRate: 0.1 }), /unknown field "learningRate"; allowed fields here: formatVersion, task, method, model/);
  assert.match(errorOf({ task: { options: { bogus: 1 } } }), /unknown task option "task\.options\.bogus" for task pointer-chase; allowed: symbols, layout/);
});

test("a wrong type or value names the field, the value given and what is allowed", () => {
  assert.match(errorOf({ model: { dim: "wide" } }), /model\.dim: got "wide"; expected a number/);
  assert.match(errorOf({ model: { dim: 1.5 } }), /model\.dim: got 1\.5; expected an integer/);
  assert.match(errorOf({ model: { kind: "rnn" } }), /model\.kind: got "rnn"; allowed: "transformer", "gru", "lstm"/);
  assert.match(errorOf({ optimizer: { lr: -1 } }), /optimizer\.lr: got -1; allowed: > 0/);
  assert.match(errorOf({ optimizer: { b2: 1 } }), /optimizer\.b2: got 1; allowed: < 1/);
  assert.match(errorOf({ formatVersion: 2 }), /formatVersion: got 2; allowed: 1/);
  assert.match(errorOf({ backend: "tpu" }), /backend: got "tpu"; allowed: "wasm", "cpu", "webgpu"/);
  assert.match(errorOf({ task: { name: "chess" } }), /task\.name: got "chess"; allowed: pointer-chase, parity/);
  assert.match(errorOf({ task: { options: { symbols: 100 } } }), /task\.options\.symbols: got 100; must be an integer in 2\.\.\d+/);
  assert.match(errorOf({ task: { options: { trainHops: "1-12" } } }), /task\.options\.trainHops: got "1-12"; 1-12 is outside the allowed 1\.\.8/);
  assert.match(errorOf({ model: { dim: 64, heads: 5 } }), /model\.heads: got 5; must divide model\.dim \(64\)/);
  assert.match(errorOf({ model: { kind: "lstm", heads: 4 } }), /model\.heads: got 4; a lstm has no attention heads/);
  assert.match(errorOf({ model: { maxLen: 3 } }), /model\.maxLen: got 3; this task, method and latentSteps need at least \d+/);
  assert.match(errorOf({ budget: { maxSteps: 50 }, optimizer: { warmupSteps: 50 } }), /optimizer\.warmupSteps: got 50; must be below the cosine length \(50 steps\)/);
  assert.match(errorOf({ budget: { maxFlops: 1e9 } }), /optimizer\.decaySteps: a cosine schedule needs its length/);
});

test("every problem is reported at once", () => {
  const message = errorOf({ seed: -1, batchSize: 0, eval: { every: "often" }, task: { options: { symbols: 1 } } });
  for (const field of ["seed", "batchSize", "eval.every", "task.options.symbols"]) assert.match(message, new RegExp(`\\n  ${field.replace(".", "\\.")}: got`));
});

test("a method contributes its own options schema (and its sequence length)", () => {
  const methods: MethodConfigSpecs = {
    neuralese: { options: z.strictObject({ truncate: z.number().int().positive().nullable().default(null), gradNorm: z.boolean().default(false) }) },
    cot: { options: z.strictObject({}), maxLen: () => 99 },
  };
  assert.deepEqual(resolveRunConfig({}, { methods }).method, { name: "neuralese", options: { truncate: null, gradNorm: false } });
  assert.equal(resolveRunConfig({ method: { name: "cot" } }, { methods }).model.maxLen, 99);
  assert.match(errorOf({ method: { options: { gradNorm: "yes" } } }, methods), /method\.options\.gradNorm: got "yes"; expected a boolean/);
  assert.match(errorOf({ method: { options: { clip: 1 } } }, methods), /unknown field "method\.options\.clip"; allowed fields here: truncate, gradNorm/);
  assert.match(errorOf({ method: { name: "es" } }, methods), /method\.name: got "es"; allowed: neuralese, cot/);
  // without a registry the options are kept as given
  assert.deepEqual(resolveRunConfig({ method: { name: "es", options: { population: 8 } } }).method.options, { population: 8 });
});

test("a config file and flags merge, flags winning; file errors name the file and line", async () => {
  const dir = mkdtempSync(join(tmpdir(), "neuralese-config-"));
  try {
    const file = join(dir, "run.json");
    writeFileSync(file, JSON.stringify({ model: { dim: 32, layers: 3 }, seed: 5 }));
    const merged = mergeConfigInputs(await readConfigFile(file), { model: { dim: 48 }, budget: { maxSteps: 10 } });
    const c = resolveRunConfig(merged);
    assert.deepEqual([c.model.dim, c.model.layers, c.seed, c.budget.maxSteps], [48, 3, 5, 10]);

    writeFileSync(file, '{\n  "seed": 1,\n  "model": {"dim": 32,}\n}');
    await assert.rejects(readConfigFile(file), (err: Error) => err instanceof ConfigError && /run\.json is not valid JSON: line 3/.test(err.message));
    writeFileSync(file, "[1, 2]");
    await assert.rejects(readConfigFile(file), /must hold a JSON object, got \[1,2\]/);
    await assert.rejects(readConfigFile(join(dir, "missing.json")), /cannot read config file .*missing\.json: no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("fuzz: any JSON input either resolves or is a ConfigError (never another exception)", () => {
  const valid = resolveRunConfig({});
  const paths = ["task.name", "task.options.symbols", "task.options.trainHops", "task.options.layout", "task.options", "method", "model.kind", "model.dim", "model.heads", "model.maxLen", "optimizer.warmupSteps", "optimizer.decaySteps", "budget.maxSteps", "budget", "seed", "eval", "formatVersion", "faults", "faults.maxBadSteps", "faults.onBadSteps", "faults.lrFactor", "faults.maxRollbacks", "trainData", "trainExamples", "backend"];
  fc.assert(
    fc.property(fc.constantFrom(...paths), fc.jsonValue(), fc.constantFrom(...TASK_NAMES), (path, value, task) => {
      const input = JSON.parse(JSON.stringify({ ...valid, task: { name: task, options: {} } })) as Record<string, unknown>;
      const parts = path.split(".");
      let node = input as Record<string, unknown>;
      for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
      node[parts.at(-1)!] = value;
      try {
        resolveRunConfig(input);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
      }
    }),
    { numRuns: 2000, seed: 42 },
  );
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      try {
        resolveRunConfig(value);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
      }
    }),
    { numRuns: 500, seed: 7 },
  );
  const taskOption = fc.constantFrom(...TASK_NAMES).chain((name) =>
    fc.tuple(fc.constant(name), fc.constantFrom(...TASKS[name].optionSpecs.map((s) => s.key)), fc.oneof(fc.jsonValue(), fc.string(), fc.integer({ min: -3, max: 100 }))),
  );
  fc.assert(
    fc.property(taskOption, ([name, key, value]) => {
      try {
        resolveRunConfig({ task: { name, options: { [key]: value } } });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
      }
    }),
    { numRuns: 2000, seed: 3 },
  );
});

test("fuzz: method options and fault settings checked by the method registry never throw anything but a ConfigError", () => {
  const methods = Object.keys(METHOD_CONFIG_SPECS);
  const value = fc.oneof(fc.jsonValue(), fc.integer({ min: -2, max: 40 }), fc.boolean(), fc.constantFrom("rollback", "stop", "none"));
  const keys = fc.constantFrom("truncate", "gradNorm", "latentSteps", "x", "maxBadSteps", "onBadSteps", "lrFactor", "maxRollbacks");
  fc.assert(
    fc.property(fc.constantFrom(...methods, "nope"), fc.dictionary(keys, value, { maxKeys: 3 }), fc.dictionary(keys, value, { maxKeys: 3 }), fc.integer({ min: 0, max: 12 }), (name, options, faults, latentSteps) => {
      try {
        resolveRunConfig({ method: { name, options }, faults, model: { latentSteps } }, { methods: METHOD_CONFIG_SPECS });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
      }
    }),
    { numRuns: 2000, seed: 19 },
  );
});
