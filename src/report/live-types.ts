// What the live dashboard shows of a bet or a run while it is being written: built from the
// directory by experiments/serve, rendered by dashboard-html.ts, and sent (bounded) as JSON.
import type { ArmMonitor, CurvePoint } from "./bet-summary.js";

export type LiveState = "queued" | "running" | "finished" | "failed";

/** A training step's numbers (metrics.jsonl), averaged over a window of steps when downsampled. */
export interface TrainPoint {
  step: number;
  examples: number;
  flops: number;
  wallMs: number;
  loss: number;
  accuracy: number;
  gradNorm: number;
  /** Gradient norm arriving at each latent step (neuralese-type runs). */
  stepGradNorms?: number[];
}

export interface LiveRun {
  id: string;
  task: string;
  arm: string;
  /** The arm's label (or the method's name for a lone run). */
  label: string;
  seed: number;
  budget: string;
  state: LiveState;
  /** The error of a failed run (truncated). */
  error: string | null;
  /** The worker holding the run, where the run's files name one. */
  worker: string | null;
  /** The last training step written. */
  step: number;
  /** Fraction of the run's budget spent (the largest of steps, examples, FLOPs against their limits); null when unknown. */
  progress: number | null;
  /** Training time left at the rate of the steps so far (evaluations not counted); null when unknown. */
  etaMs: number | null;
  /** Milliseconds since metrics.jsonl last changed (null when there is none). */
  idleMs: number | null;
  examples: number;
  flops: number;
  wallMs: number;
  /** The latest evaluation's accuracy (the final one once finished). */
  val: number | null;
  test: number | null;
  /** Evaluations merged by step (the report's curve). */
  curve: CurvePoint[];
  /** Training steps, downsampled to at most a few hundred windows. */
  train: TrainPoint[];
  /** Mean gradient norm arriving at each latent step over the last fifth of the steps so far. */
  gradNormProfile: number[] | null;
  /** The latest test evaluation's accuracy by difficulty (the summary's once finished). */
  testByDifficulty: Record<string, number>;
  /** The run's chain readability once inspected (inspect.json), in the report's per-arm shape (one seed). */
  monitor: ArmMonitor | null;
  /** metrics.jsonl lines that could not be read (corruption before the end). */
  badLines: number;
}

export interface LiveBet {
  kind: "bet";
  /** The directory as given on the command line. */
  dir: string;
  preset: string;
  tasks: string[];
  target: { accuracy: number; split: "val" | "test" };
  runs: LiveRun[];
  /** summary.json is there and newer than every run's files: the final report is shown. */
  finished: boolean;
}
