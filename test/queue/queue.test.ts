// Bets through the queue, against a real redis-server and real worker processes (nothing
// mocked): the same results as a local bet, a worker killed with SIGKILL mid-run (another worker
// resumes the run from its checkpoint in Redis and ends with the same parameters), Redis
// restarted mid-bet, hostile jobs, and a wrong password. Short lock times make stalls take seconds.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Job, Queue } from "bullmq";
import { Redis } from "ioredis";
import { PASSWORD, startRedis, type TestRedis } from "./redis-server.js";

const bin = fileURLToPath(new URL("../../bin/neuralese.mjs", import.meta.url));
const QUEUE = "neuralese-runs";
const STALL_MS = "3000";

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
    eval: { every: 12, valExamples: 32, testExamples: 48 },
    checkpointEvery: 4,
  },
  target: { accuracy: 0.5, split: "test" },
  monitor: null,
};

/** The summary without wall-clock figures (they differ between runs). */
function withoutWall(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutWall);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !/wall/i.test(k)).map(([k, v]) => [k, withoutWall(v)]));
}

interface Proc {
  child: ChildProcess;
  stderr: () => string;
  exit: Promise<number | null>;
}

function start(...args: string[]): Proc {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  return { child, stderr: () => err, exit: new Promise((resolve) => child.once("exit", (code) => resolve(code))) };
}

const workers: Proc[] = [];
function startWorker(url: string, scratch?: string, more: string[] = []): Proc {
  // under the test's folder: a worker killed with SIGKILL cannot clean its scratch up
  const w = start("worker", "--queue", url, "--stall-ms", STALL_MS, "--scratch", scratch ?? join(tmp, `worker-${workers.length}-${Date.now()}`), ...more);
  workers.push(w);
  return w;
}
async function stopWorkers(): Promise<void> {
  for (const w of workers.splice(0)) {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGTERM");
    await w.exit;
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let redis: TestRedis;
let tmp: string;
let specFile: string;
const local = () => join(tmp, "local");

before(async () => {
  redis = await startRedis();
  tmp = await mkdtemp(join(tmpdir(), "neuralese-queue-"));
  specFile = join(tmp, "spec.json");
  await writeFile(specFile, JSON.stringify(spec));
});

after(async () => {
  await stopWorkers();
  await redis?.stop();
  await rm(tmp, { recursive: true, force: true });
});

test("a 4-run bet through 2 workers gives the local bet's summary, and says which worker holds each run", { timeout: 300_000 }, async () => {
  const ref = start("bet", "--spec", specFile, "--out", local(), "--jobs", "2");
  assert.equal(await ref.exit, 0, ref.stderr());
  const url = redis.url(1);
  const [a, b] = [startWorker(url), startWorker(url)];
  const out = join(tmp, "queued");
  const bet = start("bet", "--spec", specFile, "--out", out, "--queue", url);
  assert.equal(await bet.exit, 0, bet.stderr());
  await stopWorkers();
  const want = JSON.parse(await readFile(join(local(), "summary.json"), "utf8"));
  const got = JSON.parse(await readFile(join(out, "summary.json"), "utf8"));
  assert.deepEqual(withoutWall(got), withoutWall(want));
  for (const run of want.runs) {
    assert.deepEqual(await readFile(join(out, run.dir, "model.safetensors")), await readFile(join(local(), run.dir, "model.safetensors")), run.id);
  }
  // both workers trained runs, and the bet's progress named the worker holding each running run
  for (const w of [a, b]) {
    assert.match(w.stderr(), /training pointer-chase\//);
    assert.match(bet.stderr(), new RegExp(`pointer-chase/[a-z]+/s24/s\\d@[^ ",]+:${w.child.pid}`));
  }
  assert.match(bet.stderr(), /through the queue on redis:\/\/:\*\*\*@127\.0\.0\.1/);
  assert.ok(!bet.stderr().includes(PASSWORD), "the password is never printed");
  assert.match(bet.stderr(), /"detail":"runs: 0 queued, 0 running, 4 done, 0 failed"/);
  // the collected runs' files were removed from Redis
  const client = new Redis(url);
  assert.deepEqual(await client.keys("neuralese:*"), []);
  await client.quit();
});

test("a worker killed with SIGKILL mid-run: another resumes the run from its checkpoint, same final parameters", { timeout: 240_000 }, async () => {
  const url = redis.url(2);
  const one = { ...spec, arms: ["neuralese"], seeds: [0] };
  const file = join(tmp, "one.json");
  await writeFile(file, JSON.stringify(one));
  const [a, b] = [startWorker(url), startWorker(url)];
  const out = join(tmp, "killed");
  const bet = start("bet", "--spec", file, "--out", out, "--queue", url);
  const client = new Redis(url);
  // once the run's first checkpoint is in Redis, kill the worker that holds it
  const jobKey = await until("a checkpoint in Redis", async () => (await client.keys("neuralese:neuralese-runs:checkpoint:*"))[0]);
  const jobId = jobKey.split(":").pop()!;
  const holder = JSON.parse((await client.hget(`bull:${QUEUE}:${jobId}`, "progress")) ?? "{}").worker as string;
  const victim = [a, b].find((w) => holder.endsWith(`:${w.child.pid}`));
  assert.ok(victim, `the holder ${holder} is one of the workers`);
  victim.child.kill("SIGKILL");
  assert.equal(await bet.exit, 0, bet.stderr());
  await client.quit();
  const survivor = victim === a ? b : a;
  assert.match(survivor.stderr(), /pointer-chase\/neuralese\/s24\/s0 resumes from its checkpoint in Redis/);
  assert.doesNotMatch(victim.stderr(), /neuralese\/s24\/s0 finished/, "the killed worker did not finish the run");
  await stopWorkers();
  const dir = "runs/pointer-chase/neuralese/s24/s0";
  assert.deepEqual(await readFile(join(out, dir, "model.safetensors")), await readFile(join(local(), dir, "model.safetensors")));
  // summary.json's checksum covers its wall times too
  const { checksum: _g, ...got } = JSON.parse(await readFile(join(out, dir, "summary.json"), "utf8"));
  const { checksum: _w, ...want } = JSON.parse(await readFile(join(local(), dir, "summary.json"), "utf8"));
  assert.deepEqual(withoutWall(got), withoutWall(want));
});

test("Redis stopped and restarted mid-bet, then Ctrl-C: the bet waits for Redis, and `bet --resume --queue` completes it", { timeout: 240_000 }, async () => {
  const url = redis.url(3);
  const two = { ...spec, arms: ["direct"] };
  const file = join(tmp, "two.json");
  await writeFile(file, JSON.stringify(two));
  startWorker(url);
  const out = join(tmp, "restarted");
  const bet = start("bet", "--spec", file, "--out", out, "--queue", url);
  await until("a run in progress", () => /"running":"pointer-chase/.test(bet.stderr()));
  await redis.restart(1500); // without persistence: every job and checkpoint in it is lost
  // Ctrl-C once one run is collected: the other stays with the worker
  await until("a collected run", () => /"status":"finished"/.test(bet.stderr()));
  bet.child.kill("SIGINT");
  assert.equal(await bet.exit, 130, bet.stderr());
  assert.match(bet.stderr(), /stopped; its runs stay in the queue .*neuralese bet --resume --out/);
  assert.match(bet.stderr(), /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/3 .*waiting for it to come back/);
  assert.match(bet.stderr(), /is back/);
  assert.ok(!existsSync(join(out, "summary.json")), "stopped before the end");
  const resumed = start("bet", "--resume", "--out", out, "--queue", url);
  assert.equal(await resumed.exit, 0, resumed.stderr());
  assert.match(resumed.stderr(), /"reused":true/, "the collected run is kept");
  await stopWorkers();
  for (const seed of [0, 1]) {
    const dir = `runs/pointer-chase/direct/s24/s${seed}`;
    assert.deepEqual(await readFile(join(out, dir, "model.safetensors")), await readFile(join(local(), dir, "model.safetensors")), dir);
  }
});

test("a run that fails 3 times is failed with its error in the report, and the rest of the bet goes on", { timeout: 240_000 }, async () => {
  const url = redis.url(5);
  // the task cannot draw a million distinct questions: the run fails when it starts, every time
  const mixed = { ...spec, arms: ["direct"], seeds: [0], budgets: [...spec.budgets, { id: "huge", label: "too many questions", config: { trainExamples: 1_000_000, budget: { maxSteps: 24 } } }] };
  const file = join(tmp, "mixed.json");
  await writeFile(file, JSON.stringify(mixed));
  const w = startWorker(url, undefined, ["--concurrency", "2"]);
  const out = join(tmp, "mixed");
  const bet = start("bet", "--spec", file, "--out", out, "--queue", url);
  assert.equal(await bet.exit, 2, bet.stderr());
  assert.match(bet.stderr(), /1 of 2 runs did not finish \(pointer-chase\/direct\/huge\/s0\)/);
  assert.equal((w.stderr().match(/training pointer-chase\/direct\/huge\/s0/g) ?? []).length, 3, "three attempts");
  await stopWorkers();
  const summary = JSON.parse(await readFile(join(out, "summary.json"), "utf8"));
  const failed = summary.runs.find((r: { id: string }) => r.id === "pointer-chase/direct/huge/s0");
  assert.equal(failed.status, "failed");
  assert.match(failed.error, /trainExamples.*\(after 3 attempts\)/);
  assert.match(await readFile(join(out, "results.md"), "utf8"), /trainExamples/);
  const dir = "runs/pointer-chase/direct/s24/s0";
  assert.deepEqual(await readFile(join(out, dir, "model.safetensors")), await readFile(join(local(), dir, "model.safetensors")));
});

test("a malformed job and path-traversing jobs are rejected with clear errors, not retried, and write nothing", { timeout: 120_000 }, async () => {
  const url = redis.url(4);
  const scratch = join(tmp, "scratch");
  const evil = join(tmp, "evil");
  const w = startWorker(url, scratch);
  const queue = new Queue(QUEUE, { connection: { host: "127.0.0.1", port: redis.port, password: PASSWORD, db: 4 } });
  const good = JSON.parse(await readFile(join(local(), "runs/pointer-chase/direct/s24/s0/config.json"), "utf8"));
  const id = (c: string) => `run-${c.repeat(40)}`;
  const jobs = [
    { id: id("a"), data: { format: "neuralese-run", run: "pointer-chase/direct/s24/s0", config: { ...good, batchSize: "lots" }, monitor: null, init: null }, why: /bad config: invalid run config:\s+batchSize: got "lots"; expected a number/ },
    { id: id("b"), data: { format: "neuralese-run", run: `../../../../..${evil}/s0`, config: good, monitor: null, init: null }, why: /is not a run id .*a path in a job is never used/ },
    { id: id("c"), data: { format: "neuralese-run", run: "../../../x", config: good, monitor: null, init: null }, why: /is not a run id/ },
    { id: "../../evil", data: { format: "neuralese-run", run: "pointer-chase/direct/s24/s0", config: good, monitor: null, init: null }, why: /its id is not a neuralese run id/ },
    { id: id("d"), data: { format: "neuralese-run", run: "pointer-chase/direct/s24/s0", config: { ...good, trainData: "/etc/passwd" }, monitor: null, init: null }, why: /trains on a data file .*cannot read/ },
    { id: id("e"), data: { format: "neuralese-run", run: "pointer-chase/direct/s24/s0", config: { ...good, init: join(evil, "x") }, monitor: null, init: "../x" }, why: /init "\.\.\/x" is not a run's job id/ },
    { id: id("f"), data: { hello: "world" }, why: /payload is not a neuralese run/ },
  ];
  // closed whatever happens: an open connection would keep this file's process alive after Redis stops
  try {
    for (const j of jobs) await queue.add("hostile", j.data, { jobId: j.id, attempts: 3 });
    for (const j of jobs) {
      // the job is read after its state is failed: read before, it can lack the reason written with the move
      const job = await until(`job ${j.id} to fail`, async () => ((await queue.getJobState(j.id)) === "failed" ? Job.fromId(queue, j.id) : undefined), 60_000);
      assert.match(job.failedReason, j.why, `${j.id}: ${job.failedReason}`);
      assert.equal(job.attemptsMade, 1, `${j.id}: not retried`);
    }
  } finally {
    await queue.close();
  }
  assert.match(w.stderr(), /rejected: run .* is not a run id/);
  await stopWorkers();
  assert.ok(!existsSync(evil), "nothing written where the job pointed");
  assert.ok(!existsSync(scratch) || readdirSync(scratch).length === 0, "nothing written in the worker's scratch directory");
});

test("a wrong password or an unreachable Redis is a clear error naming the URL (password hidden), and nothing is written", { timeout: 120_000 }, async () => {
  const wrong = start("bet", "--spec", specFile, "--out", join(tmp, "wrong"), "--queue", `redis://:nope@127.0.0.1:${redis.port}`);
  assert.equal(await wrong.exit, 2);
  assert.match(wrong.stderr(), new RegExp(`error: Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port} refused the password`));
  assert.ok(!wrong.stderr().includes("nope"));
  const down = start("worker", "--queue", "redis://:pw@127.0.0.1:1");
  assert.equal(await down.exit, 2);
  assert.match(down.stderr(), /error: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 \(connect ECONNREFUSED/);
  assert.ok(!existsSync(join(tmp, "wrong")), "nothing written");
});
