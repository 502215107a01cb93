// A queue worker: takes run jobs from Redis and trains each in a child process exactly as the
// local runner does (bet/run-child.ts: same config resolution, same seeds), in a scratch
// directory of its own named by the job id. Each checkpoint is shipped to Redis before training
// goes on, so a job taken over after this worker died resumes from it; the finished run directory
// goes back through Redis too. The training runs in a child so this process's event loop stays
// free to renew the job's lock (a blocked loop would let the job run twice).
import type { ChildProcess } from "node:child_process";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { UnrecoverableError, WaitingError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { RUN_FILES } from "../../runs/index.js";
import type { ChildOptions, ParentMessage } from "../bet/run-child.js";
import { forkRun } from "../bet/runner.js";
import { ArtifactStore, readRunFiles, writeRunFiles } from "./artifacts.js";
import { connectChecked, connectionOptions, outageReporter } from "./connection.js";
import { BadJobError, parseRunJob, QUEUE_NAME, type RunJob } from "./job.js";

export interface WorkerOptions {
  url: string;
  concurrency: number;
  /** Every job's files live under here (one folder per job, removed when it ends). */
  scratch: string;
  /** A silent worker's runs go to another worker after about this long (ms); default 30 s. */
  stallMs?: number;
  log?: (line: string) => void;
}

/** What a job's progress holds (read by the bet for its progress bar). */
export interface JobProgress {
  step: number;
  total: number | null;
  worker: string;
}

/** The job's return value: a small manifest; the files themselves are in the artifact store. */
export interface JobResult {
  worker: string;
  files: string[];
}

export interface RunningWorker {
  name: string;
  close(): Promise<void>;
}

export async function startQueueWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const name = `${hostname()}:${process.pid}`;
  const redis = await connectChecked(opts.url);
  const store = new ArtifactStore(redis);
  const scratch = resolve(opts.scratch);
  const children = new Map<string, ChildProcess>();
  const stallMs = opts.stallMs ?? 30_000;
  const outage = outageReporter(opts.url, `worker ${name}`, log);
  redis.on("error", (e) => outage.error(e));
  redis.on("ready", () => outage.ok());

  let stopping = false;
  const worker = new Worker<unknown, JobResult>(QUEUE_NAME, (job, token) => processJob(job, token), {
    connection: { ...connectionOptions(opts.url), maxRetriesPerRequest: null },
    concurrency: opts.concurrency,
    name,
    lockDuration: stallMs,
    stalledInterval: Math.max(500, Math.floor(stallMs / 2)),
    // machines get lost: a run may be taken over several times before it counts as failed
    maxStalledCount: 5,
    autorun: false,
  });
  worker.on("error", (e) => outage.error(e));
  // this worker lost a job's lock (Redis was away too long): another worker may have it now, so stop training it here
  worker.on("lockRenewalFailed", (ids) => ids.forEach((id) => children.get(id)?.kill("SIGKILL")));
  await worker.waitUntilReady();
  void worker.run();
  log(`worker ${name}: taking runs from ${QUEUE_NAME} (${opts.concurrency} at a time), scratch ${scratch}`);

  async function processJob(job: Job<unknown, JobResult>, token?: string): Promise<JobResult> {
    let run: RunJob;
    try {
      run = parseRunJob(job.id, job.data);
    } catch (err) {
      // a bad payload never trains and never gets better on a retry
      if (err instanceof BadJobError) {
        log(`worker ${name}: ${err.message}`);
        throw new UnrecoverableError(err.message);
      }
      throw err;
    }
    const id = job.id!; // checked by parseRunJob: run-<hex>
    const dir = join(scratch, id);
    await rm(dir, { recursive: true, force: true });
    try {
      const out = join(dir, "run");
      const checkpoint = await store.get(id, "checkpoint");
      if (checkpoint) {
        await writeRunFiles(out, checkpoint);
        log(`worker ${name}: ${run.run} resumes from its checkpoint in Redis`);
      }
      const child: ChildOptions = { shipCheckpoints: true };
      if (run.init !== null) {
        const model = await store.getFinalFile(run.init, RUN_FILES.model);
        if (!model) throw new Error(`the model of the run ${run.run} starts from (job ${run.init}) is not in Redis`);
        child.initDir = join(dir, "init");
        await mkdir(child.initDir, { recursive: true });
        await writeFile(join(child.initDir, RUN_FILES.model), model);
      }
      log(`worker ${name}: training ${run.run} (job ${id}, attempt ${job.attemptsMade + 1})`);
      try {
        await train(job, run, out, child);
      } catch (err) {
        if (!stopping) throw err;
        // stopped on purpose: hand the run back now (not after a stall); the next worker resumes it from its checkpoint
        await job.moveToWait(token);
        log(`worker ${name}: ${run.run} handed back to the queue`);
        throw new WaitingError();
      }
      const files = await readRunFiles(out);
      await store.put(id, "final", files, { dropCheckpoint: true });
      log(`worker ${name}: ${run.run} finished`);
      return { worker: name, files: [...files.keys()] };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  function train(job: Job, run: RunJob, out: string, options: ChildOptions): Promise<void> {
    if (stopping) return Promise.reject(new Error("the worker is stopping"));
    // caches (reward-model fits) stay inside the scratch directory too, shared by this worker's runs
    const env = { ...process.env, NEURALESE_CACHE_DIR: process.env.NEURALESE_CACHE_DIR ?? join(scratch, "cache") };
    const { child, ended } = forkRun(run.config, out, run.monitor, options, (m) => {
      if (m.type === "step") void job.updateProgress({ step: m.step, total: m.total, worker: name } satisfies JobProgress).catch(() => {});
      else if (m.type === "checkpoint") {
        // training waits until the checkpoint is in Redis; a failed upload only costs resumability
        void readRunFiles(out)
          .then((files) => store.put(job.id!, "checkpoint", files))
          .catch((err: Error) => log(`worker ${name}: could not ship ${run.run}'s checkpoint at step ${m.step}: ${err.message}`))
          .finally(() => child.connected && child.send({ type: "shipped", step: m.step } satisfies ParentMessage));
      }
    }, env);
    children.set(job.id!, child);
    return ended.then((error) => {
      children.delete(job.id!);
      if (error !== null) throw new Error(error);
    });
  }

  return {
    name,
    async close() {
      // stop training; the runs go back to the queue and other workers resume them from their checkpoints
      stopping = true;
      const closed = worker.close(); // takes no new job from here on, and waits for the ones handed back
      for (const child of children.values()) child.kill("SIGKILL");
      await closed;
      await (redis as Redis).quit().catch(() => {});
    },
  };
}
