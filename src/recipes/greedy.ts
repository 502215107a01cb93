// Token decoding with the reasoner's fixed-shape state: one token per position, argmax (or a
// draw, for policy-gradient sampling), fed back; and the log-probabilities of chosen tokens.
// Written as an unrolled JS loop so a whole decode traces into one jit.
import { jnn, np, random, type Array } from "../engine/jax.js";
import { oneHot } from "../nn/index.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";
import { disposeState } from "../reasoning/index.js";
import { SPECIAL_TOKENS } from "../tasks/index.js";

/** −1e9 on the special tokens' logits, 0 on the task's own tokens: [V]. */
export function contentOnlyBias(vocab: number): Array {
  const bias = new Float32Array(vocab);
  bias.fill(-1e9, 0, SPECIAL_TOKENS.length);
  return np.array(bias);
}

/**
 * Starting from `state`, feed `first` [B] int32, then each chosen token in turn: returns the
 * `steps` tokens chosen [B, steps] int32 — argmax, or with a `key` a draw from
 * softmax(logits / temperature) (policy-gradient sampling; `keys`: one key per step, already
 * split). `contentFirst`: the first token chosen is one of the task's own tokens (an answer is
 * never empty). Consumes `state`, `first` and the key(s).
 */
export function decodeTokens<P extends Tree>(
  reasoner: Reasoner<P>,
  p: P,
  state: ReasonerState,
  first: Array,
  steps: number,
  opts: { key?: Array; keys?: Array | null; temperature?: number; contentFirst?: boolean } = {},
): Array {
  const [B] = first.shape;
  const V = reasoner.config.vocab;
  const temperature = opts.temperature ?? 0;
  const keys = opts.keys ?? (opts.key ? random.split(opts.key, steps) : null);
  let token = first;
  const chosen: Array[] = [];
  for (let i = 0; i < steps; i++) {
    const [logits, next] = reasoner.decode(p, state, token.reshape([B, 1]));
    state = next;
    const l = logits.reshape([B, V]);
    const key = keys === null || temperature === 0 ? null : keys.ref.slice(i);
    token = chooseToken(i === 0 && opts.contentFirst ? l.add(contentOnlyBias(V)) : l, temperature, key);
    chosen.push(token.ref);
  }
  keys?.dispose();
  token.dispose();
  disposeState(state);
  return np.stack(chosen, 1);
}

/** Greedy decoding (decodeTokens with argmax). Consumes `state` and `first`. */
export const greedyDecode = <P extends Tree>(reasoner: Reasoner<P>, p: P, state: ReasonerState, first: Array, steps: number, contentFirst = false): Array =>
  decodeTokens(reasoner, p, state, first, steps, { contentFirst });

/** logits / temperature (1 and 0, which means argmax, leave them as they are). Consumes logits. */
const scaled = (logits: Array, temperature: number): Array => (temperature === 1 || temperature === 0 ? logits : logits.mul(1 / temperature));

/** argmax (temperature 0) or a draw from softmax(logits / temperature), [B] int32. Consumes logits and key. */
export function chooseToken(logits: Array, temperature: number, key: Array | null): Array {
  if (temperature === 0 || key === null) {
    key?.dispose();
    return np.argmax(logits, -1).astype(np.int32);
  }
  return random.categorical(key, scaled(logits, temperature)).astype(np.int32);
}

/**
 * log softmax(logits / temperature + bias) at each target id: logits [..., V], targets [...] →
 * [...]. `bias` (broadcast to the logits) masks what the policy could not choose. logSoftmax ·
 * oneHot, not a gather: the gather's gradient throws under jit. Consumes all.
 */
export function targetLogProbs(logits: Array, targets: Array, temperature: number, bias?: Array): Array {
  const V = logits.shape[logits.shape.length - 1];
  const l = scaled(logits, temperature);
  return jnn.logSoftmax(bias ? l.add(bias) : l, -1).mul(oneHot(targets, V)).sum(-1);
}
