// Pieces the policy-gradient methods on token chains of thought share (grpo, helper-posterior,
// trice): sampling chains with the reasoner's fixed-shape state in one jit, per-token
// log-probabilities (recipes/greedy.ts targetLogProbs), the rollout grids (rollouts.ts,
// re-exported here), group-normalised advantages, the clipped surrogate, the k3 KL estimator, one
// guarded policy update, and the budget charges.
import { z } from "zod";
import { jit, lax, np, random, type Array, type OwnedFunction } from "../engine/jax.js";
import { ref, type Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import { makeGuardedTrainStep, type GradientTransformation } from "../optim/index.js";
import { SPECIAL, type Example, type Limits } from "../tasks/index.js";
import type { BudgetCharge } from "../engine/flops.js";
import { passCharge } from "./trainer.js";
import { answerGrids, promptGrid, promptWidth } from "../recipes/framing.js";
import { decodeFixedChain, fixedChainWidth, fixedChainWithGoldLogp } from "../recipes/fixed-chain.js";
import { contentOnlyBias, decodeTokens, targetLogProbs } from "../recipes/greedy.js";
import { readPrompt, tokenRows, tokens } from "../recipes/supervised-parts.js";
import { valueAndGradAux } from "../engine/vjp.js";
import { disposeState } from "../reasoning/index.js";
import { fixedChainRow, fullWidth, type Rollouts } from "./rollouts.js";

export * from "./rollouts.js";

// ---------------------------------------------------------------------------------------------
// Sampling

export type Sampler<P extends Tree> = OwnedFunction<(params: P, prompt: Array, key: Array) => Array>;

/** One jit: read the prompts [N, P], feed `<bot>`, sample `width` tokens. Consumes its arguments. */
export function makeSampler<P extends Tree>(reasoner: Reasoner<P>, width: number, temperature: number): Sampler<P> {
  return jit((p: P, prompt: Array, key: Array) => {
    const [N] = prompt.shape;
    return decodeTokens(reasoner, p, readPrompt(reasoner, p, prompt), tokenRows(N, [SPECIAL.beginThought]).reshape([N]), width, { key, temperature });
  }) as unknown as Sampler<P>;
}

/** Each prompt's `width` tokens drawn by one sampling pass (borrows params). */
export async function sampleRows<P extends Tree>(sampler: Sampler<P>, params: P, prompts: readonly Example[], limits: Limits, key: Array, width: number) {
  const drawn = await sampler(ref(params), tokens(promptGrid(prompts, limits)), key).data();
  return prompts.map((_, i) => drawn.subarray(i * width, (i + 1) * width));
}

/**
 * One jit for a fixed chain of `chainTokens` (src/recipes/fixed-chain.ts): read the prompts [N, P],
 * write the chain (and, `withAnswer`, the forced `<eot> <ans>` and a sampled answer). Consumes its arguments.
 */
export function makeFixedChainSampler<P extends Tree>(reasoner: Reasoner<P>, chainTokens: number, limits: Limits, temperature: number, withAnswer: boolean): Sampler<P> {
  return jit((p: P, prompt: Array, key: Array) => {
    return decodeFixedChain(reasoner, p, readPrompt(reasoner, p, prompt), chainTokens, limits, temperature, key, withAnswer);
  }) as unknown as Sampler<P>;
}

export type GoldSampler<P extends Tree> = OwnedFunction<(params: P, prompt: Array, answerInputs: Array, answerTargets: Array, key: Array) => [Array, Array]>;

/** One jit: read the prompts, sample a fixed chain of `chainTokens`, score the gold answer grids after it (fixedChainWithGoldLogp). */
export function makeFixedChainGoldSampler<P extends Tree>(reasoner: Reasoner<P>, chainTokens: number, temperature: number): GoldSampler<P> {
  return jit((p: P, prompt: Array, answerInputs: Array, answerTargets: Array, key: Array) => {
    return fixedChainWithGoldLogp(reasoner, p, readPrompt(reasoner, p, prompt), chainTokens, temperature, key, answerInputs, answerTargets);
  }) as unknown as GoldSampler<P>;
}

/**
 * Each prompt's K sampled chain tokens and its gold answer's per-token log-probabilities after
 * them (a₁ … a_m <eos>), from one pass (borrows params).
 */
export async function sampleWithGoldLogp<P extends Tree>(sampler: GoldSampler<P>, params: P, prompts: readonly Example[], limits: Limits, key: Array) {
  const gold = answerGrids(prompts, limits);
  const n = gold.targets.cols;
  const [chain, logp] = sampler(ref(params), tokens(promptGrid(prompts, limits)), tokens(gold.inputs), tokens(gold.targets), key);
  const [c, l] = await Promise.all([chain.data(), logp.data()]);
  const K = c.length / prompts.length;
  return prompts.map((e, i) => ({ chain: c.subarray(i * K, (i + 1) * K), answerLogp: globalThis.Array.from(l.subarray(i * n, i * n + e.answer.length + 1) as Float32Array) }));
}

/**
 * How a sampled token chain ends — free: where the policy writes `<eot>` (cot's layout); fixed:
 * after exactly K (--latent-steps) task tokens, then `<eot> <ans>` are forced (src/recipes/fixed-chain.ts).
 */
export const CHAIN_LAYOUTS = ["free", "fixed"] as const;
export const chainOption = z.enum(CHAIN_LAYOUTS).default("free");

/**
 * A policy-gradient trainer's fixed chain of K = the run's latent steps: how many tokens its
 * sampler returns (`withAnswer`: the whole row; else the chain), the rollout grids' width, its
 * sampler and its rows (`goldAnswer` given: teacher-forced after the chain).
 */
export function fixedChainLayout(setup: { reasoner: Reasoner<Tree>; limits: Limits; latentSteps?: number }, withAnswer: boolean) {
  const K = setup.latentSteps;
  if (!(K !== undefined && Number.isInteger(K) && K >= 1)) throw new Error(`a fixed token chain takes K = model.latentSteps tokens (>= 1; --latent-steps), got ${K}`);
  const full = fixedChainWidth(K, setup.limits);
  return {
    chainTokens: K,
    width: withAnswer ? full : K,
    cols: full,
    sampler: (temperature: number) => makeFixedChainSampler(setup.reasoner, K, setup.limits, temperature, withAnswer),
    row: (sampled: ArrayLike<number>, goldAnswer: readonly number[] | null) => fixedChainRow(sampled, K, goldAnswer),
  };
}

// ---------------------------------------------------------------------------------------------
// Log-probabilities

/**
 * log π(target_t | prompt, inputs_≤t) of each teacher-forced target [N, L] (logits / temperature).
 * `restricted` [N, L] (1 where a target was drawn among the task's own tokens, a fixed chain's):
 * there the special tokens are masked as when it was drawn, so the policy scored is the one sampled.
 * Borrows p, consumes prompt, inputs, targets and restricted.
 */
export function tokenLogProbs<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array, inputs: Array, targets: Array, temperature = 1, restricted?: Array): Array {
  const [logits, end] = reasoner.decode(p, readPrompt(reasoner, p, prompt), inputs);
  disposeState(end);
  const bias = restricted?.reshape([...restricted.shape, 1]).mul(contentOnlyBias(reasoner.config.vocab));
  return targetLogProbs(logits, targets, temperature, bias);
}

/** Rollout grids as the scorer takes them: prompt, inputs, targets and, for fixed chains, restricted. */
export type ScoredGrids = { prompt: Array; inputs: Array; targets: Array; restricted?: Array };
export type Scorer<P extends Tree> = OwnedFunction<(params: P, grids: ScoredGrids) => Array>;

/** One jit: the per-token log-probabilities of rollouts under `params` (forward only). */
export function makeScorer<P extends Tree>(reasoner: Reasoner<P>, temperature: number): Scorer<P> {
  return jit((p: P, g: ScoredGrids) => tokenLogProbs(reasoner, p, g.prompt, g.inputs, g.targets, temperature, g.restricted)) as unknown as Scorer<P>;
}

/** The per-token log-probabilities [N, L] of rollouts `r` under `tree` (borrowed). */
export function scoreRollouts<P extends Tree>(scorer: Scorer<P>, tree: P, r: Rollouts): Array {
  const grids: ScoredGrids = { prompt: tokens(r.prompt), inputs: tokens(r.inputs), targets: tokens(r.targets) };
  if (r.restricted) grids.restricted = np.array(r.restricted).reshape([r.inputs.rows, r.inputs.cols]);
  return scorer(ref(tree), grids);
}

// ---------------------------------------------------------------------------------------------
// Advantages and the objective's terms

/** The std floor of group normalisation (TRL's): a group whose rewards are all equal gets advantage 0. */
export const ADVANTAGE_EPS = 1e-4;

/**
 * GRPO's outcome advantages: (r − mean(group)) / (std(group) + 1e-4), with groups of `g`
 * consecutive rewards and the sample std (n − 1, as torch's std, which TRL uses).
 */
export function groupAdvantages(rewards: readonly number[], g: number): Float32Array {
  if (rewards.length % g !== 0) throw new Error(`groupAdvantages: ${rewards.length} rewards do not split into groups of ${g}`);
  const out = new Float32Array(rewards.length);
  for (let start = 0; start < rewards.length; start += g) {
    const r = rewards.slice(start, start + g);
    const mean = r.reduce((a, b) => a + b, 0) / g;
    const std = g > 1 ? Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (g - 1)) : 0;
    r.forEach((x, i) => (out[start + i] = (x - mean) / (std + ADVANTAGE_EPS)));
  }
  return out;
}

/**
 * The helper-posterior's advantages: the reward log p_φ(y* | x, z) = Σ_j log p_φ(y*_j | x, z, y*_<j)
 * split into its per-answer-token terms, each normalised within the group on its own (its own
 * baseline and scale, as GRPO's process supervision normalises step rewards), then summed:
 * A_i = Σ_j (r_ij − mean_i' r_i'j) / (std_i' r_i'j + 1e-4). Rows of one group have the same gold answer, so equal token counts.
 */
export function splitAdvantages(perToken: readonly (readonly number[])[], g: number): Float32Array {
  if (perToken.length % g !== 0) throw new Error(`splitAdvantages: ${perToken.length} rows do not split into groups of ${g}`);
  const out = new Float32Array(perToken.length);
  for (let start = 0; start < perToken.length; start += g) {
    const n = perToken[start].length;
    for (let j = 0; j < n; j++) {
      const column = perToken.slice(start, start + g).map((row) => row[j]);
      const a = groupAdvantages(column, g);
      a.forEach((x, i) => (out[start + i] += x));
    }
  }
  return out;
}

/** PPO's clipped surrogate per token: min(ρA, clip(ρ, 1−ε, 1+ε)A), ρ = exp(logp − old). adv broadcasts. Consumes all. */
export function clippedSurrogate(logp: Array, old: Array, adv: Array, eps: number): Array {
  const ratio = np.exp(logp.sub(old));
  const clipped = np.clip(ratio.ref, 1 - eps, 1 + eps);
  return np.minimum(ratio.mul(adv.ref), clipped.mul(adv));
}

/** Schulman's k3 estimator of KL(π‖π_ref) per token: exp(ref − logp) − (ref − logp) − 1 (≥ 0, unbiased). Consumes both. */
export function k3(logp: Array, refLogp: Array): Array {
  const d = refLogp.sub(logp);
  return np.exp(d.ref).sub(d).sub(1);
}

// ---------------------------------------------------------------------------------------------
// The policy update

export interface PolicyUpdateOptions {
  /** Clip range ε of the importance ratio. */
  clipEps: number;
  /** Weight β of the k3 KL to the reference (0: no reference pass). */
  klCoef: number;
  temperature: number;
  /** True when the batch carries `old` log-probs (several updates per round); else old = stopGradient(logp). */
  withOld: boolean;
}

export type PolicyMetrics = { clipFraction: Array; kl: Array };

/**
 * The GRPO loss on a batch {prompt, inputs, targets, action, answer, adv [N], answerWeight [N],
 * old? [N, L], refLogp? [N, L]}, per DeepSeekMath: −mean_i (1/|o_i|) Σ_t [min(ρA, clip(ρ)A) − β k3],
 * plus −mean_i answerWeight_i Σ_t∈answer log p (the reward's own gradient when the reward is the
 * answer's (log-)likelihood after the chain). Borrows p, consumes batch.
 */
export function policyLoss<P extends Tree>(reasoner: Reasoner<P>, p: P, batch: Record<string, Array>, o: PolicyUpdateOptions): { loss: Array; metrics: PolicyMetrics } {
  const [N] = batch.prompt.shape;
  const logp = tokenLogProbs(reasoner, p, batch.prompt, batch.inputs, batch.targets, o.temperature, batch.restricted);
  const old = o.withOld ? batch.old : lax.stopGradient(logp.ref);
  const action = batch.action;
  const ratio = np.exp(logp.ref.sub(old.ref));
  const outside = np.greater(np.abs(ratio.sub(1)), o.clipEps).astype(np.float32).mul(action.ref);
  let perToken = clippedSurrogate(logp.ref, old, batch.adv.reshape([N, 1]), o.clipEps);
  let kl: Array;
  if (o.klCoef > 0) {
    const k = k3(logp.ref, batch.refLogp).mul(action.ref);
    kl = k.ref.sum().div(np.maximum(action.ref.sum(), 1));
    perToken = perToken.sub(k.mul(o.klCoef));
  } else {
    kl = np.zeros([]);
  }
  const lengths = np.maximum(action.ref.sum(-1), 1);
  const surrogate = perToken.mul(action.ref).sum(-1).div(lengths).mean();
  const pathwise = logp.mul(batch.answer).sum(-1).mul(batch.answerWeight).mean();
  const clipFraction = outside.sum().div(np.maximum(action.sum(), 1));
  return { loss: surrogate.add(pathwise).neg(), metrics: { clipFraction, kl } };
}

/** One jit: the policy loss's gradient and the optimizer's guarded update. */
export function makePolicyUpdate<P extends Tree, S extends Tree>(reasoner: Reasoner<P>, optimizer: GradientTransformation<S>, o: PolicyUpdateOptions) {
  return makeGuardedTrainStep<P, Record<string, Array>, S, PolicyMetrics>((params, batch) => {
    const [[loss, metrics], grads] = valueAndGradAux((p: P) => {
      const out = policyLoss(reasoner, p, batch, o);
      return [out.loss, out.metrics];
    }, params);
    return { loss, grads, metrics };
  }, optimizer);
}

// ---------------------------------------------------------------------------------------------
// Budget

/** FLOPs and token-passes of the passes a policy-gradient step runs over rollout grids of `L` columns, per the reasoner's positionFlops. */
export function passCharges(reasoner: Reasoner<Tree>, limits: Limits, L = fullWidth(limits)) {
  const pf = reasoner.positionFlops;
  const P = promptWidth(limits);
  const pass = (rows: number, decoded: number, backward: boolean) => passCharge(rows * (P + decoded), rows * (P * pf.read + decoded * pf.decode), backward);
  return {
    /** Sampling `width` tokens for `rows` rollouts (forward only). */
    sample: (rows: number, width: number) => pass(rows, width, false),
    /** Scoring `rows` rollouts teacher-forced (forward only). */
    score: (rows: number) => pass(rows, L, false),
    /** One gradient pass over `rows` rollouts. */
    update: (rows: number) => pass(rows, L, true),
  };
}

/** Sum charges (examples counted by the caller). */
export function addCharges(...cs: Omit<BudgetCharge, "steps" | "wallMs">[]): Omit<BudgetCharge, "steps" | "wallMs"> {
  const sum = (f: (c: Omit<BudgetCharge, "steps" | "wallMs">) => number | undefined) => cs.reduce((a, c) => a + (f(c) ?? 0), 0);
  return {
    examples: sum((c) => c.examples),
    forwardTokens: sum((c) => c.forwardTokens),
    backwardTokens: sum((c) => c.backwardTokens),
    flops: { forward: sum((c) => c.flops?.forward), backward: sum((c) => c.flops?.backward) },
  };
}

/** A jax PRNG key for step `step` of a run (resume-safe: a pure function of seed, stream and step). */
export function stepKey(seed: number, stream: number, step: number): Array {
  return random.key((Math.imul(seed, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35)) >>> 0);
}
