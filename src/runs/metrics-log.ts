// metrics.jsonl: one JSON object per line, append-only. A kill mid-write can leave a torn last
// line (no newline, or half an object); reading detects it, and resuming truncates it away.
import { open, readFile, truncate, type FileHandle } from "node:fs/promises";
import { RunDirError } from "./format.js";
import { stringifyKeepingNonFinite } from "./json.js";

/** A metrics line: the step it belongs to plus any numbers, vectors or labels. */
export interface MetricsRecord {
  step: number;
  [field: string]: unknown;
}

export interface MetricsRead {
  records: MetricsRecord[];
  /** Byte offset just past each record's line (its newline included). */
  ends: number[];
  /** Byte length of the whole lines read; a torn tail starts here. */
  goodBytes: number;
  /** Set when the file ends in a torn line. */
  torn?: { line: number; bytes: number };
}

/** Parse metrics.jsonl. A bad line before the last is corruption (an error naming the line); a bad last line is torn. */
export async function readMetrics(path: string): Promise<MetricsRead> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { records: [], ends: [], goodBytes: 0 };
    throw err;
  }
  const records: MetricsRecord[] = [];
  const ends: number[] = [];
  let start = 0;
  for (let line = 1; start < bytes.byteLength; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.byteLength : newline;
    const record = parseRecord(bytes.subarray(start, end).toString("utf8"));
    const last = newline < 0 || newline === bytes.byteLength - 1;
    if (record === undefined || newline < 0) {
      if (last) return { records, ends, goodBytes: start, torn: { line, bytes: bytes.byteLength - start } };
      throw new RunDirError(`${path} line ${line} is not a JSON object with a numeric "step"; the file is corrupted`, "fix or remove that line, then resume");
    }
    records.push(record);
    start = end + 1;
    ends.push(start);
  }
  return { records, ends, goodBytes: start };
}

/** One line's record, or undefined when it is not a JSON object with a numeric "step". */
export function parseRecord(text: string): MetricsRecord | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    const ok = typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as MetricsRecord).step === "number";
    return ok ? (value as MetricsRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** The append side: one open handle, a line per record, fsync when asked. */
export class MetricsWriter {
  private constructor(
    readonly path: string,
    private handle: FileHandle,
    private dirty = false,
  ) {}

  static async open(path: string): Promise<MetricsWriter> {
    return new MetricsWriter(path, await open(path, "a"));
  }

  /** Append one record as one line in one write (NaN and ±Infinity kept as strings). */
  async append(record: MetricsRecord): Promise<void> {
    if (typeof record.step !== "number") throw new Error(`metrics record needs a numeric "step", got ${JSON.stringify(record)}`);
    const line = stringifyKeepingNonFinite(record);
    if (line.includes("\n")) throw new Error("metrics record serialised with a newline"); // cannot happen with JSON.stringify
    await this.handle.appendFile(`${line}\n`);
    this.dirty = true;
  }

  /** Make everything appended so far durable (called before checkpoints and at the end). */
  async sync(): Promise<void> {
    if (!this.dirty) return;
    await this.handle.sync();
    this.dirty = false;
  }

  async close(): Promise<void> {
    await this.sync();
    await this.handle.close();
  }
}

/** Cut the file to its first `bytes` bytes (dropping a torn tail, or lines past a checkpoint). */
export async function truncateMetrics(path: string, bytes: number): Promise<void> {
  await truncate(path, bytes);
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Bytes of the lines before the first record with step > `step` (what a resume from `step` keeps). */
export function bytesThroughStep(read: MetricsRead, step: number): number {
  const first = read.records.findIndex((r) => r.step > step);
  if (first < 0) return read.goodBytes;
  return first === 0 ? 0 : read.ends[first - 1];
}
