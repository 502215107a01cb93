// What the bet reads from one run's files besides its summary: the learning curve, the gradient
// norm arriving at each latent step, the reward-hacking curve and final figures, the monitor (from
// inspect.json), and those figures over an arm's seeds. The live dashboard reads runs the same way.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { AdaptiveRun, ArmMonitor, ArmSummary, CurvePoint, HackingFinal, HackingPoint, RunMonitor, RunResult } from "../../report/bet-summary.js";
import type { HackingEvaluation } from "../../runs/hacking-eval.js";
import { INSPECT_FILE, type InspectReport } from "../monitor/inspect.js";
import { bootstrapMean, bootstrapMeanOrNull, mean, meanOrNull } from "../stats.js";

export type Rec = Record<string, unknown> & { step: number };

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
    ms[0].kind === "latent" ? Array.from({ length: K }, (_, k) => meanOrNull(at(pick, k))) : null;
  const changed = ms.map((m) => m.corruptionChanged).filter((x): x is number => x !== null);
  return {
    kind: ms[0].kind,
    seeds: ms.length,
    readout: Array.from({ length: K }, (_, k) => bootstrapMeanOrNull(at((m) => m.readout, k))),
    control: meanAt((m) => m.control),
    lensTop1: meanAt((m) => m.lensTop1),
    corruptionChanged: bootstrapMeanOrNull(changed),
  };
}

/** An arm's steps used and their rank correlation with difficulty, over its finished seeds (null: a fixed-length recipe). */
export function adaptiveOf(runs: readonly RunResult[]): ArmSummary["adaptive"] {
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
    spearman: bootstrapMeanOrNull(rho),
    spearmanSeeds: rho.length,
    spearmanNeeded: meanOrNull(rhoNeeded),
    oracleSteps: meanOrNull(oracleSteps),
    oracleSpearman: meanOrNull(oracleRho),
  };
}

export function hackingFinalOf(h: HackingEvaluation): HackingFinal {
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
export function hackingOf(records: Rec[]): HackingPoint[] | null {
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

/** Mean over the last fifth of training of the gradient norm arriving at each latent step. */
export function gradProfileOf(records: Rec[]): number[] | null {
  const steps = records.filter((r) => globalThis.Array.isArray(r.stepGradNorms) && (r.stepGradNorms as unknown[]).length > 0);
  if (steps.length === 0) return null;
  const last = steps[steps.length - 1].step;
  const tail = steps.filter((r) => r.step > 0.8 * last);
  const K = (tail[0].stepGradNorms as number[]).length;
  return globalThis.Array.from({ length: K }, (_, k) => mean(tail.map((r) => (r.stepGradNorms as number[])[k])));
}
