// neuralese: the essay's recipe. K continuous thoughts (the last hidden state fed back as the next
// input), cross-entropy on the answer only, the gradient through the whole latent chain.
//   read <bos> q <bot>  →  think ×K  →  read <eot>  →  decode <ans> a₁…a_n
// Options: `truncate` (BPTT through the last k thoughts only), `gradNorm` (each example's
// state cotangent rescaled to unit norm between thoughts on the backward pass); see src/reasoning.
// `curriculum` (Coconut's, src/recipes/curriculum.ts): stage k thinks k·c thoughts in place of the
// first k gold steps and is scored on the steps kept and the answer; null: the final stage only.
// `feedback` (src/reasoning/feedback.ts): what a thought feeds back, identity (Coconut), mlp
// (CODI-style projection, parameters under `feedback`) or soft-token (Soft Thinking).
import type { Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";
import { splitKey } from "../engine/rng.js";
import { initFeedback, latentChainValueAndGrad, thinkSteps, traceThoughts, withFeedback, disposeState, type ExitRule, type FeedbackKind } from "../reasoning/index.js";
import type { Limits } from "../tasks/index.js";
import { restWidth, type Curriculum, type StageLayout } from "./curriculum.js";
import { answerFromDecoded, answerWidth, promptWidth } from "./framing.js";
import type { Batch, StepOutput, SupervisedRecipe } from "./recipe.js";
import { forcedLoss, greedyAnswer, promptAnswerBatch, readEot, readPrompt, withBot, type ForcedPart } from "./supervised-parts.js";
import { withCurriculum, type StageParts } from "./with-curriculum.js";
import { withExitRule } from "./with-exit-rule.js";

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

export function neuralese(opts: NeuraleseOptions): SupervisedRecipe {
  const { latentSteps } = opts;
  const feedback = opts.feedback ?? "identity";
  // the reasoner as the chain sees it: its thoughts pass through the feedback operator
  const fed = <P extends Tree>(reasoner: Reasoner<P>) => withFeedback(reasoner, feedback) as unknown as Reasoner<P>;
  const open = <P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array) => readPrompt(reasoner, p, withBot(prompt));
  /** K thoughts after the prompt, then `<eot>`: the state the answer is decoded from. */
  const thought = <P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array) => readEot(reasoner, p, thinkSteps(reasoner, p, open(reasoner, p, prompt), latentSteps));
  /** The loss and gradient of `latent` thoughts, then `part` teacher-forced (after `<eot>` when it is the answer). */
  const chainStep = <P extends Tree>(base: Reasoner<P>, params: P, batch: Batch, latent: number, part: ForcedPart): StepOutput => {
    const reasoner = fed(base);
    const readout = (p: P, state: ReasonerState): [Array, Tree] => {
      const { loss, correct } = forcedLoss(reasoner, p, part === "answer" ? readEot(reasoner, p, state) : state, batch, part);
      return [loss, correct];
    };
    const r = latentChainValueAndGrad(reasoner, params, withBot(batch.prompt), readout, { latentSteps: latent, truncate: opts.truncate ?? undefined, gradNorm: opts.gradNorm });
    return { loss: r.loss, correct: r.aux as Array, grads: r.grads, diagnostics: { stepGradNorms: r.stepGradNorms, latentNorms: r.latentNorms } };
  };
  const recipe: SupervisedRecipe = {
    name: "neuralese",
    sequenceLength: (l) => promptWidth(l) + 1 + latentSteps + 1 + answerWidth(l),
    frame: promptAnswerBatch,
    lossAndGrad<P extends Tree>(base: Reasoner<P>, params: P, batch: Batch) {
      return chainStep(base, params, batch, latentSteps, "answer");
    },
    loss<P extends Tree>(base: Reasoner<P>, p: P, batch: Batch) {
      // the chain's forward pass alone: the same positions latentChainValueAndGrad runs
      const reasoner = fed(base);
      return forcedLoss(reasoner, p, thought(reasoner, p, batch.prompt), batch);
    },
    predict<P extends Tree>(base: Reasoner<P>, p: P, prompt: Array, limits: Limits) {
      const reasoner = fed(base);
      return greedyAnswer(reasoner, p, thought(reasoner, p, prompt), limits);
    },
    trace<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array) {
      const [trace, end] = traceThoughts(reasoner, p, open(reasoner, p, prompt), latentSteps);
      disposeState(end);
      return trace;
    },
    answerOf: answerFromDecoded,
    positions: (l: Limits) => ({ read: promptWidth(l) + 2, think: latentSteps, decode: answerWidth(l) }),
    // a feedback operator adds FLOPs per thought (and, mlp, parameters of its own)
    ...(feedback !== "identity" && { thinkFlops: (reasoner: Reasoner<Tree>) => withFeedback(reasoner, feedback).positionFlops.think }),
    ...(feedback === "mlp" && {
      init(reasoner: Reasoner<Tree>, key: Array) {
        const [kModel, kFeedback] = splitKey(key);
        return { ...(reasoner.init(kModel) as object), feedback: initFeedback("mlp", kFeedback, reasoner.config.dim) } as Tree;
      },
    }),
  };
  /** Stage k: k·c thoughts, then the kept steps and the answer teacher-forced after `<eot>`. */
  const stage = (layout: StageLayout): StageParts => ({
    lossAndGrad<P extends Tree>(base: Reasoner<P>, params: P, batch: Batch) {
      return chainStep(base, params, batch, layout.latent, "rest");
    },
    positions: (l: Limits) => ({ read: promptWidth(l) + 1, think: layout.latent, decode: restWidth(l, layout.removed) }),
  });
  return withCurriculum(withExitRule(recipe, opts.exit, { latentSteps, reasoner: fed, open }), opts.curriculum ?? null, latentSteps, stage);
}
