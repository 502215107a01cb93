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
import { disposeState } from "../reasoning/index.js";
import { chooseToken, contentOnlyBias, decodeTokens, targetLogProbs } from "./greedy.js";
import type { Batch, SupervisedRecipe } from "./recipe.js";
import { readPrompt, tokenRows } from "./supervised-parts.js";

/** Tokens a fixed chain's row holds after `<bot>`: K chain tokens, `<eot> <ans>`, the answer and its `<eos>`. */
export const fixedChainWidth = (chainTokens: number, limits: Limits) => chainTokens + 2 + answerWidth(limits);

/**
 * Feed `<bot>` and choose K content tokens from `state` (the prompt read), feeding each back:
 * returns the K tokens [B, K] and the state after the last was fed. `keys` null: greedy; else one
 * key per choice (`keys.ref.slice(i)`). `first` [B]: the first token is this one, not chosen (a
 * corrupted step, for monitoring). Consumes state and first.
 */
function writeChain<P extends Tree>(reasoner: Reasoner<P>, p: P, state: ReasonerState, chainTokens: number, temperature: number, keys: Array | null, first?: Array): [Array, ReasonerState] {
  const [B] = state.latent.shape;
  const V = reasoner.config.vocab;
  const bias = contentOnlyBias(V);
  const chosen: Array[] = [];
  let [logits, next] = reasoner.decode(p, state, tokenRows(B, [SPECIAL.beginThought]));
  for (let i = 0; i < chainTokens; i++) {
    const key = keys === null ? null : keys.ref.slice(i);
    let token: Array;
    if (i === 0 && first) {
      token = first;
      logits.dispose();
      key?.dispose();
    } else token = chooseToken(logits.reshape([B, V]).add(bias.ref), temperature, key);
    chosen.push(token.ref);
    [logits, next] = reasoner.decode(p, next, token.reshape([B, 1]));
  }
  bias.dispose();
  logits.dispose(); // what follows the chain is the caller's
  return [np.stack(chosen, 1), next];
}

/**
 * From `state` (the prompt read), write a fixed chain: feed `<bot>`, choose K content tokens, feed
 * `<eot> <ans>`, choose the answer (its first token a content token) until the row is full.
 * Returns [B, fixedChainWidth] int32 in cot's layout (`withAnswer` false: the K chain tokens
 * only, [B, K]). `key` null: greedy. `first` [B]: the chain's first token, forced (monitoring's
 * corruption). Traceable in one jit; consumes state, key and first.
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
  first?: Array,
): Array {
  const [B] = state.latent.shape;
  const n = answerWidth(limits);
  const keys = key === null ? null : random.split(key, chainTokens + n);
  const [chain, written] = writeChain(reasoner, p, state, chainTokens, temperature, keys === null ? null : keys.ref.slice([0, chainTokens]), first);
  if (!withAnswer) {
    keys?.dispose();
    disposeState(written);
    return chain;
  }
  // what follows the chain is forced: <eot> <ans>
  const [eotLogits, afterEot] = reasoner.decode(p, written, tokenRows(B, [SPECIAL.endThought]));
  eotLogits.dispose();
  const answerKeys = keys === null ? null : keys.ref.slice([chainTokens, chainTokens + n]);
  keys?.dispose();
  const answer = decodeTokens(reasoner, p, afterEot, tokenRows(B, [SPECIAL.answer]).reshape([B]), n, { keys: answerKeys, temperature, contentFirst: true });
  return np.concatenate([chain, tokenRows(B, [SPECIAL.endThought, SPECIAL.answer]), answer], 1);
}

/**
 * Sample a fixed chain and score the gold answer after it in the same pass (GRPO's likelihood
 * rewards: no second forward over the rollouts): feed `<eot>`, then the teacher-forced answer
 * grids (framing.ts answerGrids: inputs `<ans> a₁ … a_m`, targets `a₁ … a_m <eos>`, [B, n]) and
 * take log softmax(logits / T) of each target. Returns [chain [B, K] int32, logp [B, n]] (padding's
 * log-probs are there: mask them). Consumes state, key and the grids.
 */
export function fixedChainWithGoldLogp<P extends Tree>(
  reasoner: Reasoner<P>,
  p: P,
  state: ReasonerState,
  chainTokens: number,
  temperature: number,
  key: Array,
  answerInputs: Array,
  answerTargets: Array,
): [Array, Array] {
  const [B, n] = answerTargets.shape;
  const [chain, written] = writeChain(reasoner, p, state, chainTokens, temperature, random.split(key, chainTokens));
  // one chunk `<eot> <ans> a₁ …`: the logits after `<ans>` onwards predict the targets
  const [logits, end] = reasoner.decode(p, written, np.concatenate([tokenRows(B, [SPECIAL.endThought]), answerInputs], 1));
  disposeState(end);
  return [chain, targetLogProbs(logits.slice([], [1, n + 1]), answerTargets, temperature)];
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
      return decodeFixedChain(reasoner, p, readPrompt(reasoner, p, prompt), chainTokens, limits, 0, null);
    },
    answerOf: answerFromChain,
    chainOf: chainFromDecoded,
    positions: (l: Limits) => ({ read: promptWidth(l), think: 0, decode: 1 + fixedChainWidth(chainTokens, l) }),
  };
}
