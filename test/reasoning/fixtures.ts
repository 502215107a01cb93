// Tiny reasoners, prompts and readouts shared by the latent-chain tests.
import { jit, np, type Array } from "../../src/engine/jax.js";
import { toFloat64 } from "../../src/engine/gradcheck.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, map, ref, type Tree } from "../../src/engine/tree.js";
import { crossEntropy } from "../../src/nn/index.js";
import { makeReasoner, type ModelKind, type Reasoner } from "../../src/models/index.js";
import { latentChainValueAndGrad, type LatentChainOptions, type Readout } from "../../src/reasoning/index.js";
import { toHost, type Host } from "./grad-norm-reference.js";
import { SPECIAL } from "../../src/tasks/vocab.js";
import { host, ints, randomInput } from "../nn/util.js";

export const VOCAB = 10;
export const MODELS: readonly ModelKind[] = ["gru", "lstm", "transformer"];

/** Tiny configs: two layers, so the carry holds a lower layer's state (and the LSTM's c). */
export function tinyReasoner(model: ModelKind): Reasoner {
  return makeReasoner({ model, vocab: VOCAB, dim: 6, layers: 2, heads: 2, maxLen: 12 });
}

/**
 * float64 parameters away from init: biases, norm parameters and embeddings perturbed, so that
 * every gradient path is exercised and none is ~0.
 */
export function float64Params(reasoner: Reasoner, seed = 0): Tree {
  return map((x, path) => {
    const noise = randomInput(seed * 100 + path.length + x.size, x.shape);
    if (/(gain|bias|\.b|\.bi|\.bh)$/.test(path)) return x.add(noise.mul(0.3));
    if (/table$/.test(path) && reasoner.config.model === "transformer") return x.add(noise.mul(0.5));
    noise.dispose();
    return x;
  }, toFloat64(reasoner.init(modelKey(seed))));
}

/** Two left-padded prompts [2, 5]. */
export const promptValues = [0, 8, 9, 2, 3, 9, 1, 4, 8, 2];
export const prompt = (): Array => ints(promptValues, [2, 5]);
export const answerValues = [3, 7];

/** Decode `<ans>` and take the cross-entropy of its logits against the answers; aux: the logits. */
export function answerReadout(reasoner: Reasoner): Readout<Tree> {
  return (p, state) => {
    const [B] = state.latent.shape;
    const [logits, end] = reasoner.decode(p, state, np.full([B, 1], SPECIAL.answer, { dtype: np.int32 }));
    dispose([end.latent, end.carry]);
    const flat = logits.reshape([B, VOCAB]);
    return [crossEntropy(flat.ref, ints(answerValues, [B])), { logits: flat }];
  };
}

export interface Outcome {
  loss: number;
  grads: Host[];
  stepGradNorms: number[];
  latentNorms: number[];
}

/** latentChainValueAndGrad on `prompt()` with `answerReadout`, under jit; results on the host. */
export async function runChain(reasoner: Reasoner, params: Tree, opts: LatentChainOptions): Promise<Outcome> {
  const readout = answerReadout(reasoner);
  const f = jit((p: Tree, tokens: Array) => {
    const r = latentChainValueAndGrad(reasoner, p, tokens, readout, opts);
    dispose(r.aux);
    return [r.loss, r.grads, r.stepGradNorms, r.latentNorms];
  });
  const [loss, grads, stepGradNorms, latentNorms] = f(ref(params), prompt()) as unknown as [Array, Tree, Array, Array];
  const out = {
    loss: (await host(loss))[0],
    grads: await toHost(grads),
    stepGradNorms: await host(stepGradNorms),
    latentNorms: await host(latentNorms),
  };
  dispose(grads);
  f.dispose();
  return out;
}

/** Apply `f` to every leaf of a tree (consumes the leaves as `f` does). */
export function mapLeaves(t: Tree, f: (x: Array) => Array): Tree {
  if (globalThis.Array.isArray(t)) return t.map((c) => mapLeaves(c, f));
  if (t && (t as object).constructor === Object) {
    return Object.fromEntries(Object.entries(t as Record<string, Tree>).map(([k, c]) => [k, mapLeaves(c, f)]));
  }
  return f(t as Array);
}

/** Largest |a − b| / max(1, |b|) over all leaves. */
export function maxRelDiff(a: Host[], b: Host[]): number {
  let worst = 0;
  a.forEach((leaf, i) =>
    leaf.values.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(v - b[i].values[j]) / Math.max(1, Math.abs(b[i].values[j])));
    }),
  );
  return worst;
}

/** A device tree with `like`'s structure from host leaves. */
export function rebuildLike(like: Tree, values: Host[]): Tree {
  let i = 0;
  return mapLeaves(like, (x) => {
    const h = values[i++];
    return np.array(h.values, { dtype: x.dtype }).reshape(h.shape);
  });
}

