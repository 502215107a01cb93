// Bad input through the command line: data files, damaged checkpoints, run directories of another
// version, fuzzed configs and data. Every failure is a clean error (exit 2, an `error:` line, no
// stack trace) and nothing in the run directory is created or changed.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { getTask, type Example } from "../../src/tasks/index.js";
import { resolveRunConfig } from "../../src/runs/index.js";

const bin = fileURLToPath(new URL("../../bin/neuralese.mjs", import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 120_000 });
const root = mkdtempSync(join(tmpdir(), "neuralese-reliability-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => join(root, `${name}-${n++}`);
const write = (name: string, text: string) => {
  const path = fresh(name);
  writeFileSync(path, text);
  return path;
};

const taskFlags = ["--task", "pointer-chase", "--symbols", "4", "--max-hops", "2", "--train-hops", "1-2"];
const tiny = [
  ...taskFlags, "--method", "direct", "--dim", "16", "--layers", "1", "--heads", "2", "--latent-steps", "0",
  "--batch-size", "8", "--max-steps", "4", "--eval-every", "100", "--checkpoint-every", "2", "--val-examples", "8", "--test-examples", "8",
];

/** A clean failure: exit 2, an `error:` line matching `pattern`, no stack trace. */
function assertCleanError(r: ReturnType<typeof cli>, pattern: RegExp, what: string): void {
  assert.equal(r.status, 2, `${what}: exit ${r.status}, stderr: ${r.stderr}`);
  assert.match(r.stderr, /^error: /m, what);
  assert.match(r.stderr, pattern, what);
  assert.doesNotMatch(r.stderr, /^\s+at .*:\d+:\d+\)?$/m, `${what}: no stack trace`);
}

test("train --data FILE trains on the file's examples; malformed lines, foreign tokens and empty files are clear errors that write nothing", () => {
  const good = jsonl(getTask("pointer-chase").generate(0, "train", 20, { symbols: 4, maxHops: 2, trainHops: { min: 1, max: 2 } }));
  const out = fresh("data-run");
  const goodFile = write("good.jsonl", good);
  const r = cli("train", ...tiny, "--data", goodFile, "--out", out);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
  assert.equal(summary.trainData.examples, 20);
  assert.equal(summary.distinctTrainExamples, 20, "4 steps × 8 draws cycle through the 20 examples of the file");
  assert.match(readFileSync(join(out, "config.json"), "utf8"), /"trainData": ".*good\.jsonl-\d+"/);
  unlinkSync(join(out, "summary.json")); // as if killed after its last checkpoint
  writeFileSync(goodFile, good.split("\n").slice(1).join("\n"));
  appendFileSync(join(out, "metrics.jsonl"), '{"step":99,"loss":1}\n'); // a line past the checkpoint, which a resume would cut
  const metricsBefore = readFileSync(join(out, "metrics.jsonl"));
  assertCleanError(cli("train", "--resume", out), /data file .*good\.jsonl-\d+ has changed since the run/, "changed data file");
  assert.deepEqual(readFileSync(join(out, "metrics.jsonl")), metricsBefore, "a refused resume changes nothing");

  const lines = good.trimEnd().split("\n");
  const wider = jsonl(getTask("pointer-chase").generate(3, "train", 5, { symbols: 12, maxHops: 2, trainHops: { min: 2, max: 2 } }));
  const cases: [string, string, RegExp][] = [
    ["torn line", [...lines.slice(0, 4), lines[4].slice(0, 20), ...lines.slice(5)].join("\n"), /data file .* line 5 is not valid JSON/],
    ["tokens of a wider task", wider, /line \d+: "question" holds token id \d+, outside the task's vocabulary/],
    ["empty file", "\n", /holds no examples/],
  ];
  for (const [what, text, pattern] of cases) {
    const dir = fresh("bad-data-run");
    assertCleanError(cli("train", ...tiny, "--data", write("bad.jsonl", text), "--out", dir), pattern, what);
    assert.ok(!existsSync(dir), `${what}: nothing written`);
  }
});

test("--resume of a run with a bit-flipped or truncated checkpoint, or from another format version, is a clear error that changes nothing", () => {
  const dir = fresh("resume-run");
  const r = cli("train", ...tiny, "--out", dir);
  assert.equal(r.status, 0, r.stderr);
  unlinkSync(join(dir, "summary.json")); // as if killed after its last checkpoint
  const ckptFile = join(dir, "checkpoint", "state.safetensors");
  const good = readFileSync(ckptFile);

  const flipped = Buffer.from(good);
  flipped[good.length - 7] ^= 0x10;
  writeFileSync(ckptFile, flipped);
  assertCleanError(cli("train", "--resume", dir), /checkpoint .*state\.safetensors is truncated or corrupted \(checksum mismatch/, "bit flip");
  assert.deepEqual(readFileSync(ckptFile), flipped, "the damaged checkpoint is left as it is");

  writeFileSync(ckptFile, good);
  truncateSync(ckptFile, good.length - 100);
  assertCleanError(cli("train", "--resume", dir), /is truncated or corrupted \(truncated: \d+ bytes, its header describes \d+\)/, "truncation");
  assert.ok(!existsSync(join(dir, "summary.json")));

  writeFileSync(ckptFile, good);
  const configFile = join(dir, "config.json");
  const config = readFileSync(configFile, "utf8");
  writeFileSync(configFile, config.replace('"formatVersion": 1', '"formatVersion": 99'));
  assertCleanError(cli("train", "--resume", dir), /written by an incompatible version of neuralese \(run format 99; this version reads format 1\)/, "version");

  writeFileSync(configFile, config);
  const resumed = cli("train", "--resume", dir);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.ok(existsSync(join(dir, "summary.json")), "the repaired run finishes");
});

test("fuzz through the CLI: damaged configs and data files exit with a clean error, never an unhandled exception", () => {
  const base = JSON.parse(JSON.stringify(resolveRunConfig({ task: { name: "pointer-chase", options: { symbols: "4", maxHops: "2", trainHops: "1-2" } }, budget: { maxSteps: 2 }, model: { dim: 8, layers: 1, heads: 1 } })));
  const paths = ["model.dim", "model.kind", "optimizer.lr", "batchSize", "task.options.symbols", "faults.onBadSteps", "faults.lrFactor", "trainData", "method.options", "seed"];
  const badValue = fc.oneof(fc.string({ maxLength: 6 }), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 }), fc.integer({ min: -9, max: -1 }), fc.constant({ x: 1 }));
  const configs = fc.sample(fc.tuple(fc.constantFrom(...paths), badValue), { numRuns: 3, seed: 5 }).map(([path, value]) => {
    const config = structuredClone(base);
    const parts = path.split(".");
    let node = config;
    for (const p of parts.slice(0, -1)) node = node[p] ??= {};
    node[parts.at(-1)!] = value;
    return { what: `${path} = ${JSON.stringify(value)}`, text: JSON.stringify(config) };
  });
  configs.push({ what: "not JSON", text: `${JSON.stringify(base).slice(0, 50)}` });
  for (const { what, text } of configs) {
    const dir = fresh("fuzz-run");
    const r = cli("train", "--config", write("config.json", text), "--out", dir);
    assertCleanError(r, /./, `config ${what}`);
    assert.ok(!existsSync(dir), `config ${what}: nothing written`);
  }
  const dataLines = fc.sample(fc.array(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string({ maxLength: 12 })), { maxLength: 3 }), { numRuns: 2, seed: 9 });
  for (const lines of dataLines) {
    const dir = fresh("fuzz-data-run");
    const r = cli("train", ...tiny, "--data", write("fuzz.jsonl", lines.join("\n")), "--out", dir);
    assertCleanError(r, /data file/, `data ${JSON.stringify(lines)}`);
    assert.ok(!existsSync(dir));
  }
});

/** Examples as `neuralese data <task> --jsonl` prints them. */
function jsonl(examples: readonly Example[]): string {
  return examples.map(({ text, question, answer, steps, difficulty, meta }) => JSON.stringify({ text, question, answer, steps, difficulty, meta })).join("\n") + "\n";
}
