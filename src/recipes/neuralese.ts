// neuralese: the essay's recipe. K continuous thoughts (the last hidden state fed back as the next
// input), cross-entropy on the answer only, the gradient through the whole latent chain.
//   read <bos> q <bot>  →  think ×K  →  read <eot>  →  decode <ans> a₁…a_n
// Options: `truncate` (BPTT through the last k thoughts only), `gradNorm` (each example's
// state cotangent rescaled to unit norm between thoughts on the backward pass); see src/reasoning.
// `curriculum` (Coconut's, src/recipes/curriculum.ts): stage k thinks k·c thoughts in place of the
// first k gold steps and is scored on the steps kept and the answer; null: the final stage only.
// `feedback` (src/reasoning/feedback.ts): what a thought feeds back, identity (Coconut), mlp
// (CODI-style projection, parameters under `feedback`) or soft-token (Soft Thinking).
import { np, type Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";
import { splitKey } from "../engine/rng.js";
import { ref as refTree } from "../engine/tree.js";
import {
  exitSteps,
  initFeedback,
  klDivergence,
  latentChainValueAndGrad,
  relativeChange,
  selectByStep,
  thinkSteps,
  traceThoughts,
  withFeedback,
  type ExitRule,
  type FeedbackKind,
} from "../reasoning/index.js";
import { SPECIAL, type Limits } from "../tasks/index.js";
import { answerLoss } from "./answer-loss.js";
import { allStages, restWidth, stageFrame, stageLayout, type Curriculum, type StageLayout } from "./curriculum.js";
import { answerFromDecoded, answerWidth, promptWidth } from "./framing.js";
import { disposeState } from "./greedy.js";
import type { Batch, StepOutput, SupervisedRecipe } from "./recipe.js";
import { answerAfter, greedyAnswer, promptAnswerBatch, tokenRows } from "./supervised-parts.js";

export interface NeuraleseOptions {
  latentSteps: number;
  /** Backpropagate through the last `truncate` thoughts only; null: all of them. */
  truncate: number | null;
  gradNorm: boolean;
  /** Coconut's curriculum; null or absent: none. */
  curriculum?: Curriculum | null;
  /** The latent feedback operator; absent: identity. */
  feedback?: FeedbackKind;
  /** How many of the K thoughts each example uses at inference; absent: all K (fixed). */
  exit?: ExitRule;
}

/** `<bos> q <bot>`: the prompt the chain starts from. */
const withBot = (prompt: Array) => np.concatenate([prompt, tokenRows(prompt.shape[0], [SPECIAL.beginThought])], 1);

export function neuralese(opts: NeuraleseOptions): SupervisedRecipe {
  const { latentSteps } = opts;
  const feedback = opts.feedback ?? "identity";
  // the reasoner as the chain sees it: its thoughts pass through the feedback operator
  const fed = <P extends Tree>(reasoner: Reasoner<P>) => withFeedback(reasoner, feedback) as unknown as Reasoner<P>;
  const plainLength = (l: Limits) => promptWidth(l) + 1 + latentSteps + 1 + answerWidth(l);
  const curriculum = opts.curriculum ?? null;
  const chain = (latent: number) => ({ latentSteps: latent, truncate: opts.truncate ?? undefined, gradNorm: opts.gradNorm });
  const chainOutput = (r: ReturnType<typeof latentChainValueAndGrad>): StepOutput => ({
    loss: r.loss,
    correct: r.aux as Array,
    grads: r.grads,
    diagnostics: { stepGradNorms: r.stepGradNorms, latentNorms: r.latentNorms },
  });
  const recipe: SupervisedRecipe = {
    name: "neuralese",
    sequenceLength: curriculum ? (l) => Math.max(plainLength(l), ...allStages(curriculum, latentSteps).map((s) => stageLength(l, s))) : plainLength,
    frame: promptAnswerBatch,
    lossAndGrad<P extends Tree>(base: Reasoner<P>, params: P, batch: Batch) {
      const reasoner = fed(base);
      const B = batch.prompt.shape[0];
      const readout = (p: P, state: ReasonerState): [Array, Tree] => {
        const { loss, correct } = answerAfter(reasoner, p, reasoner.read(p, state, tokenRows(B, [SPECIAL.endThought])), batch);
        return [loss, correct];
      };
      return chainOutput(latentChainValueAndGrad(reasoner, params, withBot(batch.prompt), readout, chain(latentSteps)));
    },
    loss<P extends Tree>(base: Reasoner<P>, p: P, batch: Batch) {
      // the chain's forward pass alone: the same positions latentChainValueAndGrad runs
      const reasoner = fed(base);
      const B = batch.prompt.shape[0];
      const thought = thinkSteps(reasoner, p, reasoner.read(p, reasoner.start(B), withBot(batch.prompt)), latentSteps);
      return answerAfter(reasoner, p, reasoner.read(p, thought, tokenRows(B, [SPECIAL.endThought])), batch);
    },
    predict<P extends Tree>(base: Reasoner<P>, p: P, prompt: Array, limits: Limits) {
      const reasoner = fed(base);
      const B = prompt.shape[0];
      const thought = thinkSteps(reasoner, p, reasoner.read(p, reasoner.start(B), withBot(prompt)), latentSteps);
      return greedyAnswer(reasoner, p, reasoner.read(p, thought, tokenRows(B, [SPECIAL.endThought])), limits);
    },
    trace<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array) {
      const B = prompt.shape[0];
      const [trace, end] = traceThoughts(reasoner, p, reasoner.read(p, reasoner.start(B), withBot(prompt)), latentSteps);
      disposeState(end);
      return trace;
    },
    answerOf: answerFromDecoded,
    positions: (l: Limits) => ({ read: promptWidth(l) + 2, think: latentSteps, decode: answerWidth(l) }),
  };
  const exit = opts.exit ?? { rule: "fixed", threshold: 0 };
  if (exit.rule !== "fixed") {
    // every example thinks K times; the answer after each thought is decoded and the rule picks
    // one per example. The decoded row ends with the steps used (stepsOf).
    recipe.predict = <P extends Tree>(base: Reasoner<P>, p: P, prompt: Array, limits: Limits) => {
      const reasoner = fed(base);
      const B = prompt.shape[0];
      const copy = (s: ReasonerState): ReasonerState => ({ latent: s.latent.ref, carry: refTree(s.carry), position: s.position });
      const afterEot = (s: ReasonerState) => reasoner.read(p, copy(s), tokenRows(B, [SPECIAL.endThought]));
      /** Logits [B, V] of the first answer token after `s`'s thoughts. */
      const answerLogits = (s: ReasonerState) => {
        const [logits, end] = reasoner.decode(p, afterEot(s), tokenRows(B, [SPECIAL.answer]));
        disposeState(end);
        return logits.reshape([B, reasoner.config.vocab]);
      };
      let state = reasoner.read(p, reasoner.start(B), withBot(prompt));
      let previous = exit.rule === "latent-change" ? state.latent.ref : answerLogits(state);
      const answers: Array[] = [];
      const changes: Array[] = [];
      for (let k = 1; k <= latentSteps; k++) {
        state = reasoner.think(p, state);
        const now = exit.rule === "latent-change" ? state.latent.ref : answerLogits(state);
        changes.push(exit.rule === "latent-change" ? relativeChange(previous, now.ref) : klDivergence(now.ref, previous));
        previous = now;
        answers.push(greedyAnswer(reasoner, p, afterEot(state), limits));
      }
      previous.dispose();
      disposeState(state);
      const steps = exitSteps(np.stack(changes, 1), exit.threshold);
      return np.concatenate([selectByStep(answers, steps.ref), steps.reshape([B, 1])], 1);
    };
    recipe.answerOf = (row) => answerFromDecoded(globalThis.Array.from(row).slice(0, -1));
    recipe.stepsOf = (row) => row[row.length - 1];
  }
  if (feedback !== "identity") recipe.thinkFlops = (reasoner) => withFeedback(reasoner, feedback).positionFlops.think;
  if (feedback === "mlp") {
    recipe.init = (reasoner, key) => {
      const [kModel, kFeedback] = splitKey(key);
      return { ...(reasoner.init(kModel) as object), feedback: initFeedback("mlp", kFeedback, reasoner.config.dim) } as Tree;
    };
  }
  if (!curriculum) return recipe;

  /** Stage k: k·c thoughts, then the kept steps and the answer teacher-forced after `<eot>`. */
  const stage = (layout: StageLayout): SupervisedRecipe => ({
    ...recipe,
    name: `neuralese (curriculum stage ${layout.stage})`,
    sequenceLength: (l) => stageLength(l, layout),
    frame: (examples, l) => stageFrame(examples, l, layout),
    lossAndGrad<P extends Tree>(base: Reasoner<P>, params: P, batch: Batch) {
      const reasoner = fed(base);
      const readout = (p: P, state: ReasonerState): [Array, Tree] => {
        const [logits, end] = reasoner.decode(p, state, batch.restIn);
        disposeState(end);
        const { loss, correct } = answerLoss(logits, batch.restTarget, batch.restMask);
        return [loss, correct];
      };
      return chainOutput(latentChainValueAndGrad(reasoner, params, withBot(batch.prompt), readout, chain(layout.latent)));
    },
    positions: (l: Limits) => ({ read: promptWidth(l) + 1, think: layout.latent, decode: restWidth(l, layout.removed) }),
    curriculum: undefined,
  });
  return { ...recipe, curriculum: { schedule: curriculum, stage: (k) => stage(stageLayout(curriculum, latentSteps, k)) } };
}

/** Positions of a curriculum stage's sequence: `<bos> q <bot>`, its thoughts, the rest. */
export const stageLength = (l: Limits, s: StageLayout) => promptWidth(l) + 1 + s.latent + restWidth(l, s.removed);
