// Gated recurrent unit cell with PyTorch's equations (torch.nn.GRUCell):
//   r  = σ(x·Wir + bir + h·Whr + bhr)
//   z  = σ(x·Wiz + biz + h·Whz + bhz)
//   n  = tanh(x·Win + bin + r ⊙ (h·Whn + bhn))
//   h' = (1 − z) ⊙ n + z ⊙ h
// The three gates are fused into one input and one hidden matmul, columns in gate order r | z | n.
import { np, jnn, type Array } from "../engine/jax.js";
import { splitKey } from "../engine/rng.js";
import { uniformInit, type InitOpts } from "./init.js";

/**
 * wi: [dIn, 3H] = [Wir | Wiz | Win], bi: [3H]; wh: [H, 3H] = [Whr | Whz | Whn], bh: [3H].
 * (torch's weight_ih / weight_hh are these transposed; bias_ih / bias_hh are bi / bh.)
 */
export type Gru = {
  wi: Array;
  bi: Array;
  wh: Array;
  bh: Array;
};

/** Every weight and bias ~ U(−1/√H, 1/√H), as PyTorch. Consumes `key`. */
export function initGru(key: Array, dIn: number, dHidden: number, opts: InitOpts = {}): Gru {
  const [k1, k2, k3, k4] = splitKey(key, 4);
  const bound = 1 / Math.sqrt(dHidden);
  const u = (k: Array, shape: number[]) => uniformInit(k, shape, bound, opts.dtype);
  return {
    wi: u(k1, [dIn, 3 * dHidden]),
    bi: u(k2, [3 * dHidden]),
    wh: u(k3, [dHidden, 3 * dHidden]),
    bh: u(k4, [3 * dHidden]),
  };
}

/** h: [B, H], x: [B, dIn] → h': [B, H]. Borrows `p`, consumes `h` and `x`. */
export function gruCell(p: Gru, h: Array, x: Array): Array {
  const fromX = np.matmul(x, p.wi.ref).add(p.bi.ref);
  const fromH = np.matmul(h.ref, p.wh.ref).add(p.bh.ref);
  const [xr, xz, xn] = np.split(fromX, 3, -1);
  const [hr, hz, hn] = np.split(fromH, 3, -1);
  const r = jnn.sigmoid(xr.add(hr));
  const z = jnn.sigmoid(xz.add(hz));
  const n = np.tanh(xn.add(r.mul(hn)));
  // (1 − z) ⊙ n + z ⊙ h  =  n + z ⊙ (h − n)
  return n.ref.add(z.mul(h.sub(n)));
}
