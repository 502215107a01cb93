// Long short-term memory cell (torch.nn.LSTMCell's equations):
//   i = σ(x·Wii + h·Whi + bi),  f = σ(x·Wif + h·Whf + bf),
//   g = tanh(x·Wig + h·Whg + bg),  o = σ(x·Wio + h·Who + bo)
//   c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
// Gates fused into one input and one hidden matmul, columns in gate order i | f | g | o.
import { np, jnn, type Array } from "../engine/jax.js";
import { splitKey } from "../engine/rng.js";
import { uniformInit, type InitOpts } from "./init.js";

/**
 * wi: [dIn, 4H] = [Wii | Wif | Wig | Wio]; wh: [H, 4H] likewise; b: [4H] (one bias: torch's
 * bias_ih + bias_hh).
 */
export type Lstm = {
  wi: Array;
  wh: Array;
  b: Array;
};

/** h, c: [B, H]. */
export type LstmState = {
  h: Array;
  c: Array;
};

/**
 * Weights ~ U(−1/√H, 1/√H) (PyTorch); bias 0 except the forget gate's, 1, so that early in
 * training the cell keeps its memory (Jozefowicz et al. 2015). Consumes `key`.
 */
export function initLstm(key: Array, dIn: number, dHidden: number, opts: InitOpts = {}): Lstm {
  const [k1, k2] = splitKey(key);
  const bound = 1 / Math.sqrt(dHidden);
  const dtype = opts.dtype ?? np.float32;
  const H = dHidden;
  return {
    wi: uniformInit(k1, [dIn, 4 * H], bound, dtype),
    wh: uniformInit(k2, [H, 4 * H], bound, dtype),
    b: np.concatenate([np.zeros([H], { dtype }), np.ones([H], { dtype }), np.zeros([2 * H], { dtype })]),
  };
}

/** A zero state for `batch` sequences. */
export function initLstmState(batch: number, dHidden: number, opts: InitOpts = {}): LstmState {
  const dtype = opts.dtype ?? np.float32;
  return { h: np.zeros([batch, dHidden], { dtype }), c: np.zeros([batch, dHidden], { dtype }) };
}

/** state {h, c}: [B, H] each, x: [B, dIn] → new {h, c}. Borrows `p`, consumes `state` and `x`. */
export function lstmCell(p: Lstm, state: LstmState, x: Array): LstmState {
  const pre = np.matmul(x, p.wi.ref).add(np.matmul(state.h, p.wh.ref)).add(p.b.ref);
  const [i, f, g, o] = np.split(pre, 4, -1);
  const c = jnn.sigmoid(f).mul(state.c).add(jnn.sigmoid(i).mul(np.tanh(g)));
  const h = jnn.sigmoid(o).mul(np.tanh(c.ref));
  return { h, c };
}
