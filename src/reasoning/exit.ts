// Exit rules for a latent chain at inference: how many of its K thoughts each example uses.
//   fixed          all K (the default).
//   latent-change  stop after thought k once ‖h_k − h_{k−1}‖ / ‖h_{k−1}‖ < threshold
//                  (h_0 = the latent after reading the prompt).
//   answer-kl      stop after thought k once KL(p_k ‖ p_{k−1}) < threshold, p_k the answer
//                  distribution (first answer token) read out after k thoughts.
// Under jit every example runs all K thoughts (fixed shapes); the rule then picks each example's
// exit step: the first k in 1..K whose change is below the threshold, else K.
import { jnn, np, type Array } from "../engine/jax.js";

export const EXIT_RULES = ["fixed", "latent-change", "answer-kl"] as const;
export type ExitRuleName = (typeof EXIT_RULES)[number];

export interface ExitRule {
  rule: ExitRuleName;
  /** The change below which an example stops (not used by `fixed`). */
  threshold: number;
}

/** ‖next − prev‖ / (‖prev‖ + 1e-12) per example: [B]. Consumes both [B, D]. */
export function relativeChange(prev: Array, next: Array): Array {
  const norm = (x: Array) => np.sqrt(np.square(x).sum(-1));
  return norm(next.sub(prev.ref)).div(norm(prev).add(1e-12));
}

/** KL(softmax(p) ‖ softmax(q)) per example: [B]. Consumes both logits [B, V]. */
export function klDivergence(pLogits: Array, qLogits: Array): Array {
  const logP = jnn.logSoftmax(pLogits, -1);
  const logQ = jnn.logSoftmax(qLogits, -1);
  return np.exp(logP.ref).mul(logP.sub(logQ)).sum(-1);
}

/**
 * changes [B, K] (change after thought k in column k−1) → the exit step [B] int32 in 1..K: the first
 * k whose change is below `threshold`, else K. Consumes `changes`.
 */
export function exitSteps(changes: Array, threshold: number): Array {
  const [, K] = changes.shape;
  const below = np.less(changes, threshold); // [B, K]
  const steps = np.arange(1, K + 1).astype(np.int32).reshape([1, K]);
  // first qualifying step: min over k of (k where below, else K)
  return np.min(np.where(below, steps, K), -1).astype(np.int32);
}

/** Pick row-wise among K candidates [B, W] int32 by exit step [B] (1..K): [B, W]. Consumes all. */
export function selectByStep(candidates: Array[], exit: Array): Array {
  const [B] = exit.shape;
  const out = candidates.map((c, i) => c.mul(np.equal(exit.ref, i + 1).astype(np.int32).reshape([B, 1]))).reduce((a, b) => a.add(b));
  exit.dispose();
  return out;
}
