// Adaptive halting over N blocks of latent steps: the maths of PonderNet (Banino et al. 2021) and
// ACT (Graves 2016) on fixed shapes. Every step's halting probability is computed (all N blocks
// are unrolled); halting is a weighting of the per-step answer losses in training and a per-example
// selection of one step's answer at inference. Arrays are [B, N] (batch, step), step n = 1 … N at
// column n − 1. Pure functions, jit-traceable; they consume their Array arguments.
//
// PonderNet: λ_n = sigmoid(z_n); p_n = λ_n ∏_{j<n} (1 − λ_j) for n < N and, truncated at N with the
// remainder on the last step, p_N = ∏_{j<N} (1 − λ_j) (so Σ_n p_n = 1 exactly; z_N is unused).
// Regulariser KL(p ‖ q) = Σ_n p_n (log p_n − log q_n), p the model's, q the geometric prior with
// success probability λ_p truncated the same way (q_N = (1 − λ_p)^{N−1}). This is the paper's
// direction (eq. 6); one popular PyTorch port computes KL(q ‖ p) with nn.KLDivLoss — the tests pin
// which one this is against a closed form.
//
// ACT: halting units h_n = sigmoid(z_n), cumulative c_n = Σ_{j≤n} h_j; the halting step is
// N(t) = min{n : c_n ≥ 1 − ε} (or N when the mass never gets there); weights p_n = h_n for
// n < N(t), the remainder R = 1 − c_{N(t)−1} at N(t), 0 after; ponder cost ρ = N(t) + R. N(t) is
// piecewise constant, so the gradient of ρ flows through R only (as in the paper).
import { jnn, lax, np, type Array, type DType } from "../engine/jax.js";
import { meanAll } from "../engine/reduce.js";

export interface PonderNetDistribution {
  /** [B, N] halting probabilities (rows sum to 1). */
  p: Array;
  /** [B, N] log p_n, computed from log-sigmoids (no log of a probability that may underflow). */
  logP: Array;
}

/** [N] 0/1 indicator of the last column, as a row to broadcast against [B, N]. */
function lastColumn(N: number, dtype: DType): Array {
  return np.equal(np.arange(N), N - 1).astype(dtype).reshape([1, N]);
}

/**
 * PonderNet's halting distribution from the halting logits z [B, N], truncated at N with the
 * remainder on the last step. log p_n = Σ_{j<n} log(1 − λ_j) + log λ_n (n < N), Σ_{j<N} log(1 − λ_j) (n = N).
 */
export function ponderNetDistribution(z: Array): PonderNetDistribution {
  const [, N] = z.shape;
  const logLambda = jnn.logSigmoid(z.ref);
  const logStay = jnn.logSigmoid(z.neg()); // log(1 − λ)
  const logSurvive = np.cumsum(logStay.ref, 1).sub(logStay); // Σ_{j<n}: exclusive cumsum
  const notLast = np.subtract(1, lastColumn(N, z.dtype));
  const logP = logSurvive.add(logLambda.mul(notLast));
  return { p: np.exp(logP.ref), logP };
}

/** log q_n of the geometric prior with success probability λ_p, truncated at N the same way: [N] (host). */
export function geometricLogPrior(lambdaP: number, N: number): Float64Array {
  if (!(lambdaP > 0 && lambdaP < 1)) throw new Error(`lambdaP must lie in (0, 1), got ${lambdaP}`);
  const out = new Float64Array(N);
  for (let n = 1; n <= N; n++) out[n - 1] = (n - 1) * Math.log1p(-lambdaP) + (n < N ? Math.log(lambdaP) : 0);
  return out;
}

/** KL(p ‖ geometric(λ_p)) per example: [B]. Consumes p and logP. */
export function klToGeometric(dist: PonderNetDistribution, lambdaP: number): Array {
  const [, N] = dist.p.shape;
  const logQ = np.array(globalThis.Array.from(geometricLogPrior(lambdaP, N)), { dtype: dist.p.dtype }).reshape([1, N]);
  return dist.p.mul(dist.logP.sub(logQ)).sum(1);
}

/** Σ_n p_n · L_n per example: [B]. Consumes both. */
export function expectedLoss(p: Array, losses: Array): Array {
  return p.mul(losses).sum(1);
}

export interface PonderNetLoss {
  /** Scalar: batch mean of Σ_n p_n L_n + β · KL(p ‖ geometric(λ_p)). */
  loss: Array;
  /** [B, N] the halting distribution. */
  p: Array;
  /** Scalar: batch mean of the KL term (without β). */
  kl: Array;
}

/** PonderNet's training loss from halting logits z [B, N] and per-step losses [B, N]. Consumes both. */
export function ponderNetLoss(z: Array, losses: Array, opts: { beta: number; lambdaP: number }): PonderNetLoss {
  const dist = ponderNetDistribution(z);
  const p = dist.p.ref;
  const kl = klToGeometric({ p: dist.p.ref, logP: dist.logP }, opts.lambdaP);
  const task = expectedLoss(dist.p, losses);
  return { loss: meanAll(task.add(kl.ref.mul(opts.beta))), p, kl: kl.mean() };
}

export interface ActWeights {
  /** [B, N] the weights p_n (h_n before the halting step, the remainder at it, 0 after; rows sum to 1). */
  p: Array;
  /** [B, N] 0/1: the halting step N(t) (one per row). */
  halt: Array;
  /** [B] ponder cost ρ = N(t) + R (N(t) counted in steps 1 … N). */
  ponderCost: Array;
}

/** ACT's weights from halting logits z [B, N] with threshold 1 − ε. Consumes z. */
export function actWeights(z: Array, epsilon: number): ActWeights {
  const [, N] = z.shape;
  const dtype = z.dtype;
  const h = jnn.sigmoid(z);
  const cum = np.cumsum(h.ref, 1);
  const before = cum.ref.sub(h.ref); // c_{n−1}, with c_0 = 0
  const stop = 1 - epsilon;
  // reached_n: c_n ≥ 1 − ε, or n = N (forced halt); the halting step is the first n reached
  const halt = firstReached(lax.stopGradient(np.greaterEqual(cum, stop).astype(dtype)));
  const active = np.subtract(1, np.cumsum(halt.ref, 1)).add(halt.ref); // 1 for n ≤ N(t)
  const remainder = np.subtract(1, before); // R at n = N(t)
  const p = active.sub(halt.ref).mul(h).add(halt.ref.mul(remainder.ref));
  const steps = halt.ref.mul(np.arange(1, N + 1).astype(dtype).reshape([1, N])).sum(1);
  const ponderCost = steps.add(halt.ref.mul(remainder).sum(1));
  return { p, halt, ponderCost };
}

export interface ActLoss {
  /** Scalar: batch mean of Σ_n p_n L_n + τ · ρ. */
  loss: Array;
  p: Array;
  halt: Array;
  /** Scalar: batch mean ponder cost. */
  ponderCost: Array;
}

/** ACT's training loss from halting logits z [B, N] and per-step losses [B, N]. Consumes both. */
export function actLoss(z: Array, losses: Array, opts: { epsilon: number; tau: number }): ActLoss {
  const w = actWeights(z, opts.epsilon);
  const task = expectedLoss(w.p.ref, losses);
  return { loss: meanAll(task.add(w.ponderCost.ref.mul(opts.tau))), p: w.p, halt: w.halt, ponderCost: w.ponderCost.mean() };
}

/**
 * [B, N] 0/1 → the one-hot of each row's first 1 (rows must hold at least one 1). Consumes `mask`.
 * No gradient (an index choice).
 */
export function firstTrue(mask: Array): Array {
  const m = lax.stopGradient(mask);
  return m.ref.mul(np.equal(np.cumsum(m, 1), 1).astype(m.dtype));
}

/** [B, N] 0/1 steps reached → the one-hot of each row's first, the last step when none is. Consumes `reached`. */
const firstReached = (reached: Array): Array => firstTrue(np.maximum(reached, lastColumn(reached.shape[1], reached.dtype)));

/**
 * Inference, "threshold": halt at the first step whose cumulative halting probability reaches
 * `threshold` (PonderNet: Σ_{j≤n} p_j; ACT: Σ_{j≤n} h_j, whose own rule is threshold = 1 − ε);
 * the last step when none does. Returns the one-hot halting step [B, N]. Consumes `weights`.
 */
export function haltAtThreshold(weights: Array, threshold: number): Array {
  const dtype = weights.dtype;
  return firstReached(np.greaterEqual(np.cumsum(weights, 1), threshold).astype(dtype));
}

/**
 * Inference, "sample": at each step halt with probability λ_n (a Bernoulli draw from the uniform
 * `u` [B, N] in [0, 1)), the last step always. Returns the one-hot halting step [B, N]. Consumes both.
 */
export function haltBySampling(lambda: Array, u: Array): Array {
  const dtype = lambda.dtype;
  return firstReached(np.less(u, lambda).astype(dtype));
}

/** The step number (1 … N) of a one-hot halting step [B, N]: [B] float. Consumes it. */
export function haltStepNumber(halt: Array): Array {
  const [, N] = halt.shape;
  return halt.mul(np.arange(1, N + 1).astype(halt.dtype).reshape([1, N])).sum(1);
}
