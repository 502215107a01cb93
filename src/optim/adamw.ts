// AdamW (Loshchilov & Hutter), as optax.adamw and torch.optim.AdamW:
//   mu = b1·mu + (1-b1)·g;  nu = b2·nu + (1-b2)·g²;  t = count + 1
//   update = -lr(count) · ( (mu/(1-b1^t)) / (sqrt(nu/(1-b2^t)) + eps) + weightDecay·param )
// Weight decay is decoupled (not added to g) and applies only where `decay(path, shape)` holds.
import { np, type Array } from "../engine/jax.js";
import { flatten, leafPaths, zerosLike, type Tree } from "../engine/tree.js";
import {
  initCount,
  leavesMatching,
  negativeLearningRate,
  releaseFactor,
  scaleBy,
  type GradientTransformation,
  type LearningRate,
} from "./transform.js";

/** Which leaves get weight decay, by dotted path ("blocks.0.attn.q.w") and shape. */
export type DecayMask = (path: string, shape: number[]) => boolean;

/** nanoGPT's rule: decay matrices (weights, embeddings), not vectors (biases, norm gains). */
export const decayMatricesOnly: DecayMask = (_path, shape) => shape.length >= 2;

export interface AdamWOptions {
  lr: LearningRate;
  b1?: number;
  b2?: number;
  eps?: number;
  weightDecay?: number;
  /** Default: every leaf is decayed (as optax.adamw). */
  decay?: DecayMask;
}

export interface AdamWState {
  [key: string]: Tree;
  count: Array;
  mu: Tree;
  nu: Tree;
}

export function adamw(opts: AdamWOptions): GradientTransformation<AdamWState> {
  const { lr, b1 = 0.9, b2 = 0.999, eps = 1e-8, weightDecay = 0.01, decay = () => true } = opts;
  for (const [name, b] of [["b1", b1], ["b2", b2]] as const) {
    if (!(b >= 0 && b < 1)) throw new Error(`adamw: ${name} must be in [0, 1), got ${b}`);
  }
  if (!(eps >= 0 && weightDecay >= 0)) throw new Error("adamw: eps and weightDecay must be >= 0");
  return {
    init: (params) => ({ count: initCount(), mu: zerosLike(params), nu: zerosLike(params) }),
    update(grads, state, params) {
      const minusLr = negativeLearningRate(lr, state.count.ref);
      const count = state.count.add(1);
      // 1 - b^t as -expm1(t·ln b): no cancellation when b^t is near 1 (early steps, b2 = 0.999).
      const t = count.ref.astype(np.float32);
      const correction1 = np.expm1(t.ref.mul(Math.log(b1))).mul(-1);
      const correction2 = np.expm1(t.mul(Math.log(b2))).mul(-1);

      const [gs, rebuild] = flatten(grads);
      const mus = leavesMatching(state.mu, grads, "adamw mu");
      const nus = leavesMatching(state.nu, grads, "adamw nu");
      const paths = leafPaths(grads);
      const ps = weightDecay > 0 ? decayedParams(params, grads) : [];

      const newMu = gs.map((g, i) => mus[i].mul(b1).add(g.ref.mul(1 - b1)));
      const newNu = gs.map((g, i) => nus[i].mul(b2).add(np.square(g).mul(1 - b2)));
      const updates = gs.map((_, i) => {
        const mHat = newMu[i].ref.div(correction1.ref);
        const vHat = newNu[i].ref.div(correction2.ref);
        let direction = mHat.div(np.sqrt(vHat).add(eps));
        const p = ps[i];
        if (p && decay(paths[i], p.shape)) direction = direction.add(p.ref.mul(weightDecay));
        return scaleBy(direction, minusLr);
      });
      correction1.dispose();
      correction2.dispose();
      releaseFactor(minusLr);
      return [rebuild(updates), { count, mu: rebuild(newMu), nu: rebuild(newNu) }];
    },
  };
}

function decayedParams(params: Tree | undefined, grads: Tree): Array[] {
  if (params === undefined) throw new Error("adamw: weightDecay > 0 needs `params` in update(grads, state, params)");
  return leavesMatching(params, grads, "adamw params");
}

