// The directory `neuralese serve` shows: a bet (bet.json, runs under runs/) or a single run
// (config.json). Looked at again on each refresh; a directory that holds neither yet (a bet or
// train started with --serve) is shown as waiting until it does.
import { realpath, stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { createHash } from "node:crypto";
import { renderBetHtml } from "../../report/bet-html.js";
import { betSummarySchema } from "../../report/bet-summary.js";
import { betSections, messageSection, reportBody, runSections, type Section } from "../../report/dashboard-html.js";
import type { LiveBet, LiveRun } from "../../report/live-types.js";
import { RUN_FILES } from "../../runs/index.js";
import { BET_FILES, readBetSpec } from "../bet/bet.js";
import { EVENTS_FILE, readLastEvents, type BetEvent } from "../bet/events.js";
import { planBet } from "../bet/plan.js";
import type { BetSpec } from "../bet/spec.js";
import { LiveRunReader, readJsonInside, stampOf, type RunMeta } from "./live-run.js";
import { insideRoot, plainRelative } from "./safe-path.js";

export class ServeDirError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = "ServeDirError";
  }
}

type Kind = { kind: "bet"; spec: BetSpec; readers: LiveRunReader[] } | { kind: "run"; reader: LiveRunReader; config: unknown } | { kind: "none"; why: string };

/** What DIR holds now: "bet" (bet.json), "run" (config.json) or why neither. */
export async function detect(dir: string): Promise<{ kind: "bet" | "run" } | { kind: "none"; why: string }> {
  let real: string;
  try {
    real = await realpath(dir);
    if (!(await stat(real)).isDirectory()) return { kind: "none", why: `${dir} is a file, not a run or bet directory` };
  } catch {
    return { kind: "none", why: `${dir} does not exist (yet)` };
  }
  if (await insideRoot(real, BET_FILES.plan)) return { kind: "bet" };
  if (await insideRoot(real, RUN_FILES.config)) return { kind: "run" };
  return { kind: "none", why: `${dir} holds neither a bet (${BET_FILES.plan}) nor a run (${RUN_FILES.config})` };
}

export class LiveDir {
  private state: Kind = { kind: "none", why: "not looked at yet" };
  private realRoot = "";
  private version = "";
  private events = new Map<string, BetEvent>();
  private finalReport: { stamp: string; body: string | null; error: string | null } = { stamp: "-", body: null, error: null };
  private lastRefresh = 0;
  private pending: Promise<string> | null = null;

  constructor(readonly dir: string) {}

  /** Refresh at most every `minMs` (concurrent callers share one). Returns the version: it changes whenever the page may. */
  refresh(minMs = 250): Promise<string> {
    if (this.pending) return this.pending;
    if (Date.now() - this.lastRefresh < minMs) return Promise.resolve(this.version);
    this.pending = this.look().finally(() => {
      this.pending = null;
      this.lastRefresh = Date.now();
    });
    return this.pending;
  }

  private async look(): Promise<string> {
    if (this.state.kind === "none") await this.open();
    const stamps: string[] = [this.state.kind];
    if (this.state.kind === "none") stamps.push(this.state.why);
    else if (this.state.kind === "run") stamps.push(await this.state.reader.refresh());
    else {
      const eventsFile = await insideRoot(this.realRoot, EVENTS_FILE);
      this.events = eventsFile ? await readLastEvents(eventsFile) : new Map();
      for (const r of this.state.readers) stamps.push(await r.refresh());
      stamps.push(JSON.stringify([...this.events.values()]));
      stamps.push(await this.refreshReport());
    }
    this.version = createHash("sha256").update(stamps.join("\n")).digest("hex").slice(0, 16);
    return this.version;
  }

  private async open(): Promise<void> {
    const d = await detect(this.dir);
    if (d.kind === "none") {
      this.state = d;
      return;
    }
    this.realRoot = await realpath(this.dir);
    if (d.kind === "bet") {
      let spec: BetSpec;
      let planned;
      try {
        spec = await readBetSpec(this.realRoot);
        planned = planBet(spec);
      } catch (err) {
        this.state = { kind: "none", why: `${this.dir}: ${(err as Error).message}` };
        return;
      }
      const readers = planned
        .filter((p) => plainRelative(p.id))
        .map((p) => {
          const b = p.config.budget;
          const meta: RunMeta = { id: p.id, task: p.task, arm: p.arm.id, label: p.arm.label, seed: p.seed, budget: p.budget, limits: { ...b, batchSize: p.config.batchSize } };
          return new LiveRunReader(this.realRoot, `runs/${p.id}`, meta);
        });
      this.state = { kind: "bet", spec, readers };
      return;
    }
    const config = (await readJsonInside(this.realRoot, RUN_FILES.config)) as
      | { task?: { name?: string }; method?: { name?: string }; seed?: number; batchSize?: number; budget?: { maxSteps?: number | null; maxExamples?: number | null; maxFlops?: number | null } }
      | undefined;
    if (!config || typeof config !== "object") {
      this.state = { kind: "none", why: `${this.dir}/${RUN_FILES.config} is not readable JSON` };
      return;
    }
    const b = config.budget ?? {};
    const meta: RunMeta = {
      id: basename(resolve(this.dir)),
      task: String(config.task?.name ?? "?"),
      arm: String(config.method?.name ?? "?"),
      label: String(config.method?.name ?? "?"),
      seed: Number(config.seed ?? 0),
      budget: "",
      limits: { maxSteps: b.maxSteps ?? null, maxExamples: b.maxExamples ?? null, maxFlops: b.maxFlops ?? null, batchSize: Number(config.batchSize ?? 1) },
    };
    this.state = { kind: "run", reader: new LiveRunReader(this.realRoot, ".", meta), config };
  }

  /** The final report from summary.json (validated, drawn by the report's own renderer), once the bet has written it. */
  private async refreshReport(): Promise<string> {
    const stamp = await stampOf(await insideRoot(this.realRoot, BET_FILES.summary));
    if (stamp === this.finalReport.stamp) return stamp;
    this.finalReport = { stamp, body: null, error: null };
    if (stamp === "-") return stamp;
    const parsed = betSummarySchema.safeParse(await readJsonInside(this.realRoot, BET_FILES.summary));
    if (parsed.success) this.finalReport.body = reportBody(renderBetHtml(parsed.data));
    else this.finalReport.error = `${BET_FILES.summary} could not be read by this version: ${parsed.error.issues[0]?.message ?? "invalid"}`;
    return stamp;
  }

  get kind(): "bet" | "run" | "none" {
    return this.state.kind;
  }

  /** Why the directory is not shown (kind "none"). */
  get why(): string | null {
    return this.state.kind === "none" ? this.state.why : null;
  }

  bet(): LiveBet | null {
    if (this.state.kind !== "bet") return null;
    const runs = this.state.readers.map((r) => r.view(this.events.get(r.meta.id)));
    const spec = this.state.spec;
    // finished: the report is newer than every run's last write and nothing is running
    const lastWrite = Math.max(0, ...this.state.readers.map((r) => r.lastWrite ?? 0));
    const reportTime = Number(this.finalReport.stamp.split(":")[1] ?? NaN);
    const finished = this.finalReport.body !== null && reportTime >= lastWrite && !runs.some((r) => r.state === "running" && this.events.get(r.id)?.event === "start");
    return { kind: "bet", dir: this.dir, preset: spec.preset, tasks: spec.tasks.map((t) => t.name), target: spec.target, runs, finished };
  }

  run(id?: string): { run: LiveRun; config: unknown } | null {
    if (this.state.kind === "run") return id === undefined || id === this.state.reader.meta.id ? { run: this.state.reader.view(undefined), config: this.state.config } : null;
    if (this.state.kind !== "bet" || id === undefined) return null;
    const reader = this.state.readers.find((r) => r.meta.id === id);
    if (!reader) return null;
    const planned = planBet(this.state.spec).find((p) => p.id === id);
    return { run: reader.view(this.events.get(id)), config: planned?.config ?? null };
  }

  /** The page's sections for a query (?run=ID for a run of a bet); null when the run is unknown. */
  sections(runId: string | null): { title: string; sections: Section[] } | null {
    if (this.state.kind === "none") return { title: "neuralese dashboard", sections: messageSection("neuralese dashboard: nothing to show yet", this.state.why) };
    if (runId !== null || this.state.kind === "run") {
      const r = this.run(runId ?? undefined);
      return r ? { title: `run ${r.run.id}`, sections: runSections(r.run, r.config, this.state.kind === "bet") } : null;
    }
    const bet = this.bet()!;
    const sections = betSections(bet, bet.finished ? this.finalReport.body : null);
    if (this.finalReport.error) sections.push({ id: "report-error", html: `<p class="note">${this.finalReport.error.replace(/[<>&"]/g, "")}</p>` });
    return { title: `bet ${bet.preset}`, sections };
  }
}
