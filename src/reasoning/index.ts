// Latent-chain unrolling for the recipes: pure functions over parameter trees, traced in one jit.
export {
  latentChainValueAndGrad,
  type LatentChainOptions,
  type LatentChainResult,
  type Readout,
} from "./latent-chain.js";
export { thinkSteps, traceThoughts, type ThoughtTrace } from "./unroll.js";
export {
  type ChainState,
  UNIT_NORM_EPS,
  perExampleNorm,
  recurrentNorm,
  unitNormPerExample,
  stopGradientState,
} from "./chain-state.js";
