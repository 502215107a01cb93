// helper-posterior: the essay's two-stage method. A helper answer model p_φ(y | x, z) (the same
// architecture, initialised as a copy of θ) learns to answer from chains z sampled from π_θ, with
// the gold answers (stage 1: cross-entropy on y* after z). The policy π_θ(z | x) then learns by
// policy gradient with reward log p_φ(y* | x, z), split into its per-answer-token terms
// log p_φ(y*_j | x, z, y*_<j), each normalised within the question's group of G chains on its own
// and summed into the advantage (stage 2), plus β·k3 KL to the frozen reference. The stages
// alternate on a schedule of steps: `helperWarmup` stage-1 steps, then cycles of `helperSteps`
// stage-1 and `policySteps` stage-2 steps. Evaluation is θ's own greedy chain and answer (the cot
// recipe); φ only shapes the reward.
import { z } from "zod";
import { np, type Array } from "../engine/jax.js";
import { ref, type Tree } from "../engine/tree.js";
import {
  addCharges,
  chainOnlyWidth,
  chainOption,
  chainRow,
  fixedChainLayout,
  makePolicyUpdate,
  makeSampler,
  makeScorer,
  passCharges,
  perRowAnswer,
  sampleRows,
  scoreRollouts,
  repeatEach,
  rolloutArrays,
  rolloutGrids,
  splitAdvantages,
  stepKey,
} from "./policy-gradient.js";
import { mean } from "../common/mean.js";
import type { MethodTrainer, TrainerSetup } from "./trainer.js";
import { scalar, stateTrainer, stepReport, trainerState } from "./trainer-state.js";

export const helperPosteriorOptions = z.strictObject({
  /** G, chains sampled per question. */
  groupSize: z.number().int().min(2).max(1024).default(8),
  temperature: z.number().positive().max(10).default(1),
  chain: chainOption,
  /** β, weight of the k3 KL of π_θ to the reference; 0 skips the reference pass. */
  klCoef: z.number().min(0).default(0.04),
  /** Stage-1 (helper) steps before the first policy step. */
  helperWarmup: z.number().int().min(0).default(20),
  /** Then alternate: this many stage-1 steps … */
  helperSteps: z.number().int().min(1).default(1),
  /** … and this many stage-2 (policy) steps. */
  policySteps: z.number().int().min(1).default(1),
});

export type HelperPosteriorOptions = z.output<typeof helperPosteriorOptions>;

/** Which stage step `step` runs (0-based). */
export function stageOf(step: number, o: Pick<HelperPosteriorOptions, "helperWarmup" | "helperSteps" | "policySteps">): "helper" | "policy" {
  if (step < o.helperWarmup) return "helper";
  return (step - o.helperWarmup) % (o.helperSteps + o.policySteps) < o.helperSteps ? "helper" : "policy";
}

export function helperPosteriorTrainer(setup: TrainerSetup): MethodTrainer {
  const o = helperPosteriorOptions.parse(setup.options);
  const { reasoner, optimizer, limits, seed } = setup;
  const G = o.groupSize;
  const fixed = o.chain === "fixed" ? fixedChainLayout(setup, false) : null;
  const width = fixed?.width ?? chainOnlyWidth(limits);
  const helper = ref(setup.params);
  const state = trainerState(setup.params, optimizer, { helper, helperOptimizer: optimizer.init(helper) as Tree, reference: ref(setup.params) });
  const trees = state.trees;
  const sampler = fixed?.sampler(o.temperature) ?? makeSampler(reasoner, width, o.temperature);
  const scorer = makeScorer(reasoner, 1);
  const policyUpdate = makePolicyUpdate(reasoner, optimizer, { clipEps: 0.2, klCoef: o.klCoef, temperature: o.temperature, withOld: false });
  // stage 1 is the policy loss with zero advantages and unit answer weight: the answer's CE after z
  const helperUpdate = makePolicyUpdate(reasoner, optimizer, { clipEps: 0.2, klCoef: 0, temperature: 1, withOld: false });
  const charges = passCharges(reasoner, limits, fixed?.cols);

  return stateTrainer(state, {
    async step(examples, step) {
      const stage = stageOf(step, o);
      const group = repeatEach(examples, G);
      const N = group.length;
      const drawn = await sampleRows(sampler, trees.params, group, limits, stepKey(seed, 1, step), width);
      const rows = drawn.map((s, i) => (fixed ? fixed.row(s, group[i].answer) : chainRow(s, group[i].answer, limits)));
      const r = rolloutGrids(group, rows, limits, fixed?.cols);
      const spent = [{ examples: examples.length }, charges.sample(N, width)];
      const zeros = () => np.zeros([N]);
      const ones = () => np.ones([N]);

      // φ's per-answer-token log-probabilities: the reward (stage 2) and the accuracy report
      const helperLogp = await scoreRollouts(scorer, trees.helper, r).data();
      spent.push(charges.score(N));
      const perToken = perRowAnswer(helperLogp, r);
      const correct = perToken.map((t) => (t.every((x) => x > Math.log(0.5)) ? 1 : 0));
      const reward = perToken.map((t) => t.reduce((x, y) => x + y, 0));

      let out: [Array, { clipFraction: Array; kl: Array }, { gradNorm: Array; applied: Array }];
      if (stage === "helper") {
        out = state.advance(helperUpdate(trees.helper, trees.helperOptimizer, { ...rolloutArrays(r), adv: zeros(), answerWeight: ones() }), "helper", "helperOptimizer");
      } else {
        const batch: Record<string, Array> = { ...rolloutArrays(r), adv: np.array(splitAdvantages(perToken, G)), answerWeight: zeros() };
        if (o.klCoef > 0) {
          batch.refLogp = scoreRollouts(scorer, trees.reference, r);
          spent.push(charges.score(N));
        }
        out = state.advance(policyUpdate(trees.params, trees.optimizer, batch));
      }
      spent.push(charges.update(N));
      const kl = await scalar(out[1].kl);
      out[1].clipFraction.dispose();
      return stepReport(out[0], out[2], {
        accuracy: mean(correct),
        charge: addCharges(...spent),
        diagnostics: { stage: stage === "helper" ? 1 : 2, helperLoglik: mean(reward), kl, sampledTokens: mean(r.sampled.map((s) => s.length)) },
      });
    },
    dispose() {
      sampler.dispose();
      scorer.dispose();
      policyUpdate.dispose();
      helperUpdate.dispose();
    },
  });
}
