// Recurrent-depth training (Geiping et al. 2025, arXiv 2502.05171): the trainer of every supervised
// recipe (direct, cot, pause, neuralese) on a looped model. Each step draws the depth r from
// Huginn's Poisson–log-normal Λ and runs the recipe's jitted step on the model at depth r,
// backpropagating through the last k iterations only (models/looped.ts `atDepth`).
//   - One jitted step per r, cached (r is a loop count fixed at trace time); r is capped at
//     `max` (default 3 × mean), so at most `max` steps are ever compiled. `neuralese bench
//     looped-step` compares this with one step unrolled to `max` iterations.
//   - r of step s is a pure function of (seed, s): a resumed run draws the same r's.
//   - Budget: forward FLOPs of r iterations, backward 2 × the forward FLOPs of min(r, k)
//     iterations (plus prelude, coda and head), since the first r − k iterations get no backward.
import { SeededRng } from "../common/seeded-rng.js";
import { isLooped, type LoopedReasoner } from "../models/looped.js";
import { forwardFlopsPerExample, steppedTrainer } from "./supervised-trainer.js";
import { makeSupervisedStep } from "./supervised-step.js";
import type { MethodTrainer, RecurrenceSampling, TrainerSetup } from "./trainer.js";
import { memo } from "./trainer-state.js";

/** Huginn's σ of the log-normal rate. */
const SIGMA = 0.5;

/**
 * One r ~ Λ: τ ~ N(log(mean − 1) − σ²/2, σ), r = Poisson(e^τ) + 1, so E[r] = mean (Huginn writes
 * r̄ = mean − 1 for the Poisson rate's mean), then min(r, max).
 */
export function sampleRecurrence(rng: SeededRng, mean: number, max: number): number {
  if (mean <= 1) return 1;
  // Box–Muller; 1 − u keeps the log finite
  const normal = Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float());
  const tau = Math.log(mean - 1) - (SIGMA * SIGMA) / 2 + SIGMA * normal;
  return Math.min(max, rng.poisson(Math.exp(tau)) + 1);
}

/** The r of training step `step` in run `seed`: a pure function of both (resume draws the same). */
export function recurrenceAt(seed: number, step: number, sampling: Pick<RecurrenceSampling, "mean" | "max">): number {
  return sampleRecurrence(SeededRng.of(mix(seed, step)), sampling.mean, sampling.max);
}

/** A 32-bit hash of (seed, step) (murmur3's finaliser over a combination), as a seed. */
function mix(seed: number, step: number): number {
  let h = (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(step + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function depthSamplingTrainer(setup: TrainerSetup): MethodTrainer {
  const { recipe, optimizer, limits, faults, recurrence: sampling } = setup;
  if (!isLooped(setup.reasoner)) throw new Error(`depth sampling trains a looped model, got ${setup.reasoner.config.model}`);
  if (!sampling) throw new Error("depth sampling needs the run's recurrence sampling (model.looped)");
  const base: LoopedReasoner = setup.reasoner;
  const k = sampling.backpropDepth;
  const stepAt = memo((r: number) => makeSupervisedStep(recipe, base.atDepth(r, k) as never, optimizer, !!faults));
  const depthAt = (s: number) => recurrenceAt(setup.seed, s, sampling);
  return steppedTrainer(setup, (s) => ({ step: stepAt(depthAt(s)), reasoner: base.atDepth(depthAt(s), k) as never }), {
    adjust(report, s, { reasoner: view }, B) {
      const r = depthAt(s);
      const backpropagated = base.atDepth(k === null ? r : Math.min(r, k));
      const flops = { forward: B * forwardFlopsPerExample({ recipe, reasoner: view, limits }), backward: 2 * B * forwardFlopsPerExample({ recipe, reasoner: backpropagated as never, limits }) };
      return { ...report, charge: { ...report.charge, flops }, diagnostics: { ...report.diagnostics, recurrence: r } };
    },
    disposeSteps() {
      for (const step of stepAt.built.values()) step.dispose();
      stepAt.built.clear();
    },
  });
}
