// trice: TRICE (Phan et al., arXiv 2312.02179), chain-of-thought as a latent variable trained by
// MCMC-EM. Every training question keeps one memory rationale (chain and answer); each step
// proposes z' ~ π_θ(z | x) and accepts it iff its answer is right (independence Metropolis–
// Hastings towards p(z | x, y*)). The gradient is the leave-one-out control-variate estimator
//   g = (1 / Σ_i mask_i) Σ_i mask_i [∇log π(z̃_i | x_i) − β_i ∇log π(z'_i | x_i)],
//   mask_i = c_i ∨ m_i (the new memory z̃_i is right), β_i = (Σ_j c_j − c_i) / (Σ_j mask_j − 1),
// optionally subsampled to M rows by systematic resampling ∝ |weight| (unbiased). The memory is
// a JSON map in checkpoints; use a fixed training set (--train-examples) so questions recur.
import { z } from "zod";
import { np, type Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import { SeededRng } from "../common/seeded-rng.js";
import type { Reasoner } from "../models/reasoner.js";
import { makeGuardedTrainStep, type GradientTransformation } from "../optim/index.js";
import type { Example } from "../tasks/index.js";
import { answerFromChain } from "../recipes/framing.js";
import { addCharges, fullRow, fullWidth, goldRow, makeSampler, passCharges, rolloutArrays, rolloutGrids, sampleRows, stepKey, tokenLogProbs, type RolloutRow } from "./policy-gradient.js";
import { valueAndGradAux } from "../engine/vjp.js";
import { mean } from "../common/mean.js";
import type { MethodTrainer, TrainerSetup } from "./trainer.js";
import { stateTrainer, stepReport, trainerState } from "./trainer-state.js";

export const triceOptions = z.strictObject({
  /** A question's first memory: its gold chain and answer, or the first chain sampled for it (possibly wrong; rechecked each step). */
  memoryInit: z.enum(["gold", "sample"]).default("gold"),
  temperature: z.number().positive().max(10).default(1),
  /** M, rows backpropagated (systematic resampling of the ≤ 2B weighted rationales); null: all of them. */
  subsample: z.number().int().positive().nullable().default(null),
});

export interface TriceWeights {
  /** Leave-one-out acceptance rate β_i. */
  beta: number[];
  /** Weight of ∇log π(z̃_i) (the new memory) and of ∇log π(z'_i) (the proposal); when the proposal is accepted z̃ = z' and its weight is mem + prop. */
  memory: number[];
  proposal: number[];
}

/** TRICE's control-variate weights from proposal correctness c and memory correctness m (0/1 each). */
export function triceWeights(c: readonly number[], m: readonly number[]): TriceWeights {
  const mask = c.map((ci, i): number => (ci || m[i] ? 1 : 0));
  const total = mask.reduce((a, b) => a + b, 0);
  const accepted = c.reduce((a, b) => a + b, 0);
  // one right rationale in the batch: nothing to leave one out from, so no control variate
  const beta = c.map((ci) => (total > 1 ? (accepted - ci) / (total - 1) : 0));
  const norm = Math.max(total, 1);
  return { beta, memory: mask.map((k) => k / norm), proposal: mask.map((k, i) => (-k * beta[i]) / norm) };
}

/**
 * Systematic resampling of M indices ∝ |w| (offset u ∈ [0, 1/M)); each draw carries weight
 * sign(w)·Σ|w|/M, so Σ_draws weight·f(draw) is an unbiased estimate of Σ_k w_k f(k).
 */
export function systematicResample(w: readonly number[], M: number, u: number): { index: number[]; weight: number[] } {
  const total = w.reduce((a, b) => a + Math.abs(b), 0);
  if (total === 0) return { index: new globalThis.Array(M).fill(0), weight: new globalThis.Array(M).fill(0) };
  const index: number[] = [];
  let k = 0, cum = Math.abs(w[0]) / total;
  for (let j = 0; j < M; j++) {
    const point = (u + j) / M;
    while (point >= cum && k < w.length - 1) cum += Math.abs(w[++k]) / total;
    index.push(k);
  }
  return { index, weight: index.map((i) => (Math.sign(w[i]) * total) / M) };
}

/** −Σ_rows w_row Σ_t log π(target_t) over each row's actions. Borrows p, consumes batch. */
function weightedLogLik<P extends Tree>(reasoner: Reasoner<P>, p: P, batch: Record<string, Array>, temperature: number): Array {
  const logp = tokenLogProbs(reasoner, p, batch.prompt, batch.inputs, batch.targets, temperature);
  batch.answer.dispose();
  return logp.mul(batch.action).sum(-1).mul(batch.weight).sum().neg();
}

function makeTriceUpdate<P extends Tree, S extends Tree>(reasoner: Reasoner<P>, optimizer: GradientTransformation<S>, temperature: number) {
  return makeGuardedTrainStep<P, Record<string, Array>, S, Record<string, never>>((params, batch) => {
    const [[loss], grads] = valueAndGradAux((p: P) => [weightedLogLik(reasoner, p, batch, temperature), {}], params);
    return { loss, grads, metrics: {} };
  }, optimizer);
}

const keyOf = (e: Example) => e.question.join(" ");

export function triceTrainer(setup: TrainerSetup): MethodTrainer {
  const o = triceOptions.parse(setup.options);
  const { reasoner, optimizer, limits, task, seed } = setup;
  const state = trainerState(setup.params, optimizer);
  let memory = new Map<string, number[]>();
  const width = fullWidth(limits);
  const sampler = makeSampler(reasoner, width, o.temperature);
  const update = makeTriceUpdate(reasoner, optimizer, o.temperature);
  const charges = passCharges(reasoner, limits);

  return stateTrainer(state, {
    restoreExtra: (extra) => void (memory = new Map(Object.entries((extra.memory ?? {}) as Record<string, number[]>))),
    extra: () => ({ memory: Object.fromEntries(memory), memoryInit: o.memoryInit }),
    async step(examples, step) {
      const B = examples.length;
      const proposals = (await sampleRows(sampler, state.trees.params, examples, limits, stepKey(seed, 2, step), width)).map(fullRow);
      const memories = examples.map((e, i) => {
        const kept = memory.get(keyOf(e));
        if (kept) return { targets: kept, actions: kept.length, answerFrom: -1 };
        return o.memoryInit === "gold" ? goldRow(e) : proposals[i];
      });
      const c = proposals.map((r, i) => task.grade(examples[i], answerFromChain(r.targets)));
      const m = memories.map((r, i) => task.grade(examples[i], answerFromChain(r.targets)));
      const w = triceWeights(c, m);
      // candidates: the new memory (= the proposal when accepted) and, when rejected, the proposal
      const rows: RolloutRow[] = [];
      const weights: number[] = [];
      const owners: Example[] = [];
      examples.forEach((e, i) => {
        const next = c[i] ? proposals[i] : memories[i];
        memory.set(keyOf(e), next.targets);
        if (c[i]) {
          rows.push(proposals[i]), weights.push(w.memory[i] + w.proposal[i]), owners.push(e);
        } else {
          rows.push(memories[i], proposals[i]), weights.push(w.memory[i], w.proposal[i]), owners.push(e, e);
        }
      });
      // fixed shapes: M rows when subsampling, else 2B (unused rows weigh 0)
      const R = o.subsample ?? 2 * B;
      let pick: { index: number[]; weight: number[] };
      if (o.subsample) {
        pick = systematicResample(weights, R, SeededRng.of((Math.imul(seed, 0x9e3779b1) ^ step) >>> 0).float() / R);
      } else {
        const index = globalThis.Array.from({ length: R }, (_, j) => (j < rows.length ? j : 0));
        pick = { index, weight: index.map((k, j) => (j < rows.length ? weights[k] : 0)) };
      }
      const r = rolloutGrids(pick.index.map((k) => owners[k]), pick.index.map((k) => rows[k]), limits);
      const [loss, , health] = state.advance(update(state.trees.params, state.trees.optimizer, { ...rolloutArrays(r), weight: np.array(Float32Array.from(pick.weight)) }));
      return stepReport(loss, health, {
        accuracy: mean(c),
        charge: addCharges({ examples: B }, charges.sample(B, width), charges.update(R)),
        diagnostics: { memoryCorrect: mean(c.map((ci, i) => ci || m[i])), beta: mean(w.beta), memories: memory.size },
      });
    },
    dispose() {
      sampler.dispose();
      update.dispose();
    },
  });
}
