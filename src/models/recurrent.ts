// Recurrent reasoners, shared by gru.ts and lstm.ts: a token embedding (dim = hidden), `layers`
// stacked cells (layer 0 reads the input, layer l reads layer l−1's h), and an output head on the
// top layer's h.
//   - read: the cells step over the tokens; at a `<pad>` token every layer keeps its state
//     (state = where(pad, previous, new)), so left padding leaves the state untouched.
//   - think: one step whose input is the top layer's own h (the latent), no token.
//   - decode: read, and the head on the top h after each token.
// Each step embeds that step's token ids (an integer slice): slicing a differentiable [B, T, H]
// activation per step makes jax-js's backward several times slower (measured on the GRU bench).
import { np, type Array } from "../engine/jax.js";
import { splitKey } from "../engine/rng.js";
import { leaves, ref, zip, type Tree } from "../engine/tree.js";
import { embed, initEmbedding, initLinear, linear, type Embedding, type InitOpts, type Linear } from "../nn/index.js";
import { SPECIAL } from "../tasks/vocab.js";
import type { Reasoner, ReasonerConfig, ReasonerState } from "./reasoner.js";

/** embed.table: [vocab, dim]; cells: one per layer; head: Linear dim→vocab. */
export type RecurrentParams<C extends Tree> = { embed: Embedding; cells: C[]; head: Linear };

/** What a recurrent reasoner needs of its cell; S is one layer's state (a tree of [B, dim] Arrays). */
export interface RecurrentCell<C extends Tree, S extends Tree> {
  init(key: Array, dIn: number, dHidden: number, opts: InitOpts): C;
  zero(batch: number, dim: number, opts: InitOpts): S;
  /** Borrows `p`; consumes `state` and `x`. */
  step(p: C, state: S, x: Array): S;
  /** A layer's output h (borrowed: the state still owns it). */
  hidden(state: S): Array;
  /** Layer states → (latent = top layer's h, carry = the rest), and back. Consume their input. */
  pack(states: S[]): { latent: Array; carry: Tree };
  unpack(latent: Array, carry: Tree): S[];
  /** Forward FLOPs of one step of one layer (dim → dim) for one sequence. */
  stepFlops(dim: number): number;
}

/** Embedding rows ~ N(0, 1), PyTorch's nn.Embedding default: unit-scale inputs for the cells. */
const EMBED_STD = 1;

export function recurrentReasoner<C extends Tree, S extends Tree>(
  config: ReasonerConfig,
  cell: RecurrentCell<C, S>,
): Reasoner<RecurrentParams<C>> {
  const { vocab, dim, layers } = config;
  if (!(Number.isInteger(layers) && layers >= 1)) throw new Error(`${config.model}: layers must be >= 1, got ${layers}`);
  const think = layers * cell.stepFlops(dim);
  const read = think + 2 * vocab * dim;
  const positionFlops = { read, think, decode: read + 2 * dim * vocab };

  /** Step every layer on input x (consumed); returns the new layer states. */
  function stepLayers(p: RecurrentParams<C>, states: S[], x: Array, pad: Array | null): S[] {
    let input = x;
    const next = states.map((s, l) => {
      const fresh = cell.step(p.cells[l], pad ? ref(s) : s, input);
      const kept = pad ? zip((prev, now) => np.where(pad.ref, prev, now), s, fresh) : fresh;
      input = cell.hidden(kept).ref;
      return kept;
    });
    input.dispose();
    pad?.dispose();
    return next;
  }

  /** Read tokens [B, L]; returns the top h after each token (when `collect`) and the next state. */
  function readTokens(p: RecurrentParams<C>, state: ReasonerState, tokens: Array, collect: boolean): [Array[], ReasonerState] {
    const [B, L] = tokens.shape;
    const columns = tokens.transpose([1, 0]); // [L, B]: a step's ids are one integer slice
    let states = cell.unpack(state.latent, state.carry);
    const tops: Array[] = [];
    for (let t = 0; t < L; t++) {
      const ids = columns.ref.slice(t);
      const pad = np.equal(ids.ref, SPECIAL.pad).reshape([B, 1]);
      states = stepLayers(p, states, embed(p.embed, ids), pad);
      if (collect) tops.push(cell.hidden(states[layers - 1]).ref);
    }
    columns.dispose();
    const { latent, carry } = cell.pack(states);
    return [tops, { latent, carry, position: state.position + L }];
  }

  return {
    config,
    // every layer's state (h, and c for the LSTM) is the recurrent hidden state
    recurrentStateMask: (state) => leaves({ latent: state.latent, carry: state.carry }).map(() => true),
    positionFlops,
    init(key, opts = {}) {
      const [kEmbed, kHead, ...kCells] = splitKey(key, 2 + layers);
      return {
        embed: initEmbedding(kEmbed, vocab, dim, { ...opts, std: EMBED_STD }),
        cells: kCells.map((k) => cell.init(k, dim, dim, opts)),
        head: initLinear(kHead, dim, vocab, opts),
      };
    },
    start(batch, opts = {}) {
      const states = globalThis.Array.from({ length: layers }, () => cell.zero(batch, dim, opts));
      return { ...cell.pack(states), position: 0 };
    },
    read(p, state, tokens) {
      return readTokens(p, state, tokens, false)[1];
    },
    think(p, state, given) {
      const states = cell.unpack(given ? state.latent : state.latent.ref, state.carry);
      const input = given ?? state.latent;
      const next = stepLayers(p, states, input, null);
      return { ...cell.pack(next), position: state.position + 1 };
    },
    decode(p, state, tokens) {
      const [tops, next] = readTokens(p, state, tokens, true);
      return [linear(p.head, np.stack(tops, 1)), next];
    },
    embedDistribution: (p, probs) => np.matmul(probs, p.embed.table.ref),
    head: (p, hidden) => linear(p.head, hidden),
    thinkLayers(p, state) {
      const states = cell.unpack(state.latent.ref, state.carry);
      const next = stepLayers(p, states, state.latent, null);
      const hs = np.stack(next.map((s) => cell.hidden(s).ref), 0);
      return [hs, { ...cell.pack(next), position: state.position + 1 }];
    },
  };
}
