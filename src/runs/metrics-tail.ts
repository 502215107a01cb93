// metrics.jsonl read while a run is still writing it (the live dashboard): each update parses only
// the bytes appended since the last one and leaves a half-written last line for the next. A file
// that shrank, or whose bytes already read changed (a resume or a rollback cut it and wrote
// again), is read again from the start.
import { open } from "node:fs/promises";
import { parseRecord, type MetricsRecord } from "./metrics-log.js";

/** Bytes before the read offset compared on each update to notice a file rewritten in place. */
const CHECK_BYTES = 256;
/** The most bytes parsed per update (a huge backlog is read over several updates). */
const MAX_READ = 8 * 1024 * 1024;

export class MetricsTail {
  private offset = 0;
  private check = Buffer.alloc(0);
  /** Every whole line's record so far, in file order (repeated steps included). */
  records: MetricsRecord[] = [];
  /** Whole lines that were not a record (corruption before the end; skipped, not fatal here). */
  badLines = 0;
  /** Bytes of a half-written last line waiting for its newline. */
  pendingBytes = 0;

  constructor(readonly path: string) {}

  /** Read what was appended; true when the records changed. */
  async update(): Promise<boolean> {
    let handle;
    try {
      handle = await open(this.path, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      const had = this.records.length > 0;
      this.reset();
      return had;
    }
    try {
      const { size } = await handle.stat();
      let changed = false;
      if (size < this.offset || !(await this.prefixUnchanged(handle))) {
        changed = this.records.length > 0;
        this.reset();
      }
      const length = Math.min(size - this.offset, MAX_READ);
      if (length <= 0) {
        this.pendingBytes = 0;
        return changed;
      }
      const bytes = Buffer.alloc(length);
      const { bytesRead } = await handle.read(bytes, 0, length, this.offset);
      const chunk = bytes.subarray(0, bytesRead);
      const lastNewline = chunk.lastIndexOf(0x0a);
      this.pendingBytes = size - this.offset - (lastNewline + 1);
      if (lastNewline < 0) return changed;
      for (const line of chunk.subarray(0, lastNewline).toString("utf8").split("\n")) {
        const record = parseRecord(line);
        if (record) this.records.push(record);
        else this.badLines++;
      }
      this.offset += lastNewline + 1;
      this.check = Buffer.from(chunk.subarray(Math.max(0, lastNewline + 1 - CHECK_BYTES), lastNewline + 1));
      return true;
    } finally {
      await handle.close();
    }
  }

  private async prefixUnchanged(handle: import("node:fs/promises").FileHandle): Promise<boolean> {
    if (this.offset === 0) return true;
    const now = Buffer.alloc(this.check.length);
    const { bytesRead } = await handle.read(now, 0, now.length, this.offset - this.check.length);
    return bytesRead === now.length && now.equals(this.check);
  }

  private reset(): void {
    this.offset = 0;
    this.check = Buffer.alloc(0);
    this.records = [];
    this.badLines = 0;
    this.pendingBytes = 0;
  }
}

/**
 * The records of the run as it stands, when steps repeat: a run that restarted from a checkpoint
 * at step s writes steps after s again, so a training step at or below one already seen drops
 * every earlier record from that step on; an evaluation repeated at a step replaces the earlier
 * one. Events (rollbacks) are left out. In step order.
 */
export function latestRecords(records: readonly MetricsRecord[]): MetricsRecord[] {
  const out: MetricsRecord[] = [];
  let lastTrain = -Infinity;
  for (const r of records) {
    if (r.event !== undefined) continue;
    if (typeof r.split !== "string") {
      if (r.step <= lastTrain) while (out.length > 0 && out[out.length - 1].step >= r.step) out.pop();
      lastTrain = r.step;
      out.push(r);
      continue;
    }
    for (let i = out.length - 1; i >= 0 && out[i].step >= r.step; i--) {
      if (out[i].step === r.step && out[i].split === r.split) out.splice(i, 1);
    }
    out.push(r);
  }
  return out;
}
