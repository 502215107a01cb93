// The bet end to end on a tiny spec: an uninterrupted bet, a bet killed mid-way and resumed (same
// summary, wall times aside), summary.json against its JSON Schema (checked by ajv, an
// independent validator), and the report in headless Chromium.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";

const bin = fileURLToPath(new URL("../../bin/neuralese.mjs", import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

const spec = {
  preset: "test",
  tasks: [{ name: "pointer-chase", options: { symbols: 4, trainHops: "1", valHops: "1", testHops: "1-2" } }],
  arms: ["direct", "neuralese"],
  seeds: [0, 1],
  budgets: [{ id: "s24", label: "24 steps", config: { budget: { maxSteps: 24 } } }],
  base: {
    model: { dim: 16, layers: 1, heads: 2, latentSteps: 2 },
    batchSize: 16,
    optimizer: { lr: 0.01 },
    eval: { every: 8, valExamples: 32, testExamples: 48, testCurve: true },
    checkpointEvery: 4,
  },
  target: { accuracy: 0.5, split: "test" },
  monitor: { n: 120, split: "test" },
};

/** The summary without wall-clock figures (they differ between machines and resumes). */
function withoutWall(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutWall);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !/wall/i.test(k)).map(([k, v]) => [k, withoutWall(v)]));
}

const tmp = await mkdtemp(join(tmpdir(), "neuralese-bet-"));
const specFile = join(tmp, "spec.json");
await writeFile(specFile, JSON.stringify(spec));
const whole = join(tmp, "whole");

test("a bet writes summary.json (valid against its JSON Schema), results.md and report.html", { timeout: 240_000 }, async () => {
  const r = cli("bet", "--spec", specFile, "--out", whole, "--jobs", "2");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\| neuralese BPTT \|/);
  const summary = JSON.parse(await readFile(join(whole, "summary.json"), "utf8"));
  const schema = JSON.parse(await readFile(join(whole, "summary.schema.json"), "utf8"));
  const validate = new Ajv2020({ strict: false }).compile(schema);
  assert.ok(validate(structuredClone(summary)), JSON.stringify(validate.errors));
  assert.equal(summary.runs.length, 4);
  assert.ok(summary.runs.every((run: { status: string }) => run.status === "finished"));
  for (const run of summary.runs) {
    // evaluations at steps 8 and 16 plus the final one, each with val and test
    assert.deepEqual(run.curve.map((p: { step: number }) => p.step), [8, 16, 24]);
    assert.equal(run.examples, 24 * 16);
  }
  const neu = summary.summaries.find((s: { arm: string }) => s.arm === "neuralese");
  assert.equal(neu.gradNormProfile.length, 2, "K = 2 latent steps");
  assert.equal(summary.summaries.find((s: { arm: string }) => s.arm === "direct").gradNormProfile, null);
  // a schema check that can fail: a wrong type is refused
  assert.equal(validate({ ...summary, seeds: ["zero"] }), false);
  // monitorability: the latent runs were inspected after training, the direct ones have no chain
  for (const run of summary.runs) {
    if (run.arm === "direct") assert.equal(run.monitor, null);
    else {
      assert.equal(run.monitor.kind, "latent");
      assert.equal(run.monitor.readout.length, 2);
      assert.ok(run.monitor.readout[0] >= 0 && run.monitor.readout[0] <= 1, JSON.stringify(run.monitor));
      assert.ok(existsSync(join(whole, run.dir, "inspect.json")));
    }
  }
  assert.equal(neu.monitor.seeds, 2);
  // examples to the target: the first evaluation at or above it, and the evaluation before (the start: 0)
  type Point = { examples: number; test: number | null };
  for (const s of summary.summaries) {
    s.examplesToTarget.values.forEach((v: number | null, i: number) => {
      const run = summary.runs.find((x: { arm: string; seed: number }) => x.arm === s.arm && x.seed === summary.seeds[i]);
      const points = (run.curve as Point[]).filter((p) => p.test !== null);
      const k = points.findIndex((p) => p.test! >= spec.target.accuracy);
      assert.equal(v, k < 0 ? null : points[k].examples);
      assert.equal(s.examplesToTarget.before[i], k < 0 ? null : k === 0 ? 0 : points[k - 1].examples);
    });
  }
  // every run says whether its greedy answers were readable; the verdict leads every output
  assert.ok(summary.runs.every((run: { wellFormed: unknown }) => typeof run.wellFormed === "number"));
  assert.equal(summary.verdicts.length, 1);
  assert.deepEqual(summary.verdicts[0].comparisons.map((c: { arm: string }) => c.arm), ["direct"]);
  assert.match(summary.verdicts[0].answer, /the bet is not tested/, "direct answering is no policy-gradient or ES arm");
  assert.match(r.stdout, /^\nVerdict\npointer-chase: No policy-gradient/);
  const html = await readFile(join(whole, "report.html"), "utf8");
  assert.ok(html.indexOf('id="verdict"') > 0 && html.indexOf('id="verdict"') < html.indexOf("<h2>pointer-chase</h2>"), "the verdict comes first");
  const md = await readFile(join(whole, "results.md"), "utf8");
  assert.match(md, /^# neuralese bet: test\n\n## Verdict\n/);
  assert.match(md, /## pointer-chase/);
  assert.match(md, /Gradient norm arriving/);
  assert.match(md, /### Monitorability/);
});

test("a finished run that was not yet inspected is inspected on --resume, and nothing else reruns", { timeout: 120_000 }, async () => {
  const dir = join(whole, "runs/pointer-chase/neuralese/s24/s1");
  const before = await readFile(join(dir, "inspect.json"), "utf8");
  const metrics = await readFile(join(dir, "metrics.jsonl"), "utf8");
  await rm(join(dir, "inspect.json"));
  const r = cli("bet", "--resume", "--out", whole, "--jobs", "1");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(await readFile(join(dir, "inspect.json"), "utf8"), before, "the same readout again (deterministic)");
  assert.equal(await readFile(join(dir, "metrics.jsonl"), "utf8"), metrics, "no training step ran again");
});

test("a bet killed mid-way and resumed gives the same summary as an uninterrupted one", { timeout: 300_000 }, async () => {
  const killed = join(tmp, "killed");
  const child = spawn(process.execPath, [bin, "bet", "--spec", specFile, "--out", killed, "--jobs", "1"], { stdio: "ignore", detached: true });
  // kill the whole process group once the first run has finished and the second has started
  const firstDone = join(killed, "runs/pointer-chase/direct/s24/s0/summary.json");
  const secondStarted = join(killed, "runs/pointer-chase/direct/s24/s1/checkpoint");
  const deadline = Date.now() + 200_000;
  while (!(existsSync(firstDone) && existsSync(secondStarted)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(firstDone), "the first run finished before the kill");
  process.kill(-child.pid!, "SIGKILL");
  await new Promise((r) => child.once("exit", r));
  assert.ok(!existsSync(join(killed, "summary.json")), "killed before the end");
  const again = cli("bet", "--spec", specFile, "--out", killed);
  assert.notEqual(again.status, 0, "a bet directory is not overwritten without --resume");
  assert.match(again.stderr, /already holds a bet.*\n.*--resume/);
  const resumed = cli("bet", "--resume", "--out", killed, "--jobs", "2");
  assert.equal(resumed.status, 0, resumed.stderr);
  const a = JSON.parse(await readFile(join(whole, "summary.json"), "utf8"));
  const b = JSON.parse(await readFile(join(killed, "summary.json"), "utf8"));
  assert.deepEqual(withoutWall(b), withoutWall(a));
});

test("`neuralese report DIR` re-renders the same summary from the run directories", { timeout: 60_000 }, async () => {
  const before = JSON.parse(await readFile(join(whole, "summary.json"), "utf8"));
  const r = cli("report", whole);
  assert.equal(r.status, 0, r.stderr);
  const after = JSON.parse(await readFile(join(whole, "summary.json"), "utf8"));
  assert.deepEqual(withoutWall(after), withoutWall(before));
});

test("bad bet flags are user errors naming the flag", () => {
  const arm = cli("bet", "--methods", "neuralese,telepathy", "--out", join(tmp, "bad1"));
  assert.equal(arm.status, 2);
  assert.match(arm.stderr, /--methods: unknown arm telepathy/);
  const budget = cli("bet", "--budget", "steps=abc", "--out", join(tmp, "bad2"));
  assert.equal(budget.status, 2);
  assert.match(budget.stderr, /--budget: cannot read "steps=abc"/);
  const monitor = cli("bet", "--monitor", "5", "--out", join(tmp, "bad3"));
  assert.equal(monitor.status, 2);
  assert.match(monitor.stderr, /--monitor must be 0 \(off\) or a whole number ≥ 40, got "5"/);
  const seeds = cli("bet", "--seeds", "2-x", "--out", join(tmp, "bad4"));
  assert.equal(seeds.status, 2);
  assert.match(seeds.stderr, /--seeds must be a count n \(seeds 0\.\.n-1\), a range lo-hi or a comma-separated list of seeds, got "2-x"/);
  const tune = cli("bet", "--seeds", "99-101", "--tune", "1e-3", "--out", join(tmp, "bad5"));
  assert.equal(tune.status, 2);
  assert.match(tune.stderr, /--tune-seeds: tuning seeds 100 are the bet's own seeds/);
  const lr = cli("bet", "--tune", "0.01,fast", "--out", join(tmp, "bad6"));
  assert.equal(lr.status, 2);
  assert.match(lr.stderr, /--tune must be a comma-separated list of learning rates in \(0, 10\), got "0.01,fast"/);
  const resume = cli("bet", "--resume", "--out", join(tmp, "nothing"));
  assert.equal(resume.status, 2);
  assert.match(resume.stderr, /holds no bet to resume/);
  assert.ok(["bad1", "bad2", "bad3", "bad4", "bad5", "bad6"].every((d) => !existsSync(join(tmp, d))), "nothing written");
});

test("the report opens in headless Chromium without console errors, with its plots", { timeout: 120_000 }, async (t) => {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
  page.on("pageerror", (e) => void errors.push(String(e)));
  page.on("requestfailed", (r) => void errors.push(`request failed: ${r.url()}`));
  await page.goto(`file://${join(whole, "report.html")}`);
  const shot = await page.screenshot({ fullPage: true, path: join(tmp, "report.png") });
  assert.ok(shot.length > 20_000, `a screenshot with content (${shot.length} bytes)`);
  assert.deepEqual(errors, []);
  // three learning curves, accuracy by difficulty, gradient-norm profile: each a plot with lines
  const plots = page.locator("svg[class^='plot']");
  assert.ok((await plots.count()) >= 5, `plots: ${await plots.count()}`);
  for (let i = 0; i < 5; i++) {
    const paths = await plots.nth(i).locator("path").count();
    assert.ok(paths >= 2, `plot ${i} draws its series (${paths} paths)`);
    const box = await plots.nth(i).boundingBox();
    assert.ok(box && box.width > 300 && box.height > 150, `plot ${i} is laid out (${JSON.stringify(box)})`);
  }
  assert.ok(await page.getByText("neuralese BPTT").first().isVisible());
});
