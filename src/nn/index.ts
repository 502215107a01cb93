// Public API of the layer library, every module whole: pure functions over parameter trees.
// Convention: parameters are borrowed, activations (and caches, positions) are consumed.
export * from "./init.js";
export * from "./one-hot.js";
export * from "./linear.js";
export * from "./embedding.js";
export * from "./layer-norm.js";
export * from "./mlp.js";
export * from "./attention.js";
export * from "./gru.js";
export * from "./lstm.js";
export * from "./loss.js";
export * from "./transformer.js";
