// The bet's results, read back from its run directories (so `neuralese report DIR` can rebuild
// them at any time): per run, the learning curve, final accuracies and counters; per (task, arm,
// budget), means with bootstrap intervals over seeds and the examples / FLOPs / wall time each
// seed needed to reach the target.
import { readFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { RunDir, type FileScore } from "../../runs/index.js";
import { RUN_METHOD_SPECS } from "../../runs/train-run.js";
import {
  BET_SUMMARY_FORMAT,
  BET_SUMMARY_VERSION,
  betSummarySchema,
  type ArmSummary,
  type BetSummary,
  type CurvePoint,
  type DataScore,
  type HackingFinal,
  type RunResult,
} from "../../report/bet-summary.js";
import type { HackingEvaluation } from "../../runs/hacking-eval.js";
import { bootstrapMean, bootstrapMeanOrNull, firstReaching, mean } from "../stats.js";
import { computeVerdicts } from "./verdict.js";
import { adaptiveOf, armMonitor, curveOf, gradProfileOf, hackingFinalOf, hackingOf, readMonitor, type Rec } from "./run-figures.js";
import type { PlannedRun } from "./plan.js";
import { runDirOf, type RunStatus } from "./runner.js";
import { dataScoreFile, type BetSpec, type EvalDataSpec } from "./spec.js";


export async function collectRun(betDir: string, run: PlannedRun, status?: RunStatus, evalData: readonly EvalDataSpec[] = []): Promise<RunResult> {
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
    ...(await dataScoresOf(dir, evalData.filter((f) => f.task === run.task))),
  };
}

/** The run's scores on the bet's data files (those scored so far), as `data`; nothing when the bet has none. */
async function dataScoresOf(dir: string, files: readonly EvalDataSpec[]): Promise<{ data?: Record<string, DataScore> }> {
  if (!files.length) return {};
  const data: Record<string, DataScore> = {};
  for (const f of files) {
    const s = await readFile(dataScoreFile(dir, f.name), "utf8").then((t) => JSON.parse(t) as FileScore, () => null);
    if (!s) continue;
    data[f.name] = {
      examples: s.data.examples,
      sha256: s.data.sha256,
      accuracy: s.accuracy,
      byDifficulty: Object.fromEntries(Object.entries(s.byDifficulty).map(([d, v]) => [d, v.accuracy])),
      namesAnOption: s.namesAnOption?.overall ?? null,
    };
  }
  return { data };
}

/** dataScoresOf over an arm's finished seeds: intervals per file that some seed was scored on. */
function armDataOf(done: readonly RunResult[]): ArmSummary["data"] {
  const names = [...new Set(done.flatMap((r) => Object.keys(r.data ?? {})))];
  if (!names.length) return undefined;
  return Object.fromEntries(
    names.map((name) => {
      const scores = done.flatMap((r) => (r.data?.[name] ? [r.data[name]] : []));
      const diffs = [...new Set(scores.flatMap((s) => Object.keys(s.byDifficulty)))].sort((a, b) => Number(a) - Number(b));
      const naming = scores.flatMap((s) => (s.namesAnOption === null ? [] : [s.namesAnOption]));
      return [
        name,
        {
          seeds: scores.length,
          accuracy: bootstrapMean(scores.map((s) => s.accuracy)),
          byDifficulty: Object.fromEntries(diffs.map((d) => [d, bootstrapMean(scores.flatMap((s) => (d in s.byDifficulty ? [s.byDifficulty[d]] : [])))])),
          namesAnOption: bootstrapMeanOrNull(naming),
        },
      ];
    }),
  );
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

export function summarizeBet(spec: BetSpec, runs: readonly RunResult[], armLabels: Map<string, { label: string; method: string; options: Record<string, unknown>; initArm?: string }>, jobs: number, notes: string[] = []): BetSummary {
  const summaries: ArmSummary[] = [];
  for (const task of spec.tasks) {
    for (const arm of spec.arms) {
      for (const budget of spec.budgets) {
        const group = spec.seeds.map((seed) => runs.find((r) => r.task === task.name && r.arm === arm && r.budget === budget.id && r.seed === seed));
        const done = group.filter((r): r is RunResult => r?.status === "finished");
        const reach = (x: (p: CurvePoint) => number) => {
          // the first evaluation at or above the target, and the one before it (the start: 0)
          const crossings = group.map((r) => {
            if (!r || r.status !== "finished") return null;
            const points = r.curve.filter((q) => q[spec.target.split] !== null);
            const p = firstReaching(points, (q) => q[spec.target.split]!, spec.target.accuracy);
            if (!p) return null;
            const i = points.indexOf(p);
            return { value: x(p), before: i > 0 ? x(points[i - 1]) : 0 };
          });
          const values = crossings.map((c) => c?.value ?? null);
          const got = values.filter((v): v is number => v !== null);
          return { values, before: crossings.map((c) => c?.before ?? null), reached: got.length, interval: bootstrapMeanOrNull(got) };
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
          test: bootstrapMeanOrNull(done.map((r) => r.test!)),
          val: bootstrapMeanOrNull(done.map((r) => r.val!)),
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
          ...(spec.evalData?.some((f) => f.task === task.name) ? { data: armDataOf(done) } : {}),
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
