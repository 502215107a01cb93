// Composition (optax.chain): each transform's updates are the next one's gradients; the state is
// the list of the sub-states, in order.
import type { Tree } from "../engine/tree.js";
import type { GradientTransformation } from "./transform.js";

export function chain(...transforms: GradientTransformation<any>[]): GradientTransformation<Tree[]> {
  return {
    init: (params) => transforms.map((t) => t.init(params)),
    update(grads, state, params) {
      if (state.length !== transforms.length) {
        throw new Error(`chain: state has ${state.length} parts but there are ${transforms.length} transforms`);
      }
      let updates = grads;
      const next: Tree[] = [];
      transforms.forEach((t, i) => {
        const [u, s] = t.update(updates, state[i], params);
        updates = u;
        next.push(s);
      });
      return [updates, next];
    },
  };
}
