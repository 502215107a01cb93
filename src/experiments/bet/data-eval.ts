// After a bet's runs: each finished run scored on the spec's data files (e.g. Coconut's real
// ProsQA validation file), `jobs` child processes at a time. Scores are files in the run
// directory, so a resumed bet scores only what is missing or was scored on a file that has since
// changed (its digest); a failure is reported, not thrown.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { readFile } from "node:fs/promises";
import { pathExists } from "../../common/path-exists.js";
import { DataFileError, readEvalData, RUN_FILES, type FileScore } from "../../runs/index.js";
import { sha256 } from "../../runs/json.js";
import { join } from "node:path";
import { BetPlanError, type PlannedRun } from "./plan.js";
import { runDirOf } from "./runner.js";
import { dataScoreFile, type EvalDataSpec } from "./spec.js";

const CHILD = fileURLToPath(new URL("./data-child.ts", import.meta.url));

/**
 * Before anything is written: each data file names one of the bet's tasks and reads, with that
 * task's vocabulary, into questions that fit every run of the task.
 */
export async function checkEvalData(files: readonly EvalDataSpec[], runs: readonly PlannedRun[]): Promise<void> {
  const fix = "give --eval-data FILE (the task's own format: Coconut's ProsQA JSON or `neuralese data --jsonl` lines), or --eval-data none";
  for (const f of files) {
    const ofTask = runs.filter((r) => r.task === f.task);
    if (!ofTask.length) throw new BetPlanError(`evalData ${f.name}: task ${f.task} is not one of the bet's tasks`, fix);
    const checked = new Set<string>();
    for (const run of ofTask) {
      const key = JSON.stringify([run.config.task, run.config.model.maxLen]);
      if (checked.has(key)) continue;
      checked.add(key);
      try {
        await readEvalData(run.config, f.path);
      } catch (err) {
        if (err instanceof DataFileError) throw new BetPlanError(`evalData ${f.name} (run ${run.id}): ${err.message}`, err.hint ?? fix);
        throw err;
      }
    }
  }
}

/** Score every finished run on the files it has no score for; returns run id → error for those that failed. */
export async function scoreRunsOnData(betDir: string, runs: readonly PlannedRun[], files: readonly EvalDataSpec[], jobs: number): Promise<Map<string, string>> {
  // each file's digest now, against the one each stored score was computed on
  const digest = new Map<string, string>();
  for (const f of files) if (!digest.has(f.path)) digest.set(f.path, sha256(await readFile(f.path)));
  const todo: { dir: string; id: string; files: EvalDataSpec[] }[] = [];
  for (const run of runs) {
    const dir = runDirOf(betDir, run);
    if (!(await pathExists(join(dir, RUN_FILES.summary)))) continue;
    const missing = [];
    for (const f of files.filter((f) => f.task === run.task)) if ((await scoredDigest(dataScoreFile(dir, f.name))) !== digest.get(f.path)) missing.push(f);
    if (missing.length) todo.push({ dir, id: run.id, files: missing });
  }
  const failed = new Map<string, string>();
  const worker = async () => {
    for (let t = todo.shift(); t; t = todo.shift()) {
      const error = await scoreInChild(t.dir, t.files);
      if (error) failed.set(t.id, error);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, todo.length)) }, worker));
  return failed;
}

/** The digest of the file a stored score was computed on (null: no score yet). */
const scoredDigest = (file: string) => readFile(file, "utf8").then((t) => (JSON.parse(t) as FileScore).data.sha256, () => null);

function scoreInChild(dir: string, files: readonly EvalDataSpec[]): Promise<string | null> {
  return new Promise((resolve) => {
    const child = fork(CHILD, [dir, JSON.stringify(files)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "pipe", "ipc"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on("exit", (code, signal) => resolve(code === 0 ? null : `scoring on data files failed (${signal ?? `exit code ${code}`}): ${stderr.trim().split("\n").slice(-2).join(" | ")}`));
  });
}
