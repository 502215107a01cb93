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
import { initFeedback, latentChainValueAndGrad, thinkSteps, traceThoughts, withFeedback, type ExitRule, type FeedbackKind } from "../reasoning/index.js";
import { SPECIAL, type Limits } from "../tasks/index.js";
import { answerLoss } from "./answer-loss.js";
import { restWidth, type Curriculum, type StageLayout } from "./curriculum.js";
import { answerFromDecoded, answerWidth, promptWidth } from "./framing.js";
import { disposeState } from "./greedy.js";
import type { Batch, StepOutput, SupervisedRecipe } from "./recipe.js";
import { answerAfter, greedyAnswer, promptAnswerBatch, tokenRows } from "./supervised-parts.js";
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

/** `<bos> q <bot>`: the prompt the chain starts from. */
const withBot = (prompt: Array) => np.concatenate([prompt, tokenRows(prompt.shape[0], [SPECIAL.beginThought])], 1);

export function neuralese(opts: NeuraleseOptions): SupervisedRecipe {
  const { latentSteps } = opts;
  const feedback = opts.feedback ?? "identity";
  // the reasoner as the chain sees it: its thoughts pass through the feedback operator
  const fed = <P extends Tree>(reasoner: Reasoner<P>) => withFeedback(reasoner, feedback) as unknown as Reasoner<P>;
  const open = <P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array) => reasoner.read(p, reasoner.start(prompt.shape[0]), withBot(prompt));
  const chain = (latent: number) => ({ latentSteps: latent, truncate: opts.truncate ?? undefined, gradNorm: opts.gradNorm });
  const chainOutput = (r: ReturnType<typeof latentChainValueAndGrad>): StepOutput => ({
    loss: r.loss,
    correct: r.aux as Array,
    grads: r.grads,
    diagnostics: { stepGradNorms: r.stepGradNorms, latentNorms: r.latentNorms },
  });
  const recipe: SupervisedRecipe = {
    name: "neuralese",
    sequenceLength: (l) => promptWidth(l) + 1 + latentSteps + 1 + answerWidth(l),
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
      const thought = thinkSteps(reasoner, p, open(reasoner, p, batch.prompt), latentSteps);
      return answerAfter(reasoner, p, reasoner.read(p, thought, tokenRows(B, [SPECIAL.endThought])), batch);
    },
    predict<P extends Tree>(base: Reasoner<P>, p: P, prompt: Array, limits: Limits) {
      const reasoner = fed(base);
      const B = prompt.shape[0];
      const thought = thinkSteps(reasoner, p, open(reasoner, p, prompt), latentSteps);
      return greedyAnswer(reasoner, p, reasoner.read(p, thought, tokenRows(B, [SPECIAL.endThought])), limits);
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
  });
  return withCurriculum(withExitRule(recipe, opts.exit, { latentSteps, reasoner: fed, open }), opts.curriculum ?? null, latentSteps, stage);
}
