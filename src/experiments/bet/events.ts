// DIR/events.jsonl: when each run of a bet started and how it ended, one line per event, appended
// by the process that runs the bet. A dashboard in another process reads it to tell queued,
// running and failed runs apart while the bet goes on (a failure's error is in no run file).
import { appendFile, open } from "node:fs/promises";
import { join } from "node:path";
import type { PlannedRun } from "./plan.js";
import type { RunnerHooks, RunStatus } from "./runner.js";

export const EVENTS_FILE = "events.jsonl";

export interface BetEvent {
  run: string;
  event: "start" | "end";
  /** ISO time of the event. */
  time: string;
  status?: RunStatus["status"];
  error?: string;
  /** The worker holding the run (queue runners). */
  worker?: string;
}

/** Hooks that append each start and end to DIR/events.jsonl, then call `inner`'s (any other hook of `inner`, e.g. a queue's, passes through). */
export function eventLog<H extends RunnerHooks>(dir: string, inner: H = {} as H): { hooks: H; flush: () => Promise<void> } {
  let chain = Promise.resolve();
  const append = (e: Omit<BetEvent, "time">) => {
    const line = `${JSON.stringify({ ...e, time: new Date().toISOString() })}\n`;
    // a dashboard is a convenience: a failed append never stops the bet
    chain = chain.then(() => appendFile(join(dir, EVENTS_FILE), line)).catch(() => undefined);
  };
  return {
    hooks: {
      ...inner,
      onStart(run: PlannedRun, worker?: string) {
        append({ run: run.id, event: "start", ...(worker ? { worker } : {}) });
        inner.onStart?.(run, worker);
      },
      onEnd(run: PlannedRun, status: RunStatus) {
        append({ run: run.id, event: "end", status: status.status, ...(status.status === "failed" ? { error: status.error.slice(0, 4000) } : {}) });
        inner.onEnd?.(run, status);
      },
    },
    flush: () => chain,
  };
}

/** The last event of each run in DIR/events.jsonl ({} when there is none); bad lines are skipped. */
export async function readLastEvents(file: string, maxBytes = 4 * 1024 * 1024): Promise<Map<string, BetEvent>> {
  const last = new Map<string, BetEvent>();
  let text: string;
  try {
    const handle = await open(file, "r");
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, maxBytes);
      const buf = Buffer.alloc(length);
      await handle.read(buf, 0, length, size - length);
      text = buf.toString("utf8");
    } finally {
      await handle.close();
    }
  } catch {
    return last;
  }
  for (const line of text.split("\n")) {
    try {
      const e = JSON.parse(line) as BetEvent;
      if (typeof e?.run === "string" && (e.event === "start" || e.event === "end")) last.set(e.run, e);
    } catch {
      // a torn or partial first line
    }
  }
  return last;
}
