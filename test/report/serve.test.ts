// `neuralese serve` on a bet that is still being written, in Debian's Chromium: the runs table and
// curves appear, a metrics line appended later shows without a reload, a half-written line is
// ignored, the final report replaces the live view, and paths outside DIR are refused. The live
// directory is made of a tiny real bet's own files (copied, then appended line by line), and its
// events through the bet's own writer.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFile, cp, mkdir, mkdtemp, readFile, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { eventLog } from "../../src/experiments/bet/events.js";
import type { PlannedRun } from "../../src/experiments/bet/plan.js";

const bin = fileURLToPath(new URL("../../bin/neuralese.mjs", import.meta.url));

const spec = {
  preset: "live",
  tasks: [{ name: "pointer-chase", options: { symbols: 4, trainHops: "1", valHops: "1", testHops: "1-2" } }],
  arms: ["direct", "neuralese"],
  seeds: [0, 1],
  budgets: [{ id: "s24", label: "24 steps", config: { budget: { maxSteps: 24 } } }],
  base: { model: { dim: 16, layers: 1, heads: 2, latentSteps: 2 }, batchSize: 16, optimizer: { lr: 0.01 }, eval: { every: 8, valExamples: 32, testExamples: 32, testCurve: true }, checkpointEvery: 12 },
  target: { accuracy: 0.5, split: "test" },
  monitor: null,
};
const ids = {
  finished: "pointer-chase/direct/s24/s0",
  running: "pointer-chase/neuralese/s24/s0",
  failed: "pointer-chase/direct/s24/s1",
  outside: "pointer-chase/neuralese/s24/s1",
};

const tmp = await mkdtemp(join(tmpdir(), "neuralese-serve-"));
const real = join(tmp, "real");
const live = join(tmp, "live");
await writeFile(join(tmp, "spec.json"), JSON.stringify(spec));
const made = spawnSync(process.execPath, [bin, "bet", "--spec", join(tmp, "spec.json"), "--out", real, "--jobs", "2"], { encoding: "utf8" });
assert.equal(made.status, 0, made.stderr);
const lines = (id: string) => readFile(join(real, "runs", id, "metrics.jsonl"), "utf8").then((t) => t.split(/(?<=\n)/));
const runningLines = await lines(ids.running);

// the live bet: one run finished, one running (steps 1-10 with the step-8 evaluations, and half of the next line), one failed, one queued
await mkdir(join(live, "runs", ids.running), { recursive: true });
await cp(join(real, "bet.json"), join(live, "bet.json"));
await cp(join(real, "runs", ids.finished), join(live, "runs", ids.finished), { recursive: true });
await cp(join(real, "runs", ids.running, "config.json"), join(live, "runs", ids.running, "config.json"));
const metrics = join(live, "runs", ids.running, "metrics.jsonl");
const upTo10 = runningLines.findIndex((l) => l.startsWith('{"step":10,')) + 1;
await writeFile(metrics, runningLines.slice(0, upTo10).join("") + runningLines[upTo10].slice(0, 40));
const log = eventLog(live);
const planned = (id: string) => ({ id }) as PlannedRun;
log.hooks.onStart!(planned(ids.running));
log.hooks.onStart!(planned(ids.failed));
log.hooks.onEnd!(planned(ids.failed), { status: "failed", error: "the run's process ended with exit code 1: out of <memory>" });
await log.flush();
// a run directory that is a symlink to a directory outside DIR: never read
const elsewhere = join(tmp, "elsewhere");
await cp(join(real, "runs", ids.outside), elsewhere, { recursive: true });
await mkdir(join(live, "runs", ids.outside, ".."), { recursive: true });
await symlink(elsewhere, join(live, "runs", ids.outside));

/** Start `neuralese serve` and read the URL it prints. */
async function serve(dir: string, ...flags: string[]): Promise<{ child: ChildProcess; url: string; out: string }> {
  const child = spawn(process.execPath, [bin, "serve", dir, ...flags], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/at (http:\S+)/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  const url = /at (http:\S+)/.exec(out)?.[1];
  assert.ok(url, `serve printed its URL: ${out}`);
  return { child, url, out };
}

/** A raw GET (the path sent exactly as written, no client-side normalisation). */
function rawGet(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const { child: server, url } = await serve(live);
after(() => server.kill());

test("the dashboard of a live bet: table, curves, live updates without reload, the final report", { timeout: 150_000 }, async (t) => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/, "loopback, no token");
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1250, height: 1000 } });
  const errors: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
  page.on("pageerror", (e) => void errors.push(String(e)));
  page.on("requestfailed", (r) => void (r.url().includes("/api/events") || errors.push(`request failed: ${r.url()}`)));
  await page.goto(url);
  const row = (id: string) => page.locator(`#runs-table tr[data-run="${id}"]`);
  assert.equal(await page.locator("#runs-table tbody tr").count(), 4);
  assert.equal(await row(ids.finished).getAttribute("data-state"), "finished");
  assert.equal(await row(ids.running).getAttribute("data-state"), "running");
  assert.equal(await row(ids.running).getAttribute("data-step"), "10", "the half-written line is not read");
  assert.match(await row(ids.running).innerText(), /running: step 10 \(42%\), ETA \d+/);
  assert.match(await row(ids.failed).innerText(), /failed: the run's process ended with exit code 1: out of <memory>/);
  assert.equal(await row(ids.outside).getAttribute("data-state"), "queued", "a run directory linking outside DIR is not read");
  // curves: accuracy against examples, FLOPs and wall time, loss and batch accuracy, each drawing lines
  const plots = page.locator("#curves svg[class^='plot']");
  assert.ok((await plots.count()) >= 5, `plots: ${await plots.count()}`);
  for (let i = 0; i < 5; i++) assert.ok((await plots.nth(i).locator("path").count()) >= 1, `plot ${i} draws a line`);
  assert.ok(await page.getByText("Gradient norm arriving at each latent step").isVisible(), "the neuralese run's gradient profile");
  const accuracyPlot = plots.first();
  const dotsBefore = await accuracyPlot.locator("circle").count();
  await page.screenshot({ path: join(tmp, "live.png"), fullPage: true });

  // the rest of line 11 and the lines through the step-16 evaluation arrive: the page follows, no reload
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
  const through16 = runningLines.findIndex((l) => /"step":16,"split":"test"/.test(l));
  await appendFile(metrics, runningLines[upTo10].slice(40) + runningLines.slice(upTo10 + 1, through16 + 1).join(""));
  await page.waitForFunction(() => document.querySelector('#runs-table tr[data-run="pointer-chase/neuralese/s24/s0"]')?.getAttribute("data-step") === "16", null, { timeout: 20_000 });
  assert.ok((await accuracyPlot.locator("circle").count()) > dotsBefore, "the new evaluation is a new point on the curve");
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, "the page was not reloaded");

  // a run's page: config, curves, per-difficulty accuracy
  await page.goto(`${url}?run=${encodeURIComponent(ids.finished)}`);
  assert.ok(await page.getByText("config.json").isVisible());
  assert.ok(await page.getByText("Test accuracy by difficulty (final)").isVisible());
  assert.ok((await page.locator("svg[class^='plot']").count()) >= 5);
  await page.screenshot({ path: join(tmp, "run.png"), fullPage: true });

  // the bet finishes: every run's files and the bet's report are there, and the page shows the report
  await page.goto(url);
  await cp(join(real, "runs", ids.running), join(live, "runs", ids.running), { recursive: true });
  await cp(join(real, "runs", ids.failed), join(live, "runs", ids.failed), { recursive: true });
  log.hooks.onEnd!(planned(ids.running), { status: "finished", reused: false });
  await log.flush();
  for (const f of ["summary.json", "report.html", "results.md"]) await cp(join(real, f), join(live, f));
  await page.getByText("The bet has finished").waitFor({ timeout: 20_000 });
  assert.ok(await page.getByRole("heading", { name: "Learning curves (test accuracy" }).first().isVisible(), "the report's own sections");
  await page.screenshot({ path: join(tmp, "final.png"), fullPage: true });
  assert.deepEqual(errors, []);
  console.log(`screenshots in ${tmp}`);
});

test("paths outside DIR, other methods, unknown runs and foreign Host headers are refused", { timeout: 90_000 }, async () => {
  const host = { host: new URL(url).host };
  for (const path of ["/../bet.json", "/..%2f..%2fetc%2fpasswd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/spec.json", "/runs/..%5c..%5cspec.json"]) {
    const r = await rawGet(url, path, host);
    assert.equal(r.status, 403, `${path}: ${r.status} ${r.body}`);
  }
  assert.equal((await rawGet(url, "/runs/pointer-chase/direct/s24/s0/config.json", host)).status, 404, "no file is served by path");
  assert.equal((await rawGet(url, `/api/run?run=${encodeURIComponent("../elsewhere")}`, host)).status, 404);
  assert.equal((await rawGet(url, "/api/state", { host: "attacker.example:80" })).status, 403, "DNS-rebinding guard");
  const post = await new Promise<number>((resolve) => request(url, { method: "POST" }, (res) => resolve(res.statusCode!)).end());
  assert.equal(post, 405);
  const state = JSON.parse((await rawGet(url, "/api/state", host)).body) as { runs: Array<{ id: string; state: string; step: number }> };
  assert.deepEqual(state.runs.map((r) => r.id).sort(), Object.values(ids).sort());
  const outside = state.runs.find((r) => r.id === ids.outside)!;
  assert.deepEqual([outside.state, outside.step], ["queued", 0], "the symlinked run's files outside DIR are never read");
});

test("a non-loopback --host needs the token; a directory that is no run or bet is an error", { timeout: 90_000 }, async (t) => {
  const open = await serve(live, "--host", "0.0.0.0");
  t.after(() => open.child.kill());
  const token = /\?token=(\S+)/.exec(open.url)?.[1];
  assert.ok(token && token.length >= 24, open.out);
  // through 127.0.0.2, not .1: here 2 of 10 runs of this file saw the token-less request to 127.0.0.1
  // answered 200 (what answered is not known; this file's own loopback dashboard listens on 127.0.0.1);
  // the 0.0.0.0 dashboard is the only one that can answer on 127.0.0.2
  const base = `http://127.0.0.2:${new URL(open.url).port}`;
  assert.equal((await rawGet(base, "/api/state")).status, 401);
  assert.equal((await rawGet(base, `/api/state?token=${token.slice(0, -1)}x`)).status, 401);
  const ok = await rawGet(base, `/?token=${token}`);
  assert.equal(ok.status, 200);
  assert.equal((await rawGet(base, "/api/state", { authorization: `Bearer ${token}` })).status, 200);

  await mkdir(join(tmp, "empty"));
  const r = spawnSync(process.execPath, [bin, "serve", join(tmp, "empty")], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /holds neither a bet \(bet\.json\) nor a run \(config\.json\)/);
});
