// Stochastic gradient descent with optional (Nesterov) momentum, as optax.sgd / torch.optim.SGD
// (dampening 0): trace = g + momentum·trace; update = -lr·(nesterov ? g + momentum·trace : trace).
import type { Array } from "../engine/jax.js";
import { flatten, zerosLike, type Tree } from "../engine/tree.js";
import {
  initCount,
  leavesMatching,
  negativeLearningRate,
  releaseFactor,
  scaleBy,
  type GradientTransformation,
  type LearningRate,
} from "./transform.js";

export interface SgdOptions {
  lr: LearningRate;
  momentum?: number;
  nesterov?: boolean;
}

export interface SgdState {
  [key: string]: Tree;
  count: Array;
  /** Momentum buffer shaped like the parameters; `{}` when momentum is 0. */
  trace: Tree;
}

export function sgd(opts: SgdOptions): GradientTransformation<SgdState> {
  const { lr, momentum = 0, nesterov = false } = opts;
  if (!(momentum >= 0 && momentum < 1)) throw new Error(`sgd: momentum must be in [0, 1), got ${momentum}`);
  if (nesterov && momentum === 0) throw new Error("sgd: nesterov needs momentum > 0");
  return {
    init: (params) => ({ count: initCount(), trace: momentum > 0 ? zerosLike(params) : {} }),
    update(grads, state) {
      const minusLr = negativeLearningRate(lr, state.count.ref);
      const count = state.count.add(1);
      const [gs, rebuild] = flatten(grads);
      if (momentum === 0) {
        const updates = rebuild(gs.map((g) => scaleBy(g, minusLr)));
        releaseFactor(minusLr);
        return [updates, { count, trace: {} }];
      }
      const old = leavesMatching(state.trace, grads, "sgd trace");
      const trace = gs.map((g, i) => g.ref.add(old[i].mul(momentum)));
      const updates = gs.map((g, i) =>
        scaleBy(nesterov ? g.add(trace[i].ref.mul(momentum)) : (g.dispose(), trace[i].ref), minusLr),
      );
      releaseFactor(minusLr);
      return [rebuild(updates), { count, trace: rebuild(trace) }];
    },
  };
}
