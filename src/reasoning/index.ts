// Latent-chain unrolling for the recipes: pure functions over parameter trees, traced in one jit.
export {
  latentChainValueAndGrad,
  type LatentChainOptions,
  type Readout,
} from "./latent-chain.js";
export { thinkSteps, traceThoughts, type ThoughtTrace } from "./unroll.js";
export {
  recurrentNorm,
  unitNormPerExample,
  disposeState,
  refState,
  floatDtype,
  vectorOf,
} from "./chain-state.js";
export { FEEDBACKS, type FeedbackKind, type FeedbackMlp, type WithFeedback, applyFeedback, feedbackFlops, initFeedback, withFeedback } from "./feedback.js";
export { EXIT_RULES, type ExitRule, type ExitRuleName, exitSteps, klDivergence, relativeChange, selectByStep } from "./exit.js";
export {
  type Velocity,
  initVelocity,
  velocity,
  velocityFlops,
  clipNorm,
  flowStep,
  sequenceLogProb,
  ascentDirection,
  logProbGrad,
  rowCosine,
  stopGradientTree,
} from "./flow.js";
