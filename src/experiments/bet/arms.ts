// The arms a bet can run: a method with fixed options (and any config it needs changed), under
// a short id. Presets and `--methods` name arms from this catalogue.
import { METHODS } from "../../trainers/index.js";
import type { RunConfigInput } from "../../runs/index.js";

/**
 * GRPO steps of the reward-hacking arms (after the cot arm's SFT). Measured on compose, 3 seeds:
 * at 60 steps the answer-view policy wrote the contiguous injection in 2 seeds of 3 (the third
 * gamed the grader otherwise), at 200 in all 3.
 */
export const HACKING_GRPO_STEPS = 200;

export interface Arm {
  id: string;
  label: string;
  method: string;
  options: Record<string, unknown>;
  /** Config fields this arm changes from the bet's base config (e.g. a population-based method's batch). */
  config?: RunConfigInput;
  /** Runs on inexactly graded tasks only (a learned reward model needs labelled data). */
  inexactOnly?: boolean;
  /**
   * Starts from the final parameters of this arm's run of the same task, budget and seed in the
   * same bet (`--init`), which then runs first; its cost is not in this arm's budget.
   */
  initArm?: string;
}

export const ARMS: readonly Arm[] = [
  { id: "direct", label: "direct SFT (no reasoning)", method: "direct", options: {} },
  { id: "cot", label: "token CoT SFT", method: "cot", options: {} },
  { id: "pause", label: "pause tokens", method: "pause", options: {} },
  { id: "neuralese", label: "neuralese BPTT", method: "neuralese", options: {} },
  { id: "neuralese-gradnorm", label: "neuralese BPTT + per-step grad norm", method: "neuralese", options: { gradNorm: true } },
  {
    id: "neuralese-curriculum",
    label: "neuralese + Coconut curriculum",
    method: "neuralese",
    options: { curriculum: { stages: 3, latentPerStep: 1, stepsPerStage: 150, optimizerReset: "stage" } },
  },
  {
    id: "pause-curriculum",
    label: "pause as thought (same curriculum)",
    method: "pause",
    options: { curriculum: { stages: 3, latentPerStep: 1, stepsPerStage: 150, optimizerReset: "stage" } },
  },
  // β 0.1 and λ_p 0.35 were chosen on pointer-chase val (hops 1–6, K 6, issue 6); ACT keeps its defaults (τ 0.01, ε 0.01)
  { id: "halting", label: "neuralese + PonderNet halting (β 0.1, λ_p 0.35)", method: "halting", options: { beta: 0.1, lambdaP: 0.35 } },
  { id: "halting-act", label: "neuralese + ACT halting (τ 0.01)", method: "halting", options: { rule: "act" } },
  { id: "flow", label: "latent flow (velocity regressed on ∇z log p)", method: "flow", options: { objective: "regress" } },
  { id: "flow-bptt", label: "latent flow, end-to-end BPTT (control)", method: "flow", options: { objective: "bptt" } },
  // the token policy-gradient arms write exactly K chain tokens (K = model.latentSteps, neuralese's
  // thoughts), then `<eot> <ans>` are forced: equal framing, and never a malformed answer
  { id: "grpo-exact", label: "GRPO, exact reward (RLVR), K chain tokens", method: "grpo", options: { reward: "exact", chain: "fixed" } },
  {
    id: "grpo-loglik",
    label: "GRPO, log-likelihood reward, K chain tokens, from scratch",
    method: "grpo",
    // from scratch there is no reference worth staying near: klCoef 0 also skips its scoring pass
    options: { reward: "loglik", groupSize: 4, klCoef: 0, chain: "fixed" },
  },
  { id: "grpo-lik", label: "GRPO, likelihood reward, K chain tokens, from scratch", method: "grpo", options: { reward: "lik", groupSize: 4, klCoef: 0, chain: "fixed" } },
  {
    // the same policy gradient started from the token-CoT SFT arm's final parameters (charged its
    // examples and FLOPs); the cot model writes free-length chains, so this arm keeps cot's layout
    id: "grpo-loglik-from-cot",
    label: "GRPO, log-likelihood reward, from the cot SFT run (free-length chain)",
    method: "grpo",
    options: { reward: "loglik", groupSize: 4, klCoef: 0.04 },
    initArm: "cot",
  },
  { id: "helper-posterior", label: "helper-posterior PG (the essay's token method), K chain tokens", method: "helper-posterior", options: { chain: "fixed" } },
  { id: "trice", label: "TRICE (free-length chains: its memory starts from gold chains)", method: "trice", options: {}, config: { trainExamples: 2048 } },
  {
    // population and batch sized so that a generation costs a few supervised steps
    id: "es",
    label: "evolution strategies on the neuralese loss",
    method: "es",
    options: { population: 8, sigma: 0.05 },
    config: { batchSize: 32, optimizer: { lr: 0.01 } },
  },
  {
    id: "es-short",
    label: "evolution strategies on the neuralese loss (population 8, batch 16, 150 steps)",
    method: "es",
    options: { population: 8, sigma: 0.05 },
    config: { batchSize: 16, budget: { maxSteps: 150 }, optimizer: { lr: 0.01 } },
  },
  // reward hacking (issue 10): GRPO against a learned reward model whose labels reward an
  // injection, fine-tuning a short cot SFT on gold of the same seed (imperfect answers: from an SFT
  // model near H = 1 — 60 steps already reach H 0.95 — no injection scores higher than what it writes); few steps at a
  // constant rate, as an RL phase after SFT
  {
    id: "cot-init",
    label: "token CoT SFT, 25 steps (the grpo-model arms' starting point)",
    method: "cot",
    options: {},
    config: { budget: { maxSteps: 25 } },
    inexactOnly: true,
  },
  ...(
    [
      ["grpo-model", "answer", false, 0.04],
      ["grpo-model-nokl", "answer", false, 0],
      ["grpo-model-clean", "answer", true, 0.04],
      ["grpo-model-chain", "chain", false, 0.04],
      ["grpo-model-chain-nokl", "chain", false, 0],
      ["grpo-model-chain-clean", "chain", true, 0.04],
    ] as const
  ).map(
    ([id, view, cleanLabels, klCoef]): Arm => ({
      id,
      label: `GRPO from cot-init, learned reward model (${cleanLabels ? "clean labels, control" : "flawed labels"}; grader reads ${view === "chain" ? "chain + answer" : "the answer"}; ${klCoef ? `KL β ${klCoef}` : "no KL"})`,
      method: "grpo",
      options: { reward: "model", klCoef, rewardModel: { view, cleanLabels } },
      config: { batchSize: 8, budget: { maxSteps: HACKING_GRPO_STEPS }, optimizer: { lr: 2e-3, schedule: "constant", warmupSteps: 5 } },
      inexactOnly: true,
      initArm: "cot-init",
    }),
  ),
];

/** Arms whose method exists in this build, by id (`general`: only those that run on every task). */
export function availableArms(general = false): Map<string, Arm> {
  return new Map(ARMS.filter((a) => a.method in METHODS && !(general && a.inexactOnly)).map((a) => [a.id, a]));
}
