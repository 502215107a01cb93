// grpo: Group Relative Policy Optimization (DeepSeekMath, arXiv 2402.03300) on token chains of
// thought. Per question, G rollouts are sampled from π_θ; each gets a reward, advantages are the
// rewards normalised within the group, and θ ascends the clipped surrogate minus β·k3 KL to a
// frozen reference (the initial parameters, kept and checkpointed). Rewards:
//   exact  — the task's grader on the sampled answer (RLVR);
//   loglik — log p_θ(y* | x, z), the gold answer teacher-forced after the sampled chain z;
//   lik    — p_θ(y* | x, z), whose expectation over z is p(y* | x) (loglik's is a Jensen bound);
//   model  — a learned reward model (src/trainers/reward-model.ts: an MLP fitted to the task's
//            labelled data, trained at the first step with its own seed; inexact tasks only).
//            Each step then also logs the hacking diagnostics: true quality H, proxy reward,
//            injection rate in answers and chains, answer diversity, proxy − true gap.
// With loglik/lik the reward depends on θ too; `answerGrad` adds that pathwise term
// (∇ E_z[r_θ(z)] = E[r ∇log π(z)] + E[∇r_θ(z)]), i.e. the answer's cross-entropy after the sampled
// chain, weighted 1 (loglik) or p(y* | x, z) (lik). On a fixed chain (one update a round) the
// likelihood reward is scored in the sampling pass itself, not by a second forward over the rollouts.
import { z } from "zod";
import { ref, type Tree } from "../engine/tree.js";
import { chainOnlyWidth, addCharges, chainOption, chainRow, fixedChainLayout, fullRow, fullWidth, groupAdvantages, makeFixedChainGoldSampler, makePolicyUpdate, makeSampler, makeScorer, sampleWithGoldLogp, passCharges, perRowAnswer, repeatEach, rolloutArrays, rowAnswer, sampleRows, scoreRollouts, rolloutGrids, rowChain, stepKey, type RolloutRow } from "./policy-gradient.js";
import { mean } from "../common/mean.js";
import { np, type Array } from "../engine/jax.js";
import type { MethodTrainer, TrainerSetup } from "./trainer.js";
import { scalar, stateTrainer, trainerState } from "./trainer-state.js";
import { rewardModelOptions, trainRewardModel, type RewardModel, type TrainedRewardModel } from "./reward-model.js";
import { hackingDiagnostics } from "./hacking-metrics.js";

export const REWARDS = ["exact", "loglik", "lik", "model"] as const;

export const grpoOptions = z
  .strictObject({
    /** G, rollouts sampled per question. */
    groupSize: z.number().int().min(2).max(1024).default(8),
    reward: z.enum(REWARDS).default("exact"),
    /** Sampling temperature (the policy's log-probabilities use the same logits / T). */
    temperature: z.number().positive().max(10).default(1),
    /** ε, the importance ratio's clip range. */
    clipEps: z.number().positive().max(10).default(0.2),
    /** β, weight of the k3 KL to the reference; 0 skips the reference pass. */
    klCoef: z.number().min(0).default(0.04),
    /** Policy updates per sampling round (μ); above 1 the clipped ratio matters. */
    updatesPerRound: z.number().int().min(1).max(64).default(1),
    /** loglik/lik: also follow the reward's own gradient (the answer's CE after the sampled chain). */
    answerGrad: z.boolean().default(true),
    chain: chainOption,
    /** Cap on the tokens sampled per rollout (free chains); null: the layout's longest chain (and answer, for exact). */
    maxNewTokens: z.number().int().min(2).nullable().default(null),
    /** reward "model": the learned reward model (grader view, clean-label control, its training). */
    rewardModel: rewardModelOptions,
  });

export type GrpoOptions = z.output<typeof grpoOptions>;

export function grpoTrainer(setup: TrainerSetup, rewardModel?: RewardModel): MethodTrainer {
  const o = grpoOptions.parse(setup.options);
  const { reasoner, optimizer, limits, task, seed } = setup;
  if (o.reward === "model" && !rewardModel && !task.inexact) {
    throw new Error(`grpo: reward "model" needs an inexactly graded task with labelled data (e.g. --task compose); task "${task.name}" is graded exactly: use reward "exact"`);
  }
  // the learned reward model, fitted once before the first policy update
  let learned: TrainedRewardModel | null = null;
  const proxy = async (): Promise<RewardModel> => {
    if (rewardModel) return rewardModel;
    learned ??= await trainRewardModel(task, setup.taskOptions, limits, o.rewardModel);
    return learned.score;
  };
  const G = o.groupSize;
  const exact = o.reward === "exact" || o.reward === "model";
  const fixed = o.chain === "fixed" ? fixedChainLayout(setup, exact) : null;
  const layoutWidth = exact ? fullWidth(limits) : chainOnlyWidth(limits);
  const width = fixed?.width ?? Math.min(layoutWidth, o.maxNewTokens ?? layoutWidth);
  const state = trainerState(setup.params, optimizer, { reference: ref(setup.params) });
  const trees = state.trees;
  const withOld = o.updatesPerRound > 1;
  // a likelihood reward on a fixed chain is scored in the sampling pass itself (no second forward)
  const goldSampler = fixed && !exact && !withOld ? makeFixedChainGoldSampler(reasoner, fixed.chainTokens, o.temperature) : null;
  const sampler = goldSampler ? null : (fixed?.sampler(o.temperature) ?? makeSampler(reasoner, width, o.temperature));
  const scorer = makeScorer(reasoner, o.temperature);
  const update = makePolicyUpdate(reasoner, optimizer, { clipEps: o.clipEps, klCoef: o.klCoef, temperature: o.temperature, withOld });
  const charges = passCharges(reasoner, limits, fixed?.cols);

  return stateTrainer(state, {
    async step(examples, step) {
      const group = repeatEach(examples, G);
      const N = group.length;
      let rows: RolloutRow[];
      let sampledLogp: number[][] | null = null;
      if (goldSampler) {
        const drawn = await sampleWithGoldLogp(goldSampler, trees.params, group, limits, stepKey(seed, 0, step));
        rows = drawn.map((d, i) => fixed!.row(d.chain, group[i].answer));
        sampledLogp = drawn.map((d) => d.answerLogp);
      } else {
        const drawn = await sampleRows(sampler!, trees.params, group, limits, stepKey(seed, 0, step), width);
        rows = drawn.map((s, i) => {
          if (fixed) return fixed.row(s, exact ? null : group[i].answer);
          return exact ? fullRow(s) : chainRow(s, group[i].answer, limits);
        });
      }
      const r = rolloutGrids(group, rows, limits, fixed?.cols);
      // the gold-scoring sampler feeds the whole row: <bot>, the chain, <eot> <ans> and the answer
      const spent = [{ examples: examples.length }, charges.sample(N, goldSampler ? fixed!.cols : width)];

      const score = async (tree: Tree): Promise<Array> => {
        spent.push(charges.score(N));
        return scoreRollouts(scorer, tree, r);
      };
      const old = (exact || sampledLogp) && !withOld ? null : await score(trees.params);
      const refLogp = o.klCoef > 0 ? await score(trees.reference) : null;

      let rewards: number[];
      let correct: number[];
      let answerWeight = new Float32Array(N);
      if (exact) {
        correct = rows.map((row, i) => task.grade(group[i], rowAnswer(row)));
        rewards = o.reward === "model" ? await (await proxy())(group, rows.map(rowChain), rows.map(rowAnswer)) : correct;
      } else {
        const answerLogp = sampledLogp ?? perRowAnswer(await old!.ref.data(), r);
        const logliks = answerLogp.map((t) => t.reduce((a, b) => a + b, 0));
        rewards = o.reward === "loglik" ? logliks : logliks.map(Math.exp);
        // every gold-answer token the argmax: the greedy answer after this chain is right
        correct = answerLogp.map((t) => (t.every((x) => x > Math.log(0.5)) ? 1 : 0));
        if (o.answerGrad) answerWeight = Float32Array.from(logliks, (l) => (o.reward === "loglik" ? 1 : Math.exp(l)));
      }
      const adv = groupAdvantages(rewards, G);

      let loss = 0, gradNorm = 0, applied = true, clipFraction = 0, kl = 0;
      for (let u = 0; u < o.updatesPerRound; u++) {
        const batch: Record<string, Array> = {
          ...rolloutArrays(r),
          adv: np.array(adv),
          answerWeight: np.array(answerWeight),
        };
        if (withOld) batch.old = old!.ref;
        if (refLogp) batch.refLogp = refLogp.ref;
        const [l, metrics, health] = state.advance(update(trees.params, trees.optimizer, batch));
        [loss, gradNorm, clipFraction, kl] = await Promise.all([l, health.gradNorm, metrics.clipFraction, metrics.kl].map(scalar));
        applied = applied && (await scalar(health.applied)) === 1;
        spent.push(charges.update(N));
      }
      old?.dispose();
      refLogp?.dispose();
      return {
        loss,
        accuracy: mean(correct),
        gradNorm,
        applied,
        charge: addCharges(...spent),
        diagnostics: {
          reward: mean(rewards),
          clipFraction,
          kl,
          sampledTokens: mean(r.sampled.map((s) => s.length)),
          ...(o.reward === "model" && task.inexact ? hackingDiagnostics(task.inexact.injection(setup.taskOptions), rows.map(rowChain), rows.map(rowAnswer), correct, rewards) : {}),
          ...(learned && step === 0 ? { rewardModelFit: { ...learned.fit } } : {}),
        },
      };
    },
    dispose() {
      sampler?.dispose();
      goldSampler?.dispose();
      scorer.dispose();
      update.dispose();
      learned?.dispose();
    },
  });
}
