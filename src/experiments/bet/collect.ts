// The bet's results, read back from its run directories (so `neuralese report DIR` can rebuild
// them at any time): per run, the learning curve, final accuracies and counters; per (task, arm,
// budget), means with bootstrap intervals over seeds and the examples / FLOPs / wall time each
// seed needed to reach the target.
import { readFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { RunDir } from "../../runs/index.js";
import { RUN_METHOD_SPECS } from "../../runs/train-run.js";
import {
  BET_SUMMARY_FORMAT,
  BET_SUMMARY_VERSION,
  betSummarySchema,
  type AdaptiveRun,
  type ArmMonitor,
  type ArmSummary,
  type BetSummary,
  type CurvePoint,
  type HackingFinal,
  type HackingPoint,
  type RunMonitor,
  type RunResult,
} from "../../report/bet-summary.js";
import { INSPECT_FILE, type InspectReport } from "../monitor/inspect.js";
import type { HackingEvaluation } from "../../runs/hacking-eval.js";
import { bootstrapMean, firstReaching, mean } from "../stats.js";
import { computeVerdicts } from "./verdict.js";
import type { PlannedRun } from "./plan.js";
import { runDirOf, type RunStatus } from "./runner.js";
import type { BetSpec } from "./spec.js";

type Rec = Record<string, unknown> & { step: number };

export async function collectRun(betDir: string, run: PlannedRun, status?: RunStatus): Promise<RunResult> {
  const dir = runDirOf(betDir, run);
  const base: RunResult = {
    id: run.id,
    task: run.task,
    arm: run.arm.id,
    seed: run.seed,
    budget: run.budget,
    dir: `runs/${run.id}`,
    status: "missing",
    error: status?.status === "failed" ? status.error : null,
    steps: 0,
    examples: 0,
    flops: 0,
    forwardTokens: 0,
    backwardTokens: 0,
    wallMs: 0,
    val: null,
    test: null,
    testByDifficulty: {},
    stepsUsedByDifficulty: null,
    curve: [],
    gradNormProfile: null,
    hacking: null,
    monitor: null,
    hackingFinal: null,
  };
  let rd: RunDir;
  try {
    rd = await RunDir.open(dir, { methods: RUN_METHOD_SPECS });
  } catch {
    return { ...base, status: status?.status === "failed" ? "failed" : "missing" };
  }
  const records = (await rd.readMetrics()).records as Rec[];
  const curve = curveOf(records);
  const gradNormProfile = gradProfileOf(records);
  const hacking = hackingOf(records);
  if (!(await rd.finished())) return { ...base, status: status?.status === "failed" ? "failed" : "missing", curve, gradNormProfile, hacking };
  const s = (await rd.readSummary()) as {
    steps: number;
    budget: { examples: number; forwardFlops: number; backwardFlops: number; forwardTokens: number; backwardTokens: number; wallMs: number };
    val: { accuracy: number };
    test: { accuracy: number; wellFormed?: number; byDifficulty: Record<string, { accuracy: number; stepsUsed?: number }>; stepsUsed?: number; stepsSpearman?: number | null; stepsSpearmanNeeded?: number | null; oracle?: { stepsUsed: number; stepsSpearman: number | null } };
    hacking?: HackingEvaluation;
  };
  const byDiff = Object.entries(s.test.byDifficulty);
  const steps = byDiff.filter(([, v]) => v.stepsUsed !== undefined);
  return {
    ...base,
    status: "finished",
    error: null,
    steps: s.steps,
    examples: s.budget.examples,
    flops: s.budget.forwardFlops + s.budget.backwardFlops,
    forwardTokens: s.budget.forwardTokens,
    backwardTokens: s.budget.backwardTokens,
    wallMs: s.budget.wallMs,
    val: s.val.accuracy,
    test: s.test.accuracy,
    wellFormed: s.test.wellFormed ?? null,
    testByDifficulty: Object.fromEntries(byDiff.map(([d, v]) => [d, v.accuracy])),
    stepsUsedByDifficulty: steps.length ? Object.fromEntries(steps.map(([d, v]) => [d, v.stepsUsed!])) : null,
    adaptive:
      s.test.stepsUsed === undefined
        ? null
        : {
            stepsUsed: s.test.stepsUsed,
            latentSteps: run.config.model.latentSteps,
            spearman: s.test.stepsSpearman ?? null,
            spearmanNeeded: s.test.stepsSpearmanNeeded ?? null,
            oracle: s.test.oracle ? { stepsUsed: s.test.oracle.stepsUsed, spearman: s.test.oracle.stepsSpearman } : null,
          },
    curve,
    gradNormProfile,
    hacking,
    hackingFinal: s.hacking ? hackingFinalOf(s.hacking) : null,
    monitor: await readMonitor(dir),
  };
}

/** The per-step readability figures of the run's inspect.json (null when it was not inspected). */
export async function readMonitor(dir: string): Promise<RunMonitor | null> {
  let r: InspectReport;
  try {
    r = JSON.parse(await readFile(join(dir, INSPECT_FILE), "utf8")) as InspectReport;
  } catch {
    return null;
  }
  const m = r.monitor;
  if (!m) return null;
  if (m.kind === "cot") {
    return { kind: "cot", readout: m.writtenSteps.map((s) => s.accuracy), control: null, lensTop1: null, corruptionChanged: m.corruption.changed, n: m.n };
  }
  const steps = Array.from({ length: m.latentSteps }, (_, k) => k + 1);
  const probe = (k: number) => m.probes.find((p) => p.layer === "latent" && p.target === "hop" && p.step === k && p.hop === k);
  const lens = (k: number) => m.lens.find((l) => l.step === k && l.target === "hop");
  return {
    kind: "latent",
    readout: steps.map((k) => probe(k)?.accuracy ?? null),
    control: steps.map((k) => probe(k)?.control ?? null),
    lensTop1: steps.map((k) => lens(k)?.top1 ?? null),
    corruptionChanged: null,
    n: m.n,
  };
}

/** An arm's monitor over its seeds (null when none was inspected, or the seeds read different kinds of chain). */
export function armMonitor(runs: readonly { monitor?: RunMonitor | null }[]): ArmMonitor | null {
  const ms = runs.map((r) => r.monitor).filter((m): m is RunMonitor => !!m);
  if (ms.length === 0 || ms.some((m) => m.kind !== ms[0].kind)) return null;
  const K = Math.max(...ms.map((m) => m.readout.length));
  const at = (pick: (m: RunMonitor) => (number | null)[] | null, k: number) =>
    ms.map((m) => pick(m)?.[k]).filter((x): x is number => typeof x === "number" && Number.isFinite(x));
  const meanAt = (pick: (m: RunMonitor) => (number | null)[] | null) =>
    ms[0].kind === "latent" ? Array.from({ length: K }, (_, k) => (at(pick, k).length ? mean(at(pick, k)) : null)) : null;
  const changed = ms.map((m) => m.corruptionChanged).filter((x): x is number => x !== null);
  return {
    kind: ms[0].kind,
    seeds: ms.length,
    readout: Array.from({ length: K }, (_, k) => (at((m) => m.readout, k).length ? bootstrapMean(at((m) => m.readout, k)) : null)),
    control: meanAt((m) => m.control),
    lensTop1: meanAt((m) => m.lensTop1),
    corruptionChanged: changed.length ? bootstrapMean(changed) : null,
  };
}

/** An arm's steps used and their rank correlation with difficulty, over its finished seeds (null: a fixed-length recipe). */
function adaptiveOf(runs: readonly RunResult[]): ArmSummary["adaptive"] {
  const rs = runs.map((r) => r.adaptive).filter((a): a is AdaptiveRun => !!a);
  if (rs.length === 0) return null;
  const defined = (xs: (number | null | undefined)[]) => xs.filter((x): x is number => typeof x === "number");
  const rho = defined(rs.map((a) => a.spearman));
  const rhoNeeded = defined(rs.map((a) => a.spearmanNeeded));
  const oracleSteps = defined(rs.map((a) => a.oracle?.stepsUsed));
  const oracleRho = defined(rs.map((a) => a.oracle?.spearman));
  return {
    stepsUsed: bootstrapMean(rs.map((a) => a.stepsUsed)),
    latentSteps: Math.max(...rs.map((a) => a.latentSteps)),
    spearman: rho.length ? bootstrapMean(rho) : null,
    spearmanSeeds: rho.length,
    spearmanNeeded: rhoNeeded.length ? mean(rhoNeeded) : null,
    oracleSteps: oracleSteps.length ? mean(oracleSteps) : null,
    oracleSpearman: oracleRho.length ? mean(oracleRho) : null,
  };
}

function hackingFinalOf(h: HackingEvaluation): HackingFinal {
  return {
    trueQuality: h.trueQuality,
    proxyAnswer: h.proxy.answer.flawed,
    proxyChain: h.proxy.chain.flawed,
    injectionAnswer: h.injectionAnswer,
    injectionChain: h.injectionChain,
    injectionTokens: h.injectionTokens,
    diversity: h.diversity,
  };
}

const HACKING_KEYS = ["trueQuality", "proxyReward", "injectionAnswer", "injectionChain", "diversity", "proxyGap"] as const;

/** The training records' hacking diagnostics, averaged over (at most) 40 windows of steps. */
function hackingOf(records: Rec[]): HackingPoint[] | null {
  const steps = records.filter((r) => typeof r.injectionAnswer === "number" && typeof r.proxyReward === "number");
  if (steps.length === 0) return null;
  const size = Math.max(1, Math.ceil(steps.length / 40));
  const out: HackingPoint[] = [];
  for (let i = 0; i < steps.length; i += size) {
    const w = steps.slice(i, i + size);
    const p = { step: w[w.length - 1].step } as HackingPoint;
    for (const k of HACKING_KEYS) p[k] = mean(w.map((r) => Number(r[k])));
    if (w.every((r) => typeof r.injectionTokens === "number")) p.injectionTokens = mean(w.map((r) => Number(r.injectionTokens)));
    out.push(p);
  }
  return out;
}

/** Evaluation records merged by step: the learning curve (x: examples, FLOPs, wall time). */
export function curveOf(records: Rec[]): CurvePoint[] {
  const points = new Map<number, CurvePoint>();
  for (const r of records) {
    if ((r.split !== "val" && r.split !== "test") || typeof r.examples !== "number") continue;
    const p = points.get(r.step) ?? { step: r.step, examples: r.examples, flops: Number(r.flops), wallMs: Number(r.wallMs), val: null, test: null };
    p[r.split as "val" | "test"] = Number(r.accuracy);
    points.set(r.step, p);
  }
  return [...points.values()].sort((a, b) => a.step - b.step);
}

/**
 * Runs that started from another run's parameters pay for that start: the init run's examples,
 * FLOPs, token-passes and wall time are added to their totals and to every point of their curve,
 * so "to target" and the cost columns compare whole recipes (e.g. GRPO counts its SFT start).
 * A run whose init run is not finished is left as it is, with initCharged null.
 */
export function chargeInitRuns(results: readonly RunResult[], planned: readonly PlannedRun[]): RunResult[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  return results.map((r) => {
    const from = planned.find((p) => p.id === r.id)?.initFrom;
    const init = from === undefined ? undefined : byId.get(from);
    if (!init || init.status !== "finished" || r.status === "missing") return { ...r, initCharged: null };
    return {
      ...r,
      examples: r.examples + init.examples,
      flops: r.flops + init.flops,
      forwardTokens: r.forwardTokens + init.forwardTokens,
      backwardTokens: r.backwardTokens + init.backwardTokens,
      wallMs: r.wallMs + init.wallMs,
      curve: r.curve.map((p) => ({ ...p, examples: p.examples + init.examples, flops: p.flops + init.flops, wallMs: p.wallMs + init.wallMs })),
      initCharged: { from: init.id, examples: init.examples, flops: init.flops, wallMs: init.wallMs },
    };
  });
}

/** Mean over the last fifth of training of the gradient norm arriving at each latent step. */
export function gradProfileOf(records: Rec[]): number[] | null {
  const steps = records.filter((r) => globalThis.Array.isArray(r.stepGradNorms) && (r.stepGradNorms as unknown[]).length > 0);
  if (steps.length === 0) return null;
  const last = steps[steps.length - 1].step;
  const tail = steps.filter((r) => r.step > 0.8 * last);
  const K = (tail[0].stepGradNorms as number[]).length;
  return globalThis.Array.from({ length: K }, (_, k) => mean(tail.map((r) => (r.stepGradNorms as number[])[k])));
}

export function summarizeBet(spec: BetSpec, runs: readonly RunResult[], armLabels: Map<string, { label: string; method: string; options: Record<string, unknown>; initArm?: string }>, jobs: number, notes: string[] = []): BetSummary {
  const summaries: ArmSummary[] = [];
  for (const task of spec.tasks) {
    for (const arm of spec.arms) {
      for (const budget of spec.budgets) {
        const group = spec.seeds.map((seed) => runs.find((r) => r.task === task.name && r.arm === arm && r.budget === budget.id && r.seed === seed));
        const done = group.filter((r): r is RunResult => r?.status === "finished");
        const interval = (xs: number[]) => (xs.length ? bootstrapMean(xs) : null);
        const reach = (x: (p: CurvePoint) => number) => {
          const values = group.map((r) => {
            if (!r || r.status !== "finished") return null;
            const p = firstReaching(r.curve.filter((q) => q[spec.target.split] !== null), (q) => q[spec.target.split]!, spec.target.accuracy);
            return p ? x(p) : null;
          });
          const got = values.filter((v): v is number => v !== null);
          return { values, reached: got.length, interval: interval(got) };
        };
        const difficulties = [...new Set(done.flatMap((r) => Object.keys(r.testByDifficulty)))].sort((a, b) => Number(a) - Number(b));
        const withSteps = done.filter((r) => r.stepsUsedByDifficulty);
        const withGrad = done.filter((r) => r.gradNormProfile);
        const withHacking = done.filter((r) => r.hackingFinal);
        summaries.push({
          task: task.name,
          arm,
          label: armLabels.get(arm)?.label ?? arm,
          method: armLabels.get(arm)?.method ?? arm,
          budget: budget.id,
          seeds: spec.seeds,
          finishedSeeds: done.length,
          test: interval(done.map((r) => r.test!)),
          val: interval(done.map((r) => r.val!)),
          testByDifficulty: Object.fromEntries(
            difficulties.map((d) => [d, bootstrapMean(done.filter((r) => d in r.testByDifficulty).map((r) => r.testByDifficulty[d]))]),
          ),
          examplesToTarget: reach((p) => p.examples),
          flopsToTarget: reach((p) => p.flops),
          wallMsToTarget: reach((p) => p.wallMs),
          stepsUsedByDifficulty: withSteps.length
            ? Object.fromEntries(difficulties.map((d) => [d, mean(withSteps.map((r) => r.stepsUsedByDifficulty![d] ?? NaN))]))
            : null,
          adaptive: adaptiveOf(done),
          gradNormProfile: withGrad.length
            ? withGrad[0].gradNormProfile!.map((_, k) => mean(withGrad.map((r) => r.gradNormProfile![k])))
            : null,
          monitor: armMonitor(done),
          hackingFinal: withHacking.length
            ? Object.fromEntries(Object.keys(withHacking[0].hackingFinal!).map((k) => [k, bootstrapMean(withHacking.map((r) => r.hackingFinal![k as keyof HackingFinal]))]))
            : null,
        });
      }
    }
  }
  const summary: BetSummary = {
    format: BET_SUMMARY_FORMAT,
    version: BET_SUMMARY_VERSION,
    preset: spec.preset,
    tasks: spec.tasks.map((t) => t.name),
    target: spec.target,
    arms: spec.arms.map((id) => ({ id, label: armLabels.get(id)?.label ?? id, method: armLabels.get(id)?.method ?? id, options: armLabels.get(id)?.options ?? {}, initArm: armLabels.get(id)?.initArm ?? null })),
    budgets: spec.budgets.map((b) => ({ id: b.id, label: b.label })),
    seeds: spec.seeds,
    runs: [...runs],
    summaries,
    verdicts: [],
    wall: { machine: machineName(), jobs, runWallMsTotal: runs.reduce((a, r) => a + r.wallMs, 0) },
    notes,
  };
  return betSummarySchema.parse({ ...summary, verdicts: computeVerdicts(summary) });
}

function machineName(): string {
  const c = cpus();
  return `${availableParallelism()} cores, ${c[0]?.model?.trim() ?? "unknown CPU"}, Node ${process.versions.node}`;
}
