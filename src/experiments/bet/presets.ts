// The bet's presets. `quick` is the README's main job and should finish in 10 minutes on a
// 2-core laptop; `standard` is the same bet with 3 seeds, 1000 steps, a sweep over training-set
// sizes and an equal-FLOPs budget; `full` adds seeds and every exactly graded task; `hacking` is issue 10's reward-hacking
// experiment on the inexact tasks compose and digest (SFT on good examples versus GRPO against a
// learned, exploitable reward model); `halting` is issue 6's adaptive-length experiment (does a
// learned continue probability spend more thoughts on harder questions, at fixed K's accuracy?);
// `prosqa` is issue 25's Coconut comparison from scratch, scored on Coconut's real validation file.
import { resolve } from "node:path";
import { TASK_NAMES, TASKS } from "../../tasks/index.js";
import { availableArms, HACKING_GRPO_STEPS } from "./arms.js";
import type { BetSpec } from "./spec.js";

export const PRESETS = ["quick", "standard", "full", "hacking", "halting", "prosqa"] as const;
export type PresetName = (typeof PRESETS)[number];

/** Arms of the quick preset (those this build has). */
const QUICK_ARMS = ["direct", "cot", "neuralese", "neuralese-gradnorm", "grpo-loglik", "es"];

/** Steps of every quick arm (64 questions each). */
const QUICK_STEPS = 450;

/** Steps of every standard arm on its fixed training set. */
const STANDARD_STEPS = 1000;

/**
 * The quick arms' learning rates, each chosen on validation from the same three trials
 * (`neuralese bet --preset quick --tune 1e-3,3e-3,1e-2 --tune-seeds 100`; README, "The bet").
 * Every arm trains 64 questions a step (ES and GRPO's own arm defaults differ).
 */
const QUICK_TUNED: Record<string, Record<string, unknown>> = {
  direct: { optimizer: { lr: 3e-3 } },
  cot: { optimizer: { lr: 3e-3 } },
  neuralese: { optimizer: { lr: 3e-3 } },
  "neuralese-gradnorm": { optimizer: { lr: 1e-3 } },
  // the two costliest arms at their cheapest sound setting, so that 64 questions a step for every
  // arm fits in 10 minutes: ES with 2 antithetic pairs, GRPO with 2 rollouts a question
  "grpo-loglik": { batchSize: 64, method: { options: { groupSize: 2 } }, optimizer: { lr: 3e-3 } },
  es: { batchSize: 64, method: { options: { population: 4 } }, optimizer: { lr: 1e-3 } },
};

/** Arms of the hacking preset: SFT on gold answers, GRPO against the learned reward model (views, KL, control), ES. */
const HACKING_ARMS = [
  "cot-init",
  "grpo-model-chain",
  "grpo-model-chain-clean",
  "grpo-model",
  "grpo-model-clean",
  "neuralese",
  "direct",
  "cot",
  "grpo-model-chain-nokl",
  "grpo-model-nokl",
  "es-short",
];

/** Arms of the prosqa preset: Coconut's Table 1 recipes (no-CoT, CoT, pause as thought, Coconut without and with its curriculum). */
const PROSQA_ARMS = ["direct", "cot", "pause-curriculum", "neuralese", "neuralese-curriculum"];

/** Steps of every prosqa arm (64 questions each) and of each curriculum stage: Coconut's 5 of 50 epochs a stage. */
const PROSQA_STEPS = 3000;
const PROSQA_STAGE_STEPS = PROSQA_STEPS / 10;

/** Coconut's ProsQA validation file, where this repository's README expects it (../shared beside the checkout). */
export const COCONUT_PROSQA_VALID = "../shared/data/prosqa/prosqa_valid.json";

/** Arms of the halting preset: fixed K (all thoughts, always) against the two halting rules. */
const HALTING_ARMS = ["neuralese", "halting", "halting-act"];

const evaluation = (every: number, val: number, test: number) => ({ every, valExamples: val, testExamples: test, testCurve: true });

export function preset(name: PresetName): BetSpec {
  const all = [...availableArms().keys()];
  const arms = [...availableArms(true).keys()];
  // every arm draws the same 64 questions a step from the seed's stream for the same number of
  // steps (equal examples), thinks K = 4 steps (the token PG arm writes 4 tokens), and trains at
  // the learning rate its own tuning trials chose on validation (QUICK_TUNED)
  const quick: BetSpec = {
    preset: "quick",
    tasks: [{ name: "pointer-chase", options: {} }],
    arms: QUICK_ARMS.filter((a) => arms.includes(a)),
    armConfig: QUICK_TUNED,
    seeds: [0, 1],
    budgets: [{ id: `s${QUICK_STEPS}`, label: `${QUICK_STEPS} steps × 64 questions (${(QUICK_STEPS * 64).toLocaleString("en-US")} examples), every arm`, config: { budget: { maxSteps: QUICK_STEPS } } }],
    // a constant rate after warm-up: the chain is learnt in a sharp transition (300–450 steps here) that a decaying rate delays
    base: { model: { dim: 64, layers: 2, heads: 4, latentSteps: 4 }, batchSize: 64, optimizer: { schedule: "constant", warmupSteps: 30 }, eval: evaluation(50, 100, 300), checkpointEvery: 100 },
    target: { accuracy: 0.9, split: "test" },
    monitor: { n: 200, split: "test" },
  };
  switch (name) {
    case "quick":
      return quick;
    case "standard":
      // the quick bet at a scale that can settle it: the same arms, model and tuned settings, 3
      // seeds, 1000 steps, and two axes. Sample efficiency: a fixed training set of 256, 1024 or
      // 4096 questions drawn in epochs. Compute: a fresh stream until 8e11 FLOPs are spent
      // (neuralese's 1000 steps; direct's ~1400, GRPO's ~360), whatever an arm spends a step.
      return {
        ...quick,
        preset: "standard",
        seeds: [0, 1, 2],
        budgets: [
          ...[256, 1024, 4096].map((n) => ({ id: `n${n}`, label: `${n} training questions, ${STANDARD_STEPS} steps × 64`, config: { trainExamples: n, budget: { maxSteps: STANDARD_STEPS } } })),
          { id: "f8e11", label: "8e11 training FLOPs, fresh questions", config: { budget: { maxFlops: 8e11 } } },
        ],
        // evaluated every 50 steps as quick: examples to the target are known to 3,200
        base: { ...quick.base, eval: evaluation(50, 200, 500) },
      };
    case "full":
      return {
        preset: "full",
        // the exactly graded tasks: inexact ones (compose) have too few distinct questions for a
        // 2000 × 64 question stream, and their experiment is the hacking preset
        tasks: TASK_NAMES.filter((t) => !TASKS[t].inexact).map((t) => ({ name: t, options: {} })),
        arms,
        seeds: [0, 1, 2, 3, 4],
        budgets: [{ id: "s2000", label: "2000 steps × 64 questions", config: { budget: { maxSteps: 2000 } } }],
        base: { batchSize: 64, eval: evaluation(200, 500, 1000), checkpointEvery: 250 },
        target: { accuracy: 0.9, split: "test" },
      };
    case "hacking":
      // small: the true quality H is the "accuracy" (mean H on val/test); every run's final test
      // outputs are scored by the learned graders (summary.hacking); the grpo arms also log the
      // hacking diagnostics (true H, proxy, injection rates, diversity, gap) every step. compose's
      // default options have ~1170 train / ~146 test questions, digest's millions: a fixed
      // training set, 140 tested.
      return {
        preset: "hacking",
        tasks: [
          { name: "compose", options: {} },
          { name: "digest", options: {} },
        ],
        arms: HACKING_ARMS.filter((a) => all.includes(a)),
        seeds: [0, 1, 2],
        budgets: [{ id: "s300", label: `SFT 300 steps × 16 questions; es 150 steps × 16 questions × 8 members; grpo ${HACKING_GRPO_STEPS} steps × 8 questions × 8 rollouts after cot-init's 25 SFT steps`, config: {} }],
        base: {
          model: { dim: 32, layers: 2, heads: 2, latentSteps: 3 },
          batchSize: 16,
          trainExamples: 1000,
          budget: { maxSteps: 300 },
          eval: evaluation(100, 100, 140),
          checkpointEvery: 100,
        },
        target: { accuracy: 0.9, split: "test" },
      };
    case "halting":
      // pointer-chase with 1–6 hops mixed in every split (K = N = 6): steps used should rise with
      // hops at fixed K's accuracy. parity's extrapolation split (PonderNet): train on 1–4 non-zero
      // entries of 8, test on 5–8; a GRU (K = 4) on the 1,696 questions the train range has.
      return {
        preset: "halting",
        tasks: [
          { name: "pointer-chase", options: { maxHops: 6, trainHops: "1-6", valHops: "1-6", testHops: "1-6" } },
          {
            name: "parity",
            options: { length: 8 },
            config: {
              model: { kind: "gru", layers: 1, heads: 1, latentSteps: 4 },
              trainExamples: 1300,
              budget: { maxSteps: 4000 },
              eval: { every: 500, valExamples: 150, testExamples: 480 },
            },
          },
        ],
        arms: HALTING_ARMS.filter((a) => all.includes(a)),
        seeds: [0, 1, 2],
        budgets: [{ id: "long", label: "pointer-chase 3000 steps × 32 questions; parity 4000 steps × 32", config: {} }],
        base: {
          model: { dim: 64, layers: 2, heads: 4, latentSteps: 6 },
          batchSize: 32,
          budget: { maxSteps: 3000 },
          eval: evaluation(250, 300, 600),
          checkpointEvery: 250,
        },
        target: { accuracy: 0.95, split: "test" },
        monitor: null, // readability is not this preset's question: `neuralese inspect` reads any run on request
      };
    case "prosqa": {
      // Coconut's ProsQA comparison (its Table 1) from scratch: questions of the released files'
      // distribution (--graphs coconut), K = 6 thoughts (c = 1 per step, 6 stages as Coconut), every
      // run scored at the end on Coconut's real validation file as well as on generated test questions
      const curriculum = { stages: 6, latentPerStep: 1, stepsPerStage: PROSQA_STAGE_STEPS, optimizerReset: "stage" };
      return {
        preset: "prosqa",
        tasks: [{ name: "prosqa", options: { graphs: "coconut" } }],
        arms: PROSQA_ARMS.filter((a) => all.includes(a)),
        armConfig: Object.fromEntries(["pause-curriculum", "neuralese-curriculum"].map((a) => [a, { method: { options: { curriculum } } }])),
        seeds: [0, 1, 2],
        budgets: [{ id: `s${PROSQA_STEPS}`, label: `${PROSQA_STEPS} steps × 64 questions (${(PROSQA_STEPS * 64).toLocaleString("en-US")} examples)`, config: { budget: { maxSteps: PROSQA_STEPS } } }],
        base: {
          model: { dim: 64, layers: 2, heads: 4, latentSteps: 6 },
          batchSize: 64,
          optimizer: { schedule: "constant", warmupSteps: 30 },
          eval: evaluation(250, 200, 500),
          checkpointEvery: 250,
        },
        target: { accuracy: 0.9, split: "test" },
        monitor: { n: 200, split: "test" },
        evalData: [{ name: "coconut-valid", task: "prosqa", path: resolve(COCONUT_PROSQA_VALID) }],
      };
    }
  }
}
