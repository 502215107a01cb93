// Public API of the layer library: pure functions over parameter trees.
// Convention: parameters are borrowed, activations (and caches, positions) are consumed.
export { type InitOpts, normalInit, uniformInit, castTo } from "./init.js";
export { oneHot } from "./one-hot.js";
export { type Linear, type LinearNoBias, initLinear, linear } from "./linear.js";
export { type Embedding, initEmbedding, embed } from "./embedding.js";
export { type LayerNorm, initLayerNorm, layerNorm } from "./layer-norm.js";
export { type Mlp, initMlp, mlp, gelu } from "./mlp.js";
export {
  type Attention,
  type KvCache,
  initAttention,
  causalSelfAttention,
  causalSelfAttentionWithCache,
  initKvCache,
  attendStep,
  attendChunk,
} from "./attention.js";
export { type Gru, initGru, gruCell } from "./gru.js";
export { type Lstm, type LstmState, initLstm, initLstmState, lstmCell } from "./lstm.js";
export { crossEntropy } from "./loss.js";
export {
  type TransformerConfig,
  type TransformerBlock,
  type Transformer,
  initTransformer,
  initTransformerBlock,
  transformerBlock,
  transformerLogits,
  initTransformerCache,
  transformerBlockStep,
  transformerBlockChunk,
  transformerStepLogits,
} from "./transformer.js";
