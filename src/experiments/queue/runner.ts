// A bet's runs through a BullMQ queue on Redis instead of local child processes: the same
// contract as bet/runner.ts's executeRuns (same run directories, same statuses), so bet.json,
// `report` and `--resume` see no difference. Redis is the source of truth: the bet adds its
// runs as jobs with deterministic ids (adding again is a no-op), polls their states, and
// collects each finished run's files into DIR/runs/<id>. A run that starts from another run's
// model is added once that run is collected. Stopping the bet (Ctrl-C) leaves the jobs in Redis,
// where workers go on; `bet --resume --queue` finds them again.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { RUN_FILES } from "../../runs/index.js";
import type { PlannedRun } from "../bet/plan.js";
import { childConfig, reuseDone, runDirOf, type RunnerHooks, type RunStatus } from "../bet/runner.js";
import type { MonitorSpec } from "../bet/spec.js";
import { ArtifactStore, writeRunFiles } from "./artifacts.js";
import { connectChecked, connectionOptions, outageReporter } from "./connection.js";
import { ATTEMPTS, jobIdOf, QUEUE_NAME, type RunJob } from "./job.js";
import type { JobProgress, JobResult } from "./worker.js";

export interface QueueCounts {
  queued: number;
  running: number;
  done: number;
  failed: number;
  /** Running runs and the worker holding each. */
  holders: Map<string, string>;
}

export interface QueueHooks extends RunnerHooks {
  onQueue?(counts: QueueCounts): void;
  onNotice?(line: string): void;
}

export interface QueueRunOptions {
  url: string;
  /** How often job states are read (ms); default 500. */
  pollMs?: number;
}

type Tracked = { run: PlannedRun; jobId: string; started: boolean; step: number; worker?: string };

export async function executeRunsOnQueue(
  betDir: string,
  runs: readonly PlannedRun[],
  opts: QueueRunOptions,
  hooks: QueueHooks = {},
  monitor: MonitorSpec | null = null,
): Promise<Map<string, RunStatus>> {
  const startedAt = Date.now();
  const notice = hooks.onNotice ?? ((l: string) => console.error(l));
  const bet = resolve(betDir);
  const jobIdFor = (run: PlannedRun) => jobIdOf(bet, run.id, childConfig(bet, run));
  const byId = new Map(runs.map((r) => [r.id, r]));
  const { results, todo: pending } = await reuseDone(betDir, runs, monitor, hooks);
  if (pending.length === 0) return results;

  const redis = await connectChecked(opts.url);
  const store = new ArtifactStore(redis);
  const queue = new Queue<RunJob, JobResult, string>(QUEUE_NAME, { connection: connectionOptions(opts.url) });
  const outage = outageReporter(opts.url, "bet", notice);
  queue.on("error", (e) => outage.error(e));
  redis.on("error", (e) => outage.error(e));
  const tracked = new Map<string, Tracked>(); // by run id, added to the queue and not ended
  const waitingFor = new Map<string, PlannedRun[]>(); // init run id → runs starting from it
  const retried = new Set<string>();
  const toAdd: PlannedRun[] = []; // ready to be added (kept here until Redis has taken them)
  const initRuns = new Set(runs.flatMap((r) => (r.initFrom === undefined ? [] : [r.initFrom])));

  const payload = (run: PlannedRun, initJob: string | null): RunJob => ({ format: "neuralese-run", run: run.id, config: childConfig(bet, run), monitor, init: initJob });
  const enqueue = async (run: PlannedRun) => {
    const jobId = jobIdFor(run);
    let initJob: string | null = null;
    if (run.initFrom !== undefined) {
      // the model it starts from must be in Redis (it is not when that run was collected earlier, or ran locally)
      initJob = jobIdFor(byId.get(run.initFrom)!);
      if (!(await store.getFinalFile(initJob, RUN_FILES.model).catch(() => undefined))) {
        const model = await readFile(join(runDirOf(betDir, { id: run.initFrom }), RUN_FILES.model));
        await store.put(initJob, "final", new Map([[RUN_FILES.model, model]]));
      }
    }
    await queue.add(run.id, payload(run, initJob), { jobId, attempts: ATTEMPTS, backoff: { type: "fixed", delay: 1000 } });
    tracked.set(run.id, { run, jobId, started: false, step: 0 });
  };
  const end = async (run: PlannedRun, status: RunStatus) => {
    tracked.delete(run.id);
    results.set(run.id, status);
    hooks.onEnd?.(run, status);
    for (const next of waitingFor.get(run.id) ?? []) {
      if (status.status === "finished") toAdd.push(next);
      else await end(next, { status: "failed", error: `the run it starts from, ${run.id}, failed: ${status.error}` });
    }
    waitingFor.delete(run.id);
  };

  try {
    for (const run of pending) {
      const from = run.initFrom === undefined ? undefined : results.get(run.initFrom);
      if (run.initFrom === undefined || from?.status === "finished") toAdd.push(run);
      else waitingFor.set(run.initFrom, [...(waitingFor.get(run.initFrom) ?? []), run]);
    }
    while (tracked.size > 0 || toAdd.length > 0) {
      try {
        await poll();
        outage.ok();
      } catch (err) {
        outage.error(err);
      }
      report();
      if (tracked.size > 0 || toAdd.length > 0) await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
    }
    // the finished runs' files are on this disk now; Redis keeps only what unfinished dependents need
    for (const id of initRuns) if (results.get(id)?.status === "finished") await store.delete(jobIdFor(byId.get(id)!)).catch(() => {});
  } finally {
    await queue.close().catch(() => {});
    await (redis as Redis).quit().catch(() => {});
  }
  return results;

  async function poll(): Promise<void> {
    // adding is idempotent (deterministic job ids), so a run whose add failed mid-way is simply added again
    while (toAdd.length > 0) {
      await enqueue(toAdd[0]);
      toAdd.shift();
    }
    for (const t of [...tracked.values()]) {
      const job = await Job.fromId<RunJob, JobResult, string>(queue, t.jobId);
      if (!job) {
        // Redis lost it (restarted without persistence): add it again, it runs from scratch (or its checkpoint, if that survived)
        notice(`bet: run ${t.run.id}'s job ${t.jobId} is gone from Redis; adding it again`);
        tracked.delete(t.run.id);
        toAdd.push(t.run);
        continue;
      }
      const state = await job.getState();
      const progress = job.progress as Partial<JobProgress> | number;
      if (typeof progress === "object" && progress.worker) {
        if (!t.started) hooks.onStart?.(t.run, progress.worker);
        t.started = true;
        t.worker = state === "active" ? progress.worker : undefined;
        if (typeof progress.step === "number" && progress.step !== t.step) {
          t.step = progress.step;
          hooks.onStep?.(t.run, progress.step, progress.total ?? null);
        }
      }
      if (state === "completed") {
        const files = await store.get(t.jobId, "final");
        if (!files?.has(RUN_FILES.summary)) {
          notice(`bet: run ${t.run.id} finished but its files are not in Redis; running it again`);
          await job.remove();
          tracked.delete(t.run.id);
          toAdd.push(t.run);
          continue;
        }
        await writeRunFiles(runDirOf(betDir, t.run), files);
        // collected: Redis keeps a run's files only while runs starting from it may still need its model
        if (!initRuns.has(t.run.id)) await store.delete(t.jobId);
        await end(t.run, { status: "finished", reused: false });
      } else if (state === "failed") {
        // a bet started again retries what failed before it (as a local --resume does), once
        if (!retried.has(t.jobId) && job.finishedOn !== undefined && job.finishedOn < startedAt) {
          retried.add(t.jobId);
          await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
          continue;
        }
        await end(t.run, { status: "failed", error: `${job.failedReason ?? "failed"} (after ${job.attemptsMade} attempt${job.attemptsMade === 1 ? "" : "s"})` });
      }
    }
  }

  function report(): void {
    if (!hooks.onQueue) return;
    const holders = new Map<string, string>();
    for (const t of tracked.values()) if (t.worker) holders.set(t.run.id, t.worker);
    let failed = 0;
    for (const s of results.values()) if (s.status === "failed") failed++;
    const queued = tracked.size - holders.size + toAdd.length + [...waitingFor.values()].reduce((a, l) => a + l.length, 0);
    hooks.onQueue({ queued, running: holders.size, done: results.size - failed, failed, holders });
  }
}
