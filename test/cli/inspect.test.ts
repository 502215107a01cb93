// `neuralese inspect` end to end on tiny runs: a latent chain (probes + lens) and a token chain
// (faithfulness), each written to DIR/inspect.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../bin/neuralese.mjs", import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
const root = mkdtempSync(join(tmpdir(), "neuralese-inspect-"));
const tiny = [
  "--task", "pointer-chase", "--symbols", "4", "--max-hops", "2", "--train-hops", "1-2",
  "--dim", "16", "--layers", "1", "--heads", "2", "--latent-steps", "2",
  "--batch-size", "16", "--max-steps", "4", "--eval-every", "4", "--checkpoint-every", "4",
  "--val-examples", "16", "--test-examples", "16",
];

test("inspect a neuralese run: per-example view, probes per thought and layer, lens; accuracy as eval's", () => {
  const out = join(root, "neu");
  assert.equal(cli("train", ...tiny, "--method", "neuralese", "--out", out).status, 0);
  const r = cli("inspect", "--run", out, "--n", "160", "--show", "2");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /thought 2: gold/);
  assert.match(r.stdout, /probes on each thought.s own hop/);
  const report = JSON.parse(readFileSync(join(out, "inspect.json"), "utf8"));
  assert.equal(report.format, 1);
  assert.equal(report.method, "neuralese");
  assert.equal(report.n, 160);
  const m = report.monitor;
  assert.equal(m.kind, "latent");
  // 2 thoughts × ((latent + 1 layer) × (own hop, answer) + latent × the other hop)
  assert.equal(m.probes.length, 10);
  for (const p of m.probes) {
    // every question has a first step; only the 2-hop ones have a second
    if (p.target === "answer" || p.hop === 1) assert.equal(p.nTrain + p.nTest, 160);
    else assert.ok(p.nTrain + p.nTest < 160 && p.nTrain + p.nTest > 40);
    for (const x of [p.accuracy, p.control, p.majority]) assert.ok(x >= 0 && x <= 1);
  }
  assert.deepEqual(m.lens.map((l: { step: number; target: string }) => `${l.step}${l.target}`), ["1hop", "1answer", "2hop", "2answer"]);
  assert.equal(m.examples.length, 2);
  const e = JSON.parse(cli("eval", "--run", out, "--n", "160", "--split", "test").stdout);
  assert.equal(report.accuracy, e.accuracy, "inspect grades the same examples as eval");
});

test("inspect a cot run: written steps against the true ones and step-1 corruption; a bad --n is refused", () => {
  const out = join(root, "cot");
  assert.equal(cli("train", ...tiny, "--method", "cot", "--out", out).status, 0);
  const r = cli("inspect", "--run", out, "--n", "64", "--show", "1");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /step 1 corrupted: answer changed/);
  const m = JSON.parse(readFileSync(join(out, "inspect.json"), "utf8")).monitor;
  assert.equal(m.kind, "cot");
  assert.equal(m.writtenSteps.length, 2);
  assert.equal(m.corruption.n, 64);
  assert.ok(m.corruption.followsCorrupted !== null, "pointer-chase chains can be recomputed from a corrupted step");
  const bad = cli("inspect", "--run", out, "--n", "10");
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--n 10 is too few/);
});

test("inspect a fixed-chain policy-gradient run: each of its K tokens read as a step; step 1 corrupted, the rest of the row written", () => {
  const out = join(root, "grpo");
  const grpo = ["--method", "grpo", "--set", "method.options.chain=fixed", "--set", "method.options.reward=loglik", "--set", "method.options.groupSize=2", "--set", "method.options.klCoef=0"];
  const trained = cli("train", ...tiny, ...grpo, "--out", out);
  assert.equal(trained.status, 0, trained.stderr);
  const r = cli("inspect", "--run", out, "--n", "64", "--show", "4");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /token chain: well-formed 100\.0%/);
  const m = JSON.parse(readFileSync(join(out, "inspect.json"), "utf8")).monitor;
  assert.equal(m.kind, "cot");
  assert.equal(m.wellFormed, 1);
  assert.equal(m.writtenSteps.length, 2, "as many steps as the longest question has");
  assert.equal(m.corruption.n, 64);
  for (const e of m.examples) {
    // K = 2 tokens, then the forced <eot> <ans>: written and corrupted alike, the corrupted first token not the true step 1
    for (const row of [e.written, e.corrupted]) assert.match(row, /^\S+ \S+ <eot> <ans> \S+/);
    const step1 = /steps: (\S+)/.exec(e.text)![1];
    assert.notEqual(e.corrupted.split(" ")[0], step1);
  }
});
