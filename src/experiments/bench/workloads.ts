// The configurations `neuralese bench` times one training step of: a plain transformer and GRU
// (next-token loss), the continuous-thought reasoner's BPTT step (with and without per-step
// gradient normalisation), and GRPO's sampling loop; plus the sizes a GPU is for.
import { np, random, type Array } from "../../engine/jax.js";
import { modelKey, splitKey } from "../../engine/rng.js";
import { type Flops, transformerFlops, gruFlops, matmulFlops, addFlops, withBackward } from "../../engine/flops.js";
import { dispose, type Tree } from "../../engine/tree.js";
import { initTransformer, transformerLogits, crossEntropy, initGru, gruCell, initEmbedding, embed, initLinear, linear } from "../../nn/index.js";
import { transformerReasoner, type TransformerParams } from "../../models/index.js";
import { latentChainValueAndGrad } from "../../reasoning/index.js";
import { decodeTokens } from "../../recipes/greedy.js";
import { SPECIAL } from "../../tasks/vocab.js";

export interface Workload {
  name: string;
  /** FLOPs of one training step (forward + backward). */
  flops: Flops;
  params: Tree;
  /** The loss, differentiated by valueAndGrad; or, for custom backward passes, `lossAndGrads`. */
  loss?: (params: Tree, tokens: Array) => Array;
  lossAndGrads?: (params: Tree, tokens: Array) => { loss: Array; grads: Tree };
  /** Forward-only workloads (sampling): timed as one jit of `forward(params, tokens)`, no update. */
  forward?: (params: Tree, tokens: Array) => Array;
  batch: number;
  seq: number;
  vocab: number;
}

const VOCAB = 32;

function transformerWorkload(dim: number, layers: number, batch: number, seq: number): () => Workload {
  return () => transformerWorkloadOf(dim, layers, batch, seq);
}

function transformerWorkloadOf(dim: number, layers: number, batch: number, seq: number): Workload {
  const cfg = { vocab: VOCAB, dim, layers, heads: 4, maxLen: seq, mlpRatio: 4 };
  return {
    name: `transformer-d${dim}-l${layers}-b${batch}-t${seq}`,
    flops: transformerFlops({ ...cfg, oneHotEmbedding: true }, batch, seq), // nn's embedding is a one-hot matmul
    params: initTransformer(modelKey(0), cfg) as unknown as Tree,
    // next-token cross-entropy on every position: predict tokens[t+1] from tokens[..t]
    loss: (p, tokens) => {
      const logits = transformerLogits(p as never, tokens.ref, cfg);
      return crossEntropy(logits, np.roll(tokens, -1, 1));
    },
    batch,
    seq,
    vocab: VOCAB,
  };
}

function gruWorkload(hidden: number, batch: number, seq: number): () => Workload {
  return () => gruWorkloadOf(hidden, batch, seq);
}

function gruWorkloadOf(hidden: number, batch: number, seq: number): Workload {
  const [k1, k2, k3] = splitKey(modelKey(0), 3);
  const params = { embed: initEmbedding(k1, VOCAB, hidden), cell: initGru(k2, hidden, hidden), head: initLinear(k3, hidden, VOCAB) };
  const flops = addFlops(
    gruFlops(hidden, hidden, batch, seq),
    withBackward(seq * (matmulFlops(batch, VOCAB, hidden) + matmulFlops(batch, hidden, VOCAB))), // one-hot embedding, head
  );
  return {
    name: `gru-h${hidden}-b${batch}-t${seq}`,
    flops,
    params: params as unknown as Tree,
    loss: (p0, tokens) => {
      const p = p0 as unknown as typeof params;
      // Embed each step's tokens (integer slices, no gradient): slicing a differentiable [B,T,H]
      // activation per step makes jax-js's backward pass several times slower.
      const columns = tokens.ref.transpose([1, 0]); // [T,B]
      let h = np.zeros([batch, hidden]);
      const states: Array[] = [];
      for (let t = 0; t < seq; t++) {
        h = gruCell(p.cell, h, embed(p.embed, columns.ref.slice(t)));
        states.push(h.ref);
      }
      columns.dispose();
      h.dispose();
      return crossEntropy(linear(p.head, np.stack(states, 1)), np.roll(tokens, -1, 1));
    },
    batch,
    seq,
    vocab: VOCAB,
  };
}

/**
 * The continuous-thought transformer reasoner (src/models/transformer.ts): read a question of 24
 * tokens in one chunk, K = 6 latent steps, then decode `<ans>` and take the cross-entropy of its
 * logits against a 1-token answer; gradient by full BPTT or gradient-normalised BPTT (chained
 * vjps). Tokens [64, 25]: the question, then the answer. The GPU sizes change width, batch and
 * question length.
 */
function neuraleseWorkload(gradNorm: boolean, size = { dim: 128, batch: 64, question: 24 }): () => Workload {
  return () => {
    const { dim, batch, question } = size;
    const latentSteps = 6;
    const reasoner = transformerReasoner({ model: "transformer", vocab: VOCAB, dim, layers: 2, heads: 4, maxLen: question + latentSteps + 1 });
    // What is computed: the question chunk, K single positions, the answer position (with the
    // head), each attending over all maxLen cache slots (reasoner.positionFlops).
    const f = reasoner.positionFlops;
    const flops = withBackward(batch * (question * f.read + latentSteps * f.think + f.decode));
    return {
      name: `neuralese-transformer-d${dim}-l2-b${batch}-k6${question === 24 ? "" : `-q${question}`}${gradNorm ? "-gradnorm" : ""}`,
      flops,
      params: reasoner.init(modelKey(0)),
      lossAndGrads: (p, tokens) => {
        const prompt = tokens.ref.slice([], [0, question]);
        const answer = tokens.slice([], question);
        const readout = (params: TransformerParams, state: Parameters<typeof reasoner.decode>[1]) => {
          const [logits, end] = reasoner.decode(params, state, np.full([batch, 1], SPECIAL.answer, { dtype: np.int32 }));
          dispose([end.latent, end.carry]);
          return crossEntropy(logits.reshape([batch, VOCAB]), answer);
        };
        const c = latentChainValueAndGrad(reasoner, p as TransformerParams, prompt, readout, { latentSteps, gradNorm });
        dispose([c.aux, c.stepGradNorms, c.latentNorms]);
        return { loss: c.loss, grads: c.grads };
      },
      batch,
      seq: question + 1,
      vocab: VOCAB,
    };
  };
}

/**
 * GRPO's sampling (src/trainers/policy-gradient.ts): read a prompt of 8 tokens, then sample 16
 * tokens one at a time at temperature 1 over the reasoner's fixed-shape KV cache, the whole
 * loop in one jit (the engine notes measured 74 ms for this shape). Forward FLOPs only.
 */
function grpoSampleWorkload(): Workload {
  const [batch, prompt, steps] = [64, 8, 16];
  const reasoner = transformerReasoner({ model: "transformer", vocab: VOCAB, dim: 128, layers: 2, heads: 4, maxLen: prompt + steps });
  const f = reasoner.positionFlops;
  return {
    name: "grpo-sample-b64-t16",
    flops: { forward: batch * (prompt * f.read + steps * f.decode), backward: 0 },
    params: reasoner.init(modelKey(0)),
    forward: (p, tokens) => {
      const state = reasoner.read(p as TransformerParams, reasoner.start(batch), tokens.ref.slice([], [0, prompt]));
      const first = tokens.slice([], prompt);
      return decodeTokens(reasoner, p as TransformerParams, state, first, steps, { key: random.key(1), temperature: 1 });
    },
    batch,
    seq: prompt + 1,
    vocab: VOCAB,
  };
}

export const BENCH_WORKLOADS: Record<string, () => Workload> = {
  "grpo-sample-b64-t16": grpoSampleWorkload,
  "transformer-d128-l2-b32-t32": transformerWorkload(128, 2, 32, 32),
  "gru-h128-b64-t32": gruWorkload(128, 64, 32),
  "neuralese-transformer-d128-l2-b64-k6": neuraleseWorkload(false),
  "neuralese-transformer-d128-l2-b64-k6-gradnorm": neuraleseWorkload(true),
};

/**
 * The sizes a GPU is for: width 256–512, ProsQA-length sequences (~128 tokens), batch 256. Run only
 * when asked (--gpu-sizes, or by name with --only): on wasm each step is 0.3–1.5 TFLOP, tens of seconds.
 */
export const GPU_BENCH_WORKLOADS: Record<string, () => Workload> = {
  "transformer-d256-l4-b256-t128": transformerWorkload(256, 4, 256, 128),
  "transformer-d512-l2-b256-t128": transformerWorkload(512, 2, 256, 128),
  "gru-h256-b256-t128": gruWorkload(256, 256, 128),
  "neuralese-transformer-d256-l2-b256-k6-q120": neuraleseWorkload(false, { dim: 256, batch: 256, question: 120 }),
};
