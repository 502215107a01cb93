// The GRU reasoner: recurrent.ts with torch.nn.GRUCell cells (nn/gru.ts). The state is each
// layer's h; the latent is the top layer's h, the carry the lower layers' h.
import { np, type Array } from "../engine/jax.js";
import { gruCell, initGru, type Gru } from "../nn/index.js";
import type { Reasoner, ReasonerConfig } from "./reasoner.js";
import { recurrentReasoner, type RecurrentCell, type RecurrentParams } from "./recurrent.js";

export type GruParams = RecurrentParams<Gru>;

/** Lower layers' h, bottom first (empty for one layer). */
export type GruCarry = { h: Array[] };

const gru: RecurrentCell<Gru, Array> = {
  init: initGru,
  zero: (batch, dim, opts) => np.zeros([batch, dim], { dtype: opts.dtype ?? np.float32 }),
  step: gruCell,
  hidden: (h) => h,
  pack: (states) => ({ latent: states[states.length - 1], carry: { h: states.slice(0, -1) } satisfies GruCarry }),
  unpack: (latent, carry) => [...(carry as GruCarry).h, latent],
  // x·wi [dim, 3dim] and h·wh [dim, 3dim]
  stepFlops: (dim) => 2 * (2 * dim * 3 * dim),
};

export function gruReasoner(config: ReasonerConfig): Reasoner<GruParams> {
  return recurrentReasoner(config, gru);
}
