// A bet that also scores its runs on data files (spec.evalData, `--eval-data`): every finished run
// gets DIR/data-NAME.json equal to what `neuralese eval --data` prints for it, the summary and
// results.md carry the scores, a resumed bet scores again only when the file changed, and a file the runs cannot read
// stops the bet before anything is written.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../bin/neuralese.mjs", import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
const coconutValid = fileURLToPath(new URL("../../../shared/data/prosqa/prosqa_valid.json", import.meta.url));

const options = { nodes: 8, trainSteps: "2-3" };
const spec = {
  preset: "test",
  tasks: [{ name: "prosqa", options }],
  arms: ["direct", "neuralese"],
  seeds: [0],
  budgets: [{ id: "s4", label: "4 steps", config: { budget: { maxSteps: 4 } } }],
  base: { model: { dim: 16, layers: 1, heads: 2, latentSteps: 2 }, batchSize: 16, eval: { every: 4, valExamples: 16, testExamples: 16 } },
  target: { accuracy: 0.9, split: "test" },
  monitor: null,
};

const tmp = await mkdtemp(join(tmpdir(), "neuralese-bet-data-"));
const file = join(tmp, "held-out.jsonl");
const specFile = join(tmp, "spec.json");
const out = join(tmp, "bet");

test("a bet scores each finished run on --eval-data files, as `neuralese eval --data` does, and a resume does not score again", { timeout: 180_000 }, async () => {
  const data = cli("data", "prosqa", "--jsonl", "--n", "40", "--split", "test", "--seed", "9", "--nodes", "8", "--train-steps", "2-3");
  assert.equal(data.status, 0, data.stderr);
  await writeFile(file, data.stdout);
  await writeFile(specFile, JSON.stringify(spec));
  const r = cli("bet", "--spec", specFile, "--out", out, "--eval-data", `held=${file}`, "--jobs", "2");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Scored on the data file held \(40 questions/);
  const summary = JSON.parse(await readFile(join(out, "summary.json"), "utf8"));
  for (const run of summary.runs) {
    const dir = join(out, run.dir);
    const printed = cli("eval", "--run", dir, "--data", file, "--split-name", "held");
    assert.equal(printed.status, 0, printed.stderr);
    const expected = JSON.parse(printed.stdout);
    const stored = JSON.parse(await readFile(join(dir, "data-held.json"), "utf8"));
    assert.equal(stored.accuracy, expected.accuracy);
    assert.deepEqual(stored.byDifficulty, expected.byDifficulty);
    assert.equal(run.data.held.accuracy, expected.accuracy);
    assert.equal(run.data.held.examples, 40);
    assert.deepEqual(Object.keys(run.data.held.byDifficulty), Object.keys(expected.byDifficulty));
  }
  const arm = summary.summaries.find((s: { arm: string }) => s.arm === "direct");
  assert.equal(arm.data.held.seeds, 1);
  assert.equal(arm.data.held.accuracy.mean, summary.runs.find((r: { arm: string }) => r.arm === "direct").data.held.accuracy);
  assert.match(await readFile(join(out, "results.md"), "utf8"), /\| direct SFT \(no reasoning\) \| [\d.]+ \[/);
  assert.match(await readFile(join(out, "report.html"), "utf8"), /<h3>Scored on the data file held \(40 questions/);

  const scored = join(out, summary.runs[0].dir, "data-held.json");
  const before = (await stat(scored)).mtimeMs;
  const again = cli("bet", "--resume", "--out", out);
  assert.equal(again.status, 0, again.stderr);
  assert.equal((await stat(scored)).mtimeMs, before, "a resumed bet keeps the scores it has");

  // the file changed since: its runs are scored again on what it holds now
  await writeFile(file, data.stdout.split("\n").slice(10).join("\n"));
  const changed = cli("bet", "--resume", "--out", out);
  assert.equal(changed.status, 0, changed.stderr);
  const rescored = JSON.parse(await readFile(join(out, "summary.json"), "utf8"));
  assert.ok(rescored.runs.every((r: { data: { held: { examples: number } } }) => r.data.held.examples === 30));
});

test("a data file the runs cannot read stops the bet before anything is written, naming the file and the fix", { timeout: 60_000 }, async () => {
  await writeFile(specFile, JSON.stringify(spec));
  // Coconut's real questions (up to 112 tokens, 6 steps) do not fit runs sized for 8-node graphs
  const tooBig = join(tmp, "too-big");
  const r = cli("bet", "--spec", specFile, "--out", tooBig, "--eval-data", coconutValid);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /evalData prosqa_valid/);
  assert.match(r.stderr, /--graphs coconut|--nodes|larger sizes/);
  assert.ok(!existsSync(tooBig), "nothing written");
  const missing = cli("bet", "--spec", specFile, "--out", tooBig, "--eval-data", join(tmp, "nowhere.json"));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no such file/);
  assert.match(missing.stderr, /--eval-data/);
  assert.ok(!existsSync(tooBig), "nothing written");
});
