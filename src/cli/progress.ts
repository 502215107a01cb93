// Progress of long commands: a live bar (cli-progress) on a terminal; plain JSON lines
// elsewhere (CI logs, pipes), where a redrawn bar would be noise.
import { MultiBar, type SingleBar } from "cli-progress";
import { stringifyKeepingNonFinite } from "../runs/json.js";

export interface ProgressUpdate {
  /** Steps done so far. */
  step: number;
  loss?: number;
  /** Training accuracy, 0..1. */
  accuracy?: number;
  /** Free text shown instead of loss and accuracy (e.g. "runs 3/12 done"). */
  detail?: string;
}

export interface Progress {
  update(u: ProgressUpdate): void;
  /** A line of its own (an evaluation result, a warning) that does not break the bar. */
  log(fields: Record<string, unknown>): void;
  /** Final update, then release the terminal. */
  stop(u?: ProgressUpdate): void;
}

export interface ProgressOptions {
  /** What is progressing ("train"). */
  label: string;
  /** Steps in all, when known. */
  total?: number;
  /** Step the run starts (or resumes) from; the ETA counts from here. */
  startStep?: number;
  /** Default process.stderr, which keeps stdout for the command's result. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Default: whether the stream is a terminal. */
  tty?: boolean;
  /** Plain mode: at most one line per this many ms (the first and last always); default 2000. */
  everyMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? stream.isTTY === true;
  return tty ? barProgress(opts, stream) : jsonLinesProgress(opts, stream);
}

/** One JSON object per line: {"event":"progress","label","step","total","loss","accuracy","elapsedSeconds","etaSeconds"}. */
function jsonLinesProgress(opts: ProgressOptions, stream: NodeJS.WritableStream): Progress {
  const now = opts.now ?? Date.now;
  const start = now();
  const startStep = opts.startStep ?? 0;
  const everyMs = opts.everyMs ?? 2000;
  let lastWrite = -Infinity;
  let latest: ProgressUpdate | undefined;
  let written: ProgressUpdate | undefined;
  const write = (event: string, fields: Record<string, unknown>) => stream.write(`${stringifyKeepingNonFinite({ event, label: opts.label, ...fields })}\n`);
  const emit = (u: ProgressUpdate) => {
    const t = now();
    const elapsed = (t - start) / 1000;
    const done = u.step - startStep;
    const eta = opts.total !== undefined && done > 0 ? ((opts.total - u.step) * elapsed) / done : undefined;
    write("progress", {
      step: u.step,
      total: opts.total,
      loss: u.loss,
      accuracy: u.accuracy,
      detail: u.detail,
      elapsedSeconds: round(elapsed),
      etaSeconds: eta === undefined ? undefined : round(Math.max(0, eta)),
    });
    lastWrite = t;
    written = u;
  };
  return {
    update(u) {
      latest = u;
      if (now() - lastWrite >= everyMs) emit(u);
    },
    log: (fields) => write("log", fields),
    stop(u) {
      const last = u ?? latest;
      if (last && last !== written) emit(last);
    },
  };
}

/** cli-progress bar: `train ████░░░ 120/1000 | loss 0.4321 | acc 87.5% | ETA 1m20s`. */
function barProgress(opts: ProgressOptions, stream: NodeJS.WritableStream): Progress {
  const known = opts.total !== undefined;
  const multi = new MultiBar({
    stream,
    format: `${opts.label} ${known ? "{bar} {value}/{total}" : "step {value}"} | {detail} | ETA {eta_formatted}`,
    barCompleteChar: "█",
    barIncompleteChar: "░",
    barsize: 30,
    hideCursor: true,
    etaBuffer: 50,
    clearOnComplete: false,
    stopOnComplete: false,
  });
  const bar: SingleBar = multi.create(opts.total ?? 0, opts.startStep ?? 0, { detail: "loss - | acc -" });
  const payload = (u: ProgressUpdate) => ({
    detail:
      u.detail ??
      `loss ${u.loss === undefined ? "-" : u.loss.toFixed(4)} | acc ${u.accuracy === undefined ? "-" : `${(100 * u.accuracy).toFixed(1)}%`}`,
  });
  return {
    update: (u) => bar.update(u.step, payload(u)),
    log: (fields) => multi.log(`${Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : stringifyKeepingNonFinite(v)}`).join(" ")}\n`),
    stop(u) {
      if (u) bar.update(u.step, payload(u));
      multi.stop();
    },
  };
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}
