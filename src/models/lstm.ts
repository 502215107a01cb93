// The LSTM reasoner: recurrent.ts with torch.nn.LSTMCell cells (nn/lstm.ts). A layer's state is
// {h, c}; the latent is the top layer's h, the carry every layer's c and the lower layers' h.
import type { Array } from "../engine/jax.js";
import { initLstm, initLstmState, lstmCell, type Lstm, type LstmState } from "../nn/index.js";
import type { Reasoner, ReasonerConfig } from "./reasoner.js";
import { recurrentReasoner, type RecurrentCell, type RecurrentParams } from "./recurrent.js";

export type LstmParams = RecurrentParams<Lstm>;

/** h: the lower layers' h, bottom first (empty for one layer); c: every layer's c, bottom first. */
export type LstmCarry = { h: Array[]; c: Array[] };

const lstm: RecurrentCell<Lstm, LstmState> = {
  init: initLstm,
  zero: initLstmState,
  step: lstmCell,
  hidden: (state) => state.h,
  pack(states) {
    const carry: LstmCarry = { h: states.slice(0, -1).map((s) => s.h), c: states.map((s) => s.c) };
    return { latent: states[states.length - 1].h, carry };
  },
  unpack(latent, carry) {
    const { h, c } = carry as LstmCarry;
    return c.map((cl, l) => ({ h: l < h.length ? h[l] : latent, c: cl }));
  },
  // x·wi [dim, 4dim] and h·wh [dim, 4dim]
  stepFlops: (dim) => 2 * (2 * dim * 4 * dim),
};

export function lstmReasoner(config: ReasonerConfig): Reasoner<LstmParams> {
  return recurrentReasoner(config, lstm);
}
