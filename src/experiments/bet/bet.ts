// `neuralese bet`: plan the runs, execute them (parallel, resumable), collect the results and
// write DIR/summary.json (+ its JSON Schema), DIR/results.md and DIR/report.html.
import { mkdir, readFile } from "node:fs/promises";
import { pathExists } from "../../common/path-exists.js";
import { join } from "node:path";
import { atomicWriteFile } from "../../engine/atomic-file.js";
import { betSummaryJsonSchema, type BetSummary } from "../../report/bet-summary.js";
import { renderBetHtml } from "../../report/bet-html.js";
import { renderBetMarkdown } from "../../report/bet-markdown.js";
import { availableArms, type Arm } from "./arms.js";
import { chargeInitRuns, collectRun, summarizeBet } from "./collect.js";
import { checkEvalData, scoreRunsOnData } from "./data-eval.js";
import { BetPlanError, planBet, type PlannedRun } from "./plan.js";
import { executeRuns, type RunnerHooks, type RunStatus } from "./runner.js";
import { checkRedis } from "../queue/connection.js";
import { executeRunsOnQueue, type QueueHooks, type QueueRunOptions } from "../queue/runner.js";
import { betSpecSchema, monitorOf, type BetSpec } from "./spec.js";
import { eventLog } from "./events.js";

export const BET_FILES = {
  plan: "bet.json",
  summary: "summary.json",
  schema: "summary.schema.json",
  results: "results.md",
  report: "report.html",
} as const;

const FORMAT = "neuralese-bet";

export interface BetOptions {
  out: string;
  jobs: number;
  /** Continue the bet already in `out` (its saved spec is used). */
  resume: boolean;
  hooks?: RunnerHooks & QueueHooks & { onPlan?(runs: readonly PlannedRun[]): void };
  /** Run through the queue on this Redis (workers anywhere) instead of local child processes. */
  queue?: QueueRunOptions;
}

/** Run (or resume) a bet; returns its summary. Failed runs are reported in it, not thrown. */
export async function runBet(spec: BetSpec | undefined, opts: BetOptions): Promise<BetSummary> {
  const planFile = join(opts.out, BET_FILES.plan);
  const saved = (await pathExists(planFile)) ? await readBetSpec(opts.out) : undefined;
  if (saved && !opts.resume) throw new BetPlanError(`${opts.out} already holds a bet`, "continue it with --resume, or choose another --out");
  if (!saved && opts.resume) throw new BetPlanError(`${opts.out} holds no bet to resume (no ${BET_FILES.plan})`, "start it without --resume");
  const used = saved ?? spec;
  if (!used) throw new Error("runBet: a spec is needed for a new bet");
  const runs = planBet(used);
  if (used.evalData?.length) await checkEvalData(used.evalData, runs);
  // an unreachable queue is said before anything is written
  if (opts.queue) await checkRedis(opts.queue.url);
  await mkdir(opts.out, { recursive: true });
  if (!saved) await atomicWriteFile(planFile, Buffer.from(`${JSON.stringify({ format: FORMAT, spec: used, runs: runs.map((r) => r.id) }, null, 2)}\n`));
  opts.hooks?.onPlan?.(runs);
  const log = eventLog(opts.out, opts.hooks);
  const statuses = await (opts.queue
    ? executeRunsOnQueue(opts.out, runs, opts.queue, log.hooks, monitorOf(used))
    : executeRuns(opts.out, runs, opts.jobs, log.hooks, monitorOf(used))
  ).finally(log.flush);
  // real data files beside the generated splits: scored here, by the coordinator that named them
  const unscored = used.evalData?.length ? await scoreRunsOnData(opts.out, runs, used.evalData, opts.jobs) : new Map<string, string>();
  const notes = [...unscored].map(([id, error]) => `${id}: ${error}`);
  return writeBetOutputs(opts.out, used, runs, statuses, opts.jobs, notes);
}

/** Re-render a bet's outputs from its run directories (`neuralese report DIR`). */
export async function renderBet(dir: string): Promise<BetSummary> {
  const spec = await readBetSpec(dir);
  // the runs' own records hold everything but how many ran at once: keep what the bet wrote
  const previous = await readFile(join(dir, BET_FILES.summary), "utf8").then((t) => JSON.parse(t) as { wall?: { jobs?: number } }, () => undefined);
  return writeBetOutputs(dir, spec, planBet(spec), new Map(), previous?.wall?.jobs ?? 1);
}

async function writeBetOutputs(dir: string, spec: BetSpec, runs: readonly PlannedRun[], statuses: Map<string, RunStatus>, jobs: number, notes: string[] = []): Promise<BetSummary> {
  const results = [];
  for (const run of runs) results.push(await collectRun(dir, run, statuses.get(run.id), spec.evalData));
  const arms = withArmConfig(availableArms(), spec);
  const summary = summarizeBet(spec, chargeInitRuns(results, runs), arms, jobs, notes);
  await atomicWriteFile(join(dir, BET_FILES.summary), Buffer.from(`${JSON.stringify(summary, null, 2)}\n`));
  await atomicWriteFile(join(dir, BET_FILES.schema), Buffer.from(`${JSON.stringify(betSummaryJsonSchema(), null, 2)}\n`));
  await atomicWriteFile(join(dir, BET_FILES.results), Buffer.from(renderBetMarkdown(summary)));
  await atomicWriteFile(join(dir, BET_FILES.report), Buffer.from(renderBetHtml(summary)));
  return summary;
}

/** The arms, their labels saying what the spec's armConfig changed in the method ("population 4, batch 64"; learning rates are in bet.json). */
function withArmConfig(arms: Map<string, Arm>, spec: BetSpec): Map<string, Arm> {
  const out = new Map(arms);
  for (const [id, c] of Object.entries(spec.armConfig ?? {})) {
    const arm = arms.get(id);
    if (!arm) continue;
    const cfg = c as { batchSize?: number; method?: { options?: Record<string, unknown> } };
    const parts = [
      ...Object.entries(cfg.method?.options ?? {}).map(([k, v]) => `${k.replace(/[A-Z]/g, (m) => ` ${m.toLowerCase()}`)} ${JSON.stringify(v)}`),
      ...(cfg.batchSize ? [`batch ${cfg.batchSize}`] : []),
    ];
    if (parts.length) out.set(id, { ...arm, label: `${arm.label}; ${parts.join(", ")}` });
  }
  return out;
}

/** The spec a bet directory's bet.json holds (BetPlanError when DIR is not a bet this version reads). */
export async function readBetSpec(dir: string): Promise<BetSpec> {
  const file = join(dir, BET_FILES.plan);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BetPlanError(code === "ENOENT" ? `${dir} is not a bet directory (no ${BET_FILES.plan})` : `${file} is unreadable: ${(err as Error).message}`, "give the --out directory of a `neuralese bet`");
  }
  const v = value as { format?: unknown; spec?: unknown };
  if (v?.format !== FORMAT) throw new BetPlanError(`${file} is not a neuralese bet file`);
  const parsed = betSpecSchema.safeParse(v.spec);
  if (!parsed.success) throw new BetPlanError(`${file} holds a spec this version cannot read: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

