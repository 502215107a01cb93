// Optimizers as optax-style pure transforms over parameter trees.
export { applyUpdates, type GradientTransformation, type LearningRate } from "./transform.js";
export { sgd, type SgdOptions, type SgdState } from "./sgd.js";
export { adamw, decayMatricesOnly, type AdamWOptions, type AdamWState, type DecayMask } from "./adamw.js";
export { clipByGlobalNorm, type ClipState } from "./clip.js";
export { chain } from "./chain.js";
export { makeGuardedTrainStep, makeTrainStep, makeTrainStepFromGradients, type StepHealth } from "./train-step.js";
export { constant, linearWarmupCosineDecay, type Schedule, type WarmupCosineOptions } from "./schedule.js";
