// The optimizer a run config describes: clip by global norm, then AdamW on a warm-up schedule.
import { adamw, chain, clipByGlobalNorm, decayMatricesOnly, linearWarmupCosineDecay, type GradientTransformation, type Schedule } from "../optim/index.js";
import type { RunConfig } from "./config-schema.js";

/** The learning rate as a function of the optimizer's step count. */
export function learningRateSchedule(o: RunConfig["optimizer"]): Schedule {
  if (o.schedule === "constant" || o.decaySteps === null) {
    // warm-up then flat: a cosine whose end equals its peak, ending right after the warm-up
    return linearWarmupCosineDecay({ peak: o.lr, warmupSteps: o.warmupSteps, totalSteps: o.warmupSteps + 1, end: o.lr });
  }
  return linearWarmupCosineDecay({ peak: o.lr, warmupSteps: o.warmupSteps, totalSteps: o.decaySteps, end: o.lr * o.endLrFraction });
}

/**
 * The state is a list of the parts' states: [clip state, AdamW state] (or [AdamW state] when
 * clipping is off), a tree that checkpoints save and restore as it is.
 */
export function optimizerFromConfig(o: RunConfig["optimizer"]): GradientTransformation<any> {
  const opt = adamw({
    lr: learningRateSchedule(o),
    b1: o.b1,
    b2: o.b2,
    eps: o.eps,
    weightDecay: o.weightDecay,
    decay: decayMatricesOnly,
  });
  return o.clipNorm === null ? chain(opt) : chain(clipByGlobalNorm(o.clipNorm), opt);
}
