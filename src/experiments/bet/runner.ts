// Runs a bet's planned runs in parallel child processes (`jobs` at a time), each deterministic
// and each in its own run directory, so a killed bet resumes by running again: finished runs
// are skipped, stopped ones continue from their last checkpoint.
import { fork, type ChildProcess } from "node:child_process";
import { pathExists } from "../../common/path-exists.js";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RUN_FILES, type RunConfig } from "../../runs/index.js";
import type { ChildMessage, ChildOptions } from "./run-child.js";
import { inspectable, INSPECT_FILE } from "../monitor/inspect.js";
import type { PlannedRun } from "./plan.js";
import type { MonitorSpec } from "./spec.js";

export type RunStatus = { status: "finished"; reused: boolean } | { status: "failed"; error: string };

export interface RunnerHooks {
  /** A run started (`worker`: the queue worker holding it). */
  onStart?(run: PlannedRun, worker?: string): void;
  onStep?(run: PlannedRun, step: number, total: number | null): void;
  onEnd?(run: PlannedRun, status: RunStatus): void;
}

const CHILD = fileURLToPath(new URL("./run-child.ts", import.meta.url));

export const runDirOf = (betDir: string, run: Pick<PlannedRun, "id">) => join(betDir, "runs", run.id);

/** The run's config as its child gets it: `init` is the absolute directory of the run it starts from. */
export const childConfig = (betDir: string, run: PlannedRun): RunConfig =>
  run.initFrom === undefined ? run.config : { ...run.config, init: resolve(runDirOf(betDir, { id: run.initFrom })) };

/** A run is done when it has finished training and, where the bet monitors it, been inspected. */
async function isRunDone(betDir: string, run: PlannedRun, monitor: MonitorSpec | null): Promise<boolean> {
  const dir = runDirOf(betDir, run);
  if (!(await pathExists(join(dir, RUN_FILES.summary)))) return false;
  return !monitor || !inspectable(run.config) || pathExists(join(dir, INSPECT_FILE));
}

/** The runs already done, each reported to `onEnd` as finished and reused; `todo`: the others. */
export async function reuseDone(betDir: string, runs: readonly PlannedRun[], monitor: MonitorSpec | null, hooks: RunnerHooks): Promise<{ results: Map<string, RunStatus>; todo: PlannedRun[] }> {
  const results = new Map<string, RunStatus>();
  const todo: PlannedRun[] = [];
  for (const run of runs) {
    if (await isRunDone(betDir, run, monitor)) {
      results.set(run.id, { status: "finished", reused: true });
      hooks.onEnd?.(run, results.get(run.id)!);
    } else todo.push(run);
  }
  return { results, todo };
}

/** Run every planned run not done yet; resolves when all have ended (a failed run does not stop the others). */
export async function executeRuns(
  betDir: string,
  runs: readonly PlannedRun[],
  jobs: number,
  hooks: RunnerHooks = {},
  monitor: MonitorSpec | null = null,
): Promise<Map<string, RunStatus>> {
  const { results, todo: queue } = await reuseDone(betDir, runs, monitor, hooks);
  // a run that starts from another run's parameters goes after it (plans allow one level), else in plan order
  const at = new Map(queue.map((r, i) => [r.id, i]));
  const key = (r: PlannedRun) => (r.initFrom === undefined ? at.get(r.id)! : Math.max(at.get(r.id)!, (at.get(r.initFrom) ?? -1) + 0.5));
  queue.sort((a, b) => key(a) - key(b));
  const ended = new Map<string, Promise<RunStatus>>();
  const endOf = new Map<string, (s: RunStatus) => void>();
  for (const run of queue) ended.set(run.id, new Promise((resolve) => endOf.set(run.id, resolve)));
  const statusOf = (id: string): Promise<RunStatus> | RunStatus =>
    results.get(id) ?? ended.get(id) ?? { status: "failed", error: `run ${id} is not part of this bet` };
  const children = new Set<ChildProcess>();
  const stopChildren = () => children.forEach((c) => c.kill("SIGTERM"));
  process.once("exit", stopChildren);
  try {
    const worker = async () => {
      for (let run = queue.shift(); run; run = queue.shift()) {
        let status: RunStatus;
        const from = run.initFrom === undefined ? undefined : await statusOf(run.initFrom);
        if (from && from.status !== "finished") {
          status = { status: "failed", error: `the run it starts from, ${run.initFrom}, failed: ${from.error}` };
        } else {
          hooks.onStart?.(run);
          status = await runChild(betDir, run, children, hooks, monitor);
        }
        results.set(run.id, status);
        endOf.get(run.id)?.(status);
        hooks.onEnd?.(run, status);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, queue.length)) }, worker));
  } finally {
    process.off("exit", stopChildren);
  }
  return results;
}

async function runChild(betDir: string, run: PlannedRun, children: Set<ChildProcess>, hooks: RunnerHooks, monitor: MonitorSpec | null): Promise<RunStatus> {
  const { child, ended } = forkRun(childConfig(betDir, run), runDirOf(betDir, run), monitor, {}, (m) => {
    if (m.type === "step") hooks.onStep?.(run, m.step, m.total);
  });
  children.add(child);
  const error = await ended;
  children.delete(child);
  return error === null ? { status: "finished", reused: false } : { status: "failed", error };
}

/**
 * Train `config` into `out` (then inspect it, where `monitor` asks) in a run-child.ts process of
 * its own; `onMessage` sees each of its messages. `ended`: null once it exits with 0, else why it
 * failed (its own error, or how it ended and the last lines of its stderr).
 */
export function forkRun(config: RunConfig, out: string, monitor: MonitorSpec | null, options: ChildOptions, onMessage: (m: ChildMessage) => void, env?: NodeJS.ProcessEnv): { child: ChildProcess; ended: Promise<string | null> } {
  const child = fork(CHILD, [JSON.stringify(config), out, JSON.stringify(monitor), JSON.stringify(options)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    ...(env ? { env } : {}),
  });
  let error: string | undefined;
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.on("message", (m: ChildMessage) => {
    if (m.type === "error") error = m.message;
    onMessage(m);
  });
  const ended = new Promise<string | null>((resolve) =>
    child.on("exit", (code, signal) => resolve(code === 0 ? null : (error ?? `the run's process ended with ${signal ?? `exit code ${code}`}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`))),
  );
  return { child, ended };
}
