// Learning-rate schedules: functions of the optimizer's int32 step count that run inside jit,
// each with a plain-number twin (`at`) for printing and for tests.
import { np, type Array } from "../engine/jax.js";

export interface Schedule {
  /** The value at `step` (an int32 scalar Array, consumed) as a float32 scalar Array. */
  (step: Array): Array;
  /** The same value computed in float64 JS, for logs and checks. */
  at(step: number): number;
}

function schedule(traced: (step: Array) => Array, at: (step: number) => number): Schedule {
  return Object.assign(traced, { at });
}

export function constant(value: number): Schedule {
  return schedule(
    (step) => {
      step.dispose();
      return np.array(value, { dtype: np.float32 });
    },
    () => value,
  );
}

export interface WarmupCosineOptions {
  /** Value reached at the end of the warm-up. */
  peak: number;
  /** Steps of linear growth from 0 to `peak` (0: start at `peak`). */
  warmupSteps: number;
  /** Step at which the cosine decay reaches `end`; held there afterwards. */
  totalSteps: number;
  end?: number;
}

/** 0 → peak linearly over `warmupSteps`, then half a cosine from peak to `end` at `totalSteps`. */
export function linearWarmupCosineDecay(opts: WarmupCosineOptions): Schedule {
  const { peak, warmupSteps, totalSteps, end = 0 } = opts;
  if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0 && Number.isInteger(totalSteps) && totalSteps > warmupSteps)) {
    throw new Error(
      `linearWarmupCosineDecay: need integers 0 <= warmupSteps < totalSteps, got ${warmupSteps}, ${totalSteps}`,
    );
  }
  const decaySteps = totalSteps - warmupSteps;
  const at = (step: number) => {
    if (step < warmupSteps) return (peak * step) / warmupSteps;
    const progress = Math.min(1, (step - warmupSteps) / decaySteps);
    return end + (peak - end) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
  const traced = (step: Array) => {
    const s = step.astype(np.float32);
    const progress = np.clip(s.ref.sub(warmupSteps).div(decaySteps), 0, 1);
    const cosine = np.cos(progress.mul(Math.PI)).add(1).mul(0.5 * (peak - end)).add(end);
    if (warmupSteps === 0) {
      s.dispose();
      return cosine;
    }
    const warm = s.ref.mul(peak / warmupSteps);
    return np.where(s.less(warmupSteps), warm, cosine);
  };
  return schedule(traced, at);
}
