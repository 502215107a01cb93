// A token chain of exactly K tokens, the token arms' equal framing for the bet (neuralese thinks K
// continuous thoughts; a token policy writes K tokens): read `<bos> q`, feed `<bot>`, write K
// tokens from the task's own vocabulary (special tokens masked), then `<eot> <ans>` are forced and
// the answer is written, its first token again from the task's vocabulary. The row it produces
// has cot's layout, so cot's readers (answerFromChain, chainFromDecoded) read it:
//   decoded  z₁ … z_K <eot> <ans> a₁ … a_n <eos>
// A chain can be wrong; it can never be malformed: the answer always follows `<eot> <ans>` and is
// never empty. Greedy (temperature 0) for evaluation, sampled for policy-gradient training.
// There is no gold chain of K tokens to imitate, so the recipe has no supervised loss.
import { np, random, type Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";
import { SPECIAL, type Limits } from "../tasks/index.js";
import { answerFromChain, answerWidth, chainFromDecoded, promptWidth } from "./framing.js";
import { chooseToken, contentOnlyBias, disposeState } from "./greedy.js";
import type { Batch, SupervisedRecipe } from "./recipe.js";
import { tokenRows } from "./supervised-parts.js";

/** Tokens a fixed chain's row holds after `<bot>`: K chain tokens, `<eot> <ans>`, the answer and its `<eos>`. */
export const fixedChainWidth = (chainTokens: number, limits: Limits) => chainTokens + 2 + answerWidth(limits);

/**
 * From `state` (the prompt read), write a fixed chain: feed `<bot>`, choose K content tokens, feed
 * `<eot> <ans>`, choose the answer (its first token a content token) until the row is full.
 * Returns [B, fixedChainWidth] int32 in cot's layout (`withAnswer` false: the K chain tokens
 * only, [B, K]). `key` null: greedy. Traceable in one jit; consumes state and key.
 */
export function decodeFixedChain<P extends Tree>(
  reasoner: Reasoner<P>,
  p: P,
  state: ReasonerState,
  chainTokens: number,
  limits: Limits,
  temperature: number,
  key: Array | null,
  withAnswer = true,
): Array {
  const [B] = state.latent.shape;
  const V = reasoner.config.vocab;
  const n = answerWidth(limits);
  const keys = key === null ? null : random.split(key, chainTokens + n);
  const bias = contentOnlyBias(V);
  const out: Array[] = [];
  let chosen = 0;
  /** Feed `token` [B]; return the next position's logits [B, V] (state advances). */
  const step = (token: Array): Array => {
    const [logits, next] = reasoner.decode(p, state, token.reshape([B, 1]));
    state = next;
    return logits.reshape([B, V]);
  };
  const pick = (logits: Array, contentOnly: boolean): Array => {
    const token = chooseToken(contentOnly ? logits.add(bias.ref) : logits, temperature, keys === null ? null : keys.ref.slice(chosen++));
    out.push(token.ref);
    return token;
  };
  const forced = (id: number): Array => {
    const token = tokenRows(B, [id]).reshape([B]);
    out.push(token.ref);
    return token;
  };
  let logits = step(tokenRows(B, [SPECIAL.beginThought]).reshape([B]));
  for (let i = 0; i < chainTokens; i++) {
    const token = pick(logits, true);
    if (i < chainTokens - 1 || withAnswer) logits = step(token);
    else token.dispose();
  }
  if (withAnswer) {
    logits.dispose(); // what follows the chain is forced: <eot> <ans>
    step(forced(SPECIAL.endThought)).dispose();
    logits = step(forced(SPECIAL.answer));
    for (let i = 0; i < n; i++) {
      const token = pick(logits, i === 0);
      if (i < n - 1) logits = step(token);
      else token.dispose();
    }
  }
  bias.dispose();
  keys?.dispose();
  disposeState(state);
  return np.stack(out, 1);
}

/** The recipe of a token chain of exactly `chainTokens` tokens (what the policy-gradient arms evaluate). */
export function fixedChain(chainTokens: number): SupervisedRecipe {
  if (!(Number.isInteger(chainTokens) && chainTokens >= 1)) throw new Error(`a fixed token chain needs at least 1 token (--latent-steps), got ${chainTokens}`);
  const noGold = () => {
    throw new Error(`the fixed ${chainTokens}-token chain has no gold chain to imitate: train it with grpo or helper-posterior (method.options.chain "fixed"), or use cot for SFT`);
  };
  return {
    name: "fixed-chain",
    // prompt, <bot>, the chain and <eot> <ans>, the answer, and its closing <eos>
    sequenceLength: (l: Limits) => promptWidth(l) + 1 + fixedChainWidth(chainTokens, l),
    frame: (): Batch => noGold(),
    lossAndGrad: () => noGold(),
    predict<P extends Tree>(reasoner: Reasoner<P>, p: P, prompt: Array, limits: Limits) {
      const state = reasoner.read(p, reasoner.start(prompt.shape[0]), prompt);
      return decodeFixedChain(reasoner, p, state, chainTokens, limits, 0, null);
    },
    answerOf: answerFromChain,
    chainOf: chainFromDecoded,
    positions: (l: Limits) => ({ read: promptWidth(l), think: 0, decode: 1 + fixedChainWidth(chainTokens, l) }),
  };
}
