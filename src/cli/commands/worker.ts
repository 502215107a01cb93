// `neuralese worker --queue URL`: trains the runs a `neuralese bet --queue URL` puts on Redis,
// until stopped (Ctrl-C / SIGTERM). Start as many as you like, on as many machines as you like.
import { Command } from "commander";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { QueueError } from "../../experiments/queue/connection.js";
import { startQueueWorker } from "../../experiments/queue/worker.js";
import { positiveInt, throwAsUserError } from "../errors.js";

interface WorkerFlags {
  queue: string;
  concurrency: number;
  scratch?: string;
  stallMs: number;
}

export function workerCommand(): Command {
  return new Command("worker")
    .description("train the runs a `neuralese bet --queue URL` puts on Redis (run one or more per machine)")
    .requiredOption("--queue <url>", "the bet's Redis: redis://[:password@]host:port[/db], or rediss://... for TLS")
    .option("--concurrency <n>", "runs at a time in this worker, each in its own process", positiveInt("--concurrency"), 1)
    .option("--scratch <dir>", "where runs are trained before their files go back through Redis (default: a fresh folder under the system temp dir)")
    .option("--stall-ms <ms>", "a worker silent this long loses its runs to another worker, which resumes them from their last checkpoint", positiveInt("--stall-ms"), 30_000)
    .action(async (flags: WorkerFlags) => {
      const scratch = flags.scratch ?? join(tmpdir(), `neuralese-worker-${process.pid}`);
      const options = { url: flags.queue, concurrency: flags.concurrency, scratch, stallMs: flags.stallMs };
      const running = await startQueueWorker(options).catch((err) => throwAsUserError(err, QueueError));
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          console.error(`worker ${running.name}: ${signal}: stopping; its unfinished runs go to other workers (from their last checkpoint)`);
          void running.close().then(resolve, resolve);
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
      if (!flags.scratch) await rm(scratch, { recursive: true, force: true });
    });
}
