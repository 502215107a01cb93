// One run as the dashboard sees it while it is written: metrics.jsonl followed incrementally
// (runs/metrics-tail.ts), summary.json and inspect.json read again only when they change. Every
// file is read through insideRoot, so nothing outside the served directory is opened.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { MetricsTail, latestRecords } from "../../runs/metrics-tail.js";
import { RUN_FILES } from "../../runs/index.js";
import type { MetricsRecord } from "../../runs/index.js";
import type { LiveRun, LiveState, TrainPoint } from "../../report/live-types.js";
import { INSPECT_FILE } from "../monitor/inspect.js";
import { armMonitor, curveOf, gradProfileOf, readMonitor } from "../bet/run-figures.js";
import type { BetEvent } from "../bet/events.js";
import { insideRoot } from "./safe-path.js";

/** The most training points a run sends (windows of steps beyond that). */
export const MAX_TRAIN_POINTS = 200;
/** Longest error text shown. */
const MAX_ERROR = 1000;
/** Largest summary.json / inspect.json / config.json / worker.json read. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;

export type RunMeta = Pick<LiveRun, "id" | "task" | "arm" | "label" | "seed" | "budget"> & {
  /** The run's budget limits and batch size (from its planned config, or its config.json). */
  limits: { maxSteps: number | null; maxExamples: number | null; maxFlops: number | null; batchSize: number } | null;
};

type Stamp = string;
/** A file's size and modification time ("-" when there is none). */
export const stampOf = async (file: string | null): Promise<Stamp> => {
  if (!file) return "-";
  try {
    const s = await stat(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return "-";
  }
};

/** Read a JSON file inside the root, at most `MAX_JSON_BYTES` (undefined when absent, too large or unreadable). */
export async function readJsonInside(realRoot: string, rel: string): Promise<unknown> {
  const file = await insideRoot(realRoot, rel);
  if (!file) return undefined;
  try {
    if ((await stat(file)).size > MAX_JSON_BYTES) return undefined;
    return JSON.parse(await readFile(file, "utf8"));
  } catch {
    return undefined;
  }
}

export class LiveRunReader {
  private tail: MetricsTail | null = null;
  private records: MetricsRecord[] = [];
  private summary: { stamp: Stamp; value: Record<string, unknown> | null } = { stamp: "-", value: null };
  private monitor: { stamp: Stamp; value: LiveRun["monitor"] } = { stamp: "-", value: null };
  private worker: string | null = null;
  private metricsMtime: number | null = null;
  private hasFiles = false;
  private derived: Pick<LiveRun, "curve" | "gradNormProfile"> = { curve: [], gradNormProfile: null };

  /** `rel`: the run directory relative to the served root ("." when the root is the run). */
  constructor(
    private readonly realRoot: string,
    readonly rel: string,
    readonly meta: RunMeta,
  ) {}

  private path(name: string): string {
    return this.rel === "." ? name : `${this.rel}/${name}`;
  }

  /** Look at the run's files again; returns a stamp that changes whenever what is shown may change. */
  async refresh(): Promise<string> {
    const metricsFile = await insideRoot(this.realRoot, this.path(RUN_FILES.metrics));
    const configFile = await insideRoot(this.realRoot, this.path(RUN_FILES.config));
    this.hasFiles = metricsFile !== null || configFile !== null;
    let changed = false;
    if (metricsFile) {
      if (!this.tail || this.tail.path !== metricsFile) this.tail = new MetricsTail(metricsFile);
      changed = await this.tail.update();
      this.metricsMtime = (await stat(metricsFile).catch(() => null))?.mtimeMs ?? null;
    } else if (this.tail) {
      [this.tail, changed, this.metricsMtime] = [null, true, null];
    }
    if (changed) {
      this.records = latestRecords(this.tail?.records ?? []);
      this.derived = { curve: curveOf(this.records as never), gradNormProfile: gradProfileOf(this.records as never) };
    }
    const summaryFile = await insideRoot(this.realRoot, this.path(RUN_FILES.summary));
    const summaryStamp = await stampOf(summaryFile);
    if (summaryStamp !== this.summary.stamp) {
      const value = summaryFile ? await readJsonInside(this.realRoot, this.path(RUN_FILES.summary)) : undefined;
      this.summary = { stamp: summaryStamp, value: value && typeof value === "object" ? (value as Record<string, unknown>) : null };
    }
    const inspectFile = await insideRoot(this.realRoot, this.path(INSPECT_FILE));
    const inspectStamp = await stampOf(inspectFile);
    if (inspectStamp !== this.monitor.stamp) {
      const m = inspectFile ? await readMonitor(join(inspectFile, "..")).catch(() => null) : null;
      this.monitor = { stamp: inspectStamp, value: m ? armMonitor([{ monitor: m }]) : null };
    }
    const workerJson = await readJsonInside(this.realRoot, this.path("worker.json"));
    const w = (workerJson as { worker?: unknown } | undefined)?.worker;
    this.worker = typeof w === "string" ? w.slice(0, 200) : null;
    return [this.tail ? `${this.records.length}:${this.tail.pendingBytes}:${this.metricsMtime}` : "-", summaryStamp, inspectStamp, this.worker ?? "-"].join("|");
  }

  /** Milliseconds since metrics.jsonl last changed, and whether the run has written anything. */
  get lastWrite(): number | null {
    return this.metricsMtime;
  }

  view(event: BetEvent | undefined, now = Date.now()): LiveRun {
    const train = this.records.filter((r) => typeof r.split !== "string");
    const last = train[train.length - 1];
    const s = this.summary.value as
      | { steps?: number; budget?: { examples: number; forwardFlops: number; backwardFlops: number; wallMs: number }; val?: { accuracy: number }; test?: { accuracy: number; byDifficulty?: Record<string, { accuracy: number }> } }
      | null;
    const finished = s !== null && typeof s.steps === "number";
    let state: LiveState;
    if (finished) state = "finished";
    else if (event?.event === "end" && event.status === "failed") state = "failed";
    else if (event?.event === "start" || this.hasFiles) state = "running";
    else state = "queued";
    const latest = (split: "val" | "test") => [...this.records].reverse().find((r) => r.split === split);
    const lastTest = latest("test");
    const byDiff = finished ? s!.test?.byDifficulty : (lastTest?.byDifficulty as Record<string, { accuracy: number }> | undefined);
    const { progress, etaMs } = this.progress(train);
    return {
      ...(({ limits: _, ...m }) => m)(this.meta),
      state,
      error: state === "failed" ? (event?.error ?? "failed").slice(0, MAX_ERROR) : null,
      worker: event?.worker ?? this.worker,
      step: finished ? s!.steps! : (last?.step ?? 0),
      progress: finished ? 1 : progress,
      etaMs: state === "running" ? etaMs : null,
      idleMs: this.metricsMtime === null ? null : Math.max(0, now - this.metricsMtime),
      examples: finished && s!.budget ? s!.budget.examples : num(last?.examples),
      flops: finished && s!.budget ? s!.budget.forwardFlops + s!.budget.backwardFlops : num(last?.flops),
      wallMs: finished && s!.budget ? s!.budget.wallMs : num(last?.wallMs),
      val: finished ? (s!.val?.accuracy ?? null) : accuracyOf(latest("val")),
      test: finished ? (s!.test?.accuracy ?? null) : accuracyOf(lastTest),
      curve: this.derived.curve,
      train: downsample(train, this.stride(last?.step ?? 0)),
      gradNormProfile: this.derived.gradNormProfile,
      testByDifficulty: Object.fromEntries(Object.entries(byDiff ?? {}).map(([d, v]) => [d, Number(v?.accuracy)]).filter(([, v]) => Number.isFinite(v))),
      monitor: this.monitor.value,
      badLines: this.tail?.badLines ?? 0,
    };
  }

  /** Fraction of the budget spent, and training time left at the rate since the first step written (compilation excluded). */
  private progress(train: MetricsRecord[]): { progress: number | null; etaMs: number | null } {
    const l = this.meta.limits;
    if (!l || train.length === 0) return { progress: null, etaMs: null };
    const frac = (r: MetricsRecord) => {
      const parts = [l.maxSteps ? r.step / l.maxSteps : null, l.maxExamples ? num(r.examples) / l.maxExamples : null, l.maxFlops ? num(r.flops) / l.maxFlops : null];
      const known = parts.filter((x): x is number => x !== null);
      return known.length ? Math.min(1, Math.max(...known)) : null;
    };
    const [first, last] = [train[0], train[train.length - 1]];
    const p1 = frac(last);
    const p0 = frac(first);
    if (p1 === null || p0 === null) return { progress: null, etaMs: null };
    const rate = (num(last.wallMs) - num(first.wallMs)) / (p1 - p0);
    return { progress: p1, etaMs: p1 > p0 && Number.isFinite(rate) && rate > 0 ? rate * (1 - p1) : null };
  }

  /** Steps per window: from the planned length, so every seed of an arm has the same windows (their mean is aligned). */
  private stride(lastStep: number): number {
    const l = this.meta.limits;
    const planned = l?.maxSteps ?? (l?.maxExamples ? Math.ceil(l.maxExamples / l.batchSize) : null);
    if (planned) return Math.max(1, Math.ceil(planned / MAX_TRAIN_POINTS));
    return 2 ** Math.max(0, Math.ceil(Math.log2(Math.max(1, lastStep) / MAX_TRAIN_POINTS)));
  }
}

const num = (x: unknown): number => (typeof x === "number" && Number.isFinite(x) ? x : 0);
const accuracyOf = (r: MetricsRecord | undefined): number | null => (r && typeof r.accuracy === "number" ? r.accuracy : null);

/** Training records averaged over windows of `stride` steps (window k ends at step k·stride); cost at the window's last step. */
export function downsample(train: readonly MetricsRecord[], stride: number): TrainPoint[] {
  const out: TrainPoint[] = [];
  let i = 0;
  while (i < train.length) {
    const end = Math.ceil(train[i].step / stride) * stride;
    const w: MetricsRecord[] = [];
    for (; i < train.length && train[i].step <= end; i++) w.push(train[i]);
    const mean = (key: string) => {
      const xs = w.map((r) => Number(r[key])).filter(Number.isFinite);
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
    };
    const last = w[w.length - 1];
    const p: TrainPoint = { step: end, examples: num(last.examples), flops: num(last.flops), wallMs: num(last.wallMs), loss: mean("loss"), accuracy: mean("accuracy"), gradNorm: mean("gradNorm") };
    const K = Array.isArray(last.stepGradNorms) ? last.stepGradNorms.length : 0;
    if (K > 0) {
      p.stepGradNorms = Array.from({ length: K }, (_, k) => {
        const xs = w.map((r) => Number((r.stepGradNorms as unknown[] | undefined)?.[k])).filter(Number.isFinite);
        return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
      });
    }
    if (Number.isFinite(p.loss)) out.push(p);
  }
  return out;
}
