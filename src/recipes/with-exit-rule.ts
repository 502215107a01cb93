// An exit rule at inference (src/reasoning/exit.ts) wrapped around a recipe that thinks in latent
// steps: every example thinks all K steps, the answer after each step is decoded, and the rule
// picks one per example (the first step whose latent's relative change, or the answer's KL, falls
// below the threshold). The decoded row ends with the steps used (`stepsOf`).
import { np, type Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";
import { disposeState, exitSteps, klDivergence, refState, relativeChange, selectByStep, type ExitRule } from "../reasoning/index.js";
import { SPECIAL, type Limits } from "../tasks/index.js";
import { answerFromDecoded } from "./framing.js";
import type { SupervisedRecipe } from "./recipe.js";
import { greedyAnswer, readEot, tokenRows } from "./supervised-parts.js";

/** How a recipe's latent chain runs at inference. */
export interface LatentChain {
  latentSteps: number;
  /** The reasoner the chain thinks with (e.g. through a feedback operator). */
  reasoner<P extends Tree>(base: Reasoner<P>): Reasoner<P>;
  /** The state the prompt [B, P] opens the chain at (consumes prompt). */
  open<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array): ReasonerState;
}

/** `recipe` answering after the steps `exit` picks per example (absent or fixed: `recipe` unchanged). */
export function withExitRule(recipe: SupervisedRecipe, exit: ExitRule | undefined, chain: LatentChain): SupervisedRecipe {
  if (!exit || exit.rule === "fixed") return recipe;
  return {
    ...recipe,
    predict<P extends Tree>(base: Reasoner<P>, p: P, prompt: Array, limits: Limits) {
      const reasoner = chain.reasoner(base);
      const B = prompt.shape[0];
      const afterEot = (s: ReasonerState) => readEot(reasoner, p, refState(s));
      /** Logits [B, V] of the first answer token after `s`'s thoughts. */
      const answerLogits = (s: ReasonerState) => {
        const [logits, end] = reasoner.decode(p, afterEot(s), tokenRows(B, [SPECIAL.answer]));
        disposeState(end);
        return logits.reshape([B, reasoner.config.vocab]);
      };
      let state = chain.open(reasoner, p, prompt);
      let previous = exit.rule === "latent-change" ? state.latent.ref : answerLogits(state);
      const answers: Array[] = [];
      const changes: Array[] = [];
      for (let k = 1; k <= chain.latentSteps; k++) {
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
    },
    answerOf: (row) => answerFromDecoded(globalThis.Array.from(row).slice(0, -1)),
    stepsOf: (row) => row[row.length - 1],
  };
}
