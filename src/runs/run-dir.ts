// The run directory (DESIGN.md, "Run"): config.json, metrics.jsonl, summary.json,
// model.safetensors and checkpoint/. Every file is replaced atomically or only appended to, so a
// run killed at any moment leaves a directory that `resume` continues from; files already
// written are never overwritten by a failed open or resume.
import { mkdir, readFile, readdir, rm } from "node:fs/promises";
import { pathExists } from "../common/path-exists.js";
import { join } from "node:path";
import { atomicWriteFile, type AtomicWriteOptions } from "../engine/atomic-file.js";
import type { Tree } from "../engine/tree.js";
import { resolveRunConfig, reasonerConfigOf, type MethodConfigSpecs } from "./config.js";
import type { RunConfig } from "./config-schema.js";
import { configDifferences } from "./config-diff.js";
import { loadCheckpoint, saveCheckpoint, type Checkpoint, type CheckpointTrees } from "./checkpoint.js";
import { CHECKPOINT_FILE, RUN_FILES, RUN_FORMAT_VERSION, RunDirError } from "./format.js";
import { canonicalJson, isPlainObject, sha256 } from "./json.js";
import { MetricsWriter, bytesThroughStep, readMetrics, truncateMetrics, type MetricsRead, type MetricsRecord } from "./metrics-log.js";
import { loadModel, saveModel, type ModelFileInfo } from "./model-file.js";
import { readSummary, writeSummary, type Summary } from "./summary.js";

export interface ResumeState<T extends CheckpointTrees> {
  /** The last checkpoint, or undefined when the run stopped before its first (start from scratch). */
  checkpoint?: Checkpoint<T>;
  /** metrics.jsonl ended in a torn line (killed mid-write); it was cut away. */
  tornLine?: { line: number; bytes: number };
  /** Whole metrics lines past the checkpoint's step, cut away because the resumed run writes them again. */
  droppedRecords: number;
}

export class RunDir {
  private metrics?: MetricsWriter;
  /** An existing run must be resumed (its metrics tail settled) before anything is written. */
  private settled: boolean;

  private constructor(
    readonly path: string,
    readonly config: RunConfig,
    /** sha256 of the canonical JSON of config.json; checkpoints carry it. */
    readonly configHash: string,
    /** True when the directory already held this run (call `resume`). */
    readonly existed: boolean,
  ) {
    this.settled = !existed;
  }

  /**
   * Start a run in `path`. A missing or empty directory is made a new run. A directory holding
   * the same resolved config is opened as it is (existed = true: `resume` it). A directory
   * holding a different run, or other files, is refused unless `force`, which deletes the run
   * files there (only those) first.
   */
  static async create(path: string, config: RunConfig, opts: { force?: boolean } = {}): Promise<RunDir> {
    // a run killed while being created leaves only an empty checkpoint/ and temporary files: no run yet
    if (await onlyCreationLeftovers(path)) await rm(path, { recursive: true, force: true });
    const entries = await listDirectory(path);
    if (entries.length > 0) {
      const stored = entries.includes(RUN_FILES.config) ? await readStoredConfig(path).catch((err: unknown) => err) : undefined;
      if (stored !== undefined && !(stored instanceof Error) && sameRun(stored, config)) {
        return new RunDir(path, config, hashConfig(stored), true);
      }
      if (!opts.force) throw refusal(path, config, stored, entries);
      await removeRunFiles(path);
    }
    await mkdir(join(path, RUN_FILES.checkpointDir), { recursive: true });
    await atomicWriteFile(join(path, RUN_FILES.config), Buffer.from(`${JSON.stringify(config, null, 2)}\n`));
    return new RunDir(path, config, hashConfig(config), false);
  }

  /** Open an existing run (read-only until `resume`): config checked, format version checked. */
  static async open(path: string, opts: { methods?: MethodConfigSpecs } = {}): Promise<RunDir> {
    const entries = await listDirectory(path);
    if (!entries.includes(RUN_FILES.config)) {
      throw new RunDirError(`${path} is not a run directory (no ${RUN_FILES.config})`, "give the --out directory of a train command");
    }
    const stored = await readStoredConfig(path);
    const config = resolveRunConfig(stored, { methods: opts.methods, source: join(path, RUN_FILES.config) });
    return new RunDir(path, config, hashConfig(stored), true);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  /**
   * Load the last checkpoint into `templates`' structure (see loadCheckpoint), then settle
   * metrics.jsonl: a torn last line and lines past the checkpoint are cut away. A damaged
   * checkpoint throws before anything is changed.
   */
  async resume<T extends CheckpointTrees>(templates: T): Promise<ResumeState<T>> {
    const checkpoint = (await this.hasCheckpoint()) ? await this.loadCheckpoint(templates) : undefined;
    const read = await readMetrics(this.file(RUN_FILES.metrics));
    const keep = bytesThroughStep(read, checkpoint?.step ?? -1);
    const droppedRecords = read.records.length - read.ends.filter((end) => end <= keep).length;
    if (keep < read.goodBytes + (read.torn?.bytes ?? 0)) await truncateMetrics(this.file(RUN_FILES.metrics), keep);
    this.settled = true;
    return { checkpoint, tornLine: read.torn, droppedRecords };
  }

  async appendMetrics(record: MetricsRecord): Promise<void> {
    this.assertSettled();
    this.metrics ??= await MetricsWriter.open(this.file(RUN_FILES.metrics));
    await this.metrics.append(record);
  }

  /** Cut metrics.jsonl back to the records of steps ≤ `step` (a rollback to the checkpoint at `step`). */
  async rewindMetrics(step: number): Promise<void> {
    this.assertSettled();
    await this.close();
    const file = this.file(RUN_FILES.metrics);
    const read = await readMetrics(file);
    const keep = bytesThroughStep(read, step);
    if (keep < read.goodBytes + (read.torn?.bytes ?? 0)) await truncateMetrics(file, keep);
  }

  async syncMetrics(): Promise<void> {
    await this.metrics?.sync();
  }

  readMetrics(): Promise<MetricsRead> {
    return readMetrics(this.file(RUN_FILES.metrics));
  }

  async hasCheckpoint(): Promise<boolean> {
    return pathExists(this.file(CHECKPOINT_FILE));
  }

  /** Replace the checkpoint atomically (metrics up to here are synced first). Does not consume the trees. */
  async saveCheckpoint(ckpt: Checkpoint, opts: AtomicWriteOptions = {}): Promise<void> {
    this.assertSettled();
    await this.syncMetrics();
    await mkdir(this.file(RUN_FILES.checkpointDir), { recursive: true });
    await saveCheckpoint(this.file(CHECKPOINT_FILE), ckpt, this.configHash, opts);
  }

  loadCheckpoint<T extends CheckpointTrees>(templates: T): Promise<Checkpoint<T>> {
    return loadCheckpoint(this.file(CHECKPOINT_FILE), templates, this.configHash);
  }

  /** Write model.safetensors (final parameters, not consumed); `vocab` is the task's vocabulary size. */
  async saveModel(params: Tree, info: { step: number; vocab: number }): Promise<void> {
    this.assertSettled();
    const model: ModelFileInfo["model"] = { ...reasonerConfigOf(this.config, info.vocab), latentSteps: this.config.model.latentSteps };
    await saveModel(this.file(RUN_FILES.model), params, { model, task: this.config.task, method: this.config.method, step: info.step });
  }

  loadModel(template?: Tree): Promise<{ params: Tree; info: ModelFileInfo }> {
    return loadModel(this.file(RUN_FILES.model), template);
  }

  /** Write summary.json atomically with its checksum (metrics are synced first). */
  async writeSummary(summary: Summary): Promise<void> {
    this.assertSettled();
    await this.syncMetrics();
    await writeSummary(this.file(RUN_FILES.summary), summary);
  }

  readSummary(): Promise<Summary> {
    return readSummary(this.file(RUN_FILES.summary));
  }

  /** True once summary.json exists (the run finished). */
  finished(): Promise<boolean> {
    return pathExists(this.file(RUN_FILES.summary));
  }

  async close(): Promise<void> {
    await this.metrics?.close();
    this.metrics = undefined;
  }

  private assertSettled(): void {
    if (!this.settled) throw new Error(`RunDir ${this.path} already held this run: call resume() before writing to it`);
  }
}

/**
 * The stored config describes `config`'s run: equal once resolved, so a config.json written
 * before a field with a default existed (same format version) still reopens as the same run.
 */
function sameRun(stored: unknown, config: RunConfig): boolean {
  return canonicalJson(stored) === canonicalJson(config) || canonicalJson(resolvedOrAsIs(stored)) === canonicalJson(config);
}

function resolvedOrAsIs(stored: unknown): unknown {
  try {
    return resolveRunConfig(stored);
  } catch {
    return stored;
  }
}

/** Temporary files of interrupted atomic writes (engine/atomic-file.ts names them so). */
const ATOMIC_LEFTOVER = /^\..+\.\d+\.[0-9a-f]+\.tmp$/;

/** True when `path` holds nothing but what an interrupted `create` leaves (and something at all). */
async function onlyCreationLeftovers(path: string): Promise<boolean> {
  const entries = await listDirectory(path);
  if (entries.length === 0) return false;
  for (const name of entries) {
    if (ATOMIC_LEFTOVER.test(name)) continue;
    if (name === RUN_FILES.checkpointDir && (await listDirectory(join(path, name))).length === 0) continue;
    return false;
  }
  return true;
}

function hashConfig(stored: unknown): string {
  return sha256(canonicalJson(stored));
}

/** Entries of `path` ([] when it does not exist); an error when it is a file. */
async function listDirectory(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return [];
    if (code === "ENOTDIR") throw new RunDirError(`${path} is a file, not a run directory`);
    throw err;
  }
}

/** config.json as stored, after the format-version check. */
async function readStoredConfig(path: string): Promise<Record<string, unknown>> {
  const file = join(path, RUN_FILES.config);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new RunDirError(`${file} is unreadable or not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(value)) throw new RunDirError(`${file} does not hold a JSON object`);
  if (value.formatVersion !== RUN_FORMAT_VERSION) {
    throw new RunDirError(
      `${path} was written by an incompatible version of neuralese (run format ${JSON.stringify(value.formatVersion ?? "missing")}; this version reads format ${RUN_FORMAT_VERSION})`,
      "use the neuralese version that wrote it, or start a new run",
    );
  }
  return value;
}

function refusal(path: string, config: RunConfig, stored: unknown, entries: string[]): RunDirError {
  const hint = "choose another --out, resume it with --resume, or pass --force to replace it";
  if (stored instanceof Error) return new RunDirError(`${path} holds a run that cannot be read: ${stored.message}`, hint);
  if (stored === undefined) {
    const shown = entries.slice(0, 5).join(", ") + (entries.length > 5 ? ", ..." : "");
    return new RunDirError(`${path} is not empty and holds no run (${shown}); refusing to write into it`, "choose another --out, or pass --force");
  }
  const diffs = configDifferences(resolvedOrAsIs(stored), config);
  const shown = diffs.slice(0, 5).join("; ") + (diffs.length > 5 ? `; and ${diffs.length - 5} more` : "");
  return new RunDirError(`${path} already holds a different run (${shown})`, hint);
}

/** --force: delete the run's own files; config.json first, so an interrupted clean-up leaves no half run. */
async function removeRunFiles(path: string): Promise<void> {
  for (const name of [RUN_FILES.config, RUN_FILES.summary, RUN_FILES.model, RUN_FILES.report, RUN_FILES.metrics, RUN_FILES.checkpointDir]) {
    await rm(join(path, name), { recursive: true, force: true });
  }
}
