// The reasoner registry: build a reasoner from its config, and default configs per kind.
import { gruReasoner } from "./gru.js";
import { loopedReasoner } from "./looped.js";
import { lstmReasoner } from "./lstm.js";
import type { ModelKind, Reasoner, ReasonerConfig } from "./reasoner.js";
import { transformerReasoner } from "./transformer.js";

export const MODEL_KINDS: readonly ModelKind[] = ["transformer", "gru", "lstm", "looped"];

/**
 * Defaults per kind (everything but `vocab` and `maxLen`, which come from the task and recipe).
 * transformer: the pointer-chase pilot's model (width 64, 2 layers, 4 heads); gru/lstm: one
 * 128-wide cell (`heads` is unused by them and kept at 1); looped: one core block of width 64,
 * 4 heads (prelude, coda and r: models/looped.ts DEFAULT_LOOPED).
 */
export const DEFAULT_MODEL_SHAPES: Readonly<Record<ModelKind, Pick<ReasonerConfig, "dim" | "layers" | "heads">>> = {
  transformer: { dim: 64, layers: 2, heads: 4 },
  gru: { dim: 128, layers: 1, heads: 1 },
  lstm: { dim: 128, layers: 1, heads: 1 },
  looped: { dim: 64, layers: 1, heads: 4 },
};

/** A full config for `model` from the task's vocabulary size and the sequence budget, plus overrides. */
export function defaultReasonerConfig(
  model: ModelKind,
  sizes: { vocab: number; maxLen: number },
  overrides: Partial<Omit<ReasonerConfig, "model">> = {},
): ReasonerConfig {
  return { model, ...sizes, ...DEFAULT_MODEL_SHAPES[model], ...overrides };
}

/** Throws a message naming the field when a config cannot build a model. */
export function checkReasonerConfig(c: ReasonerConfig): void {
  if (!MODEL_KINDS.includes(c.model)) throw new Error(`model must be one of ${MODEL_KINDS.join(", ")}, got "${c.model}"`);
  for (const key of ["vocab", "dim", "layers", "heads", "maxLen"] as const) {
    if (!(Number.isInteger(c[key]) && c[key] >= 1)) throw new Error(`model ${key} must be a positive integer, got ${c[key]}`);
  }
  if ((c.model === "transformer" || c.model === "looped") && c.dim % c.heads !== 0) {
    throw new Error(`model dim ${c.dim} must be divisible by heads ${c.heads}`);
  }
}

export function makeReasoner(config: ReasonerConfig): Reasoner {
  checkReasonerConfig(config);
  const build = { transformer: transformerReasoner, gru: gruReasoner, lstm: lstmReasoner, looped: loopedReasoner }[config.model];
  return build(config) as unknown as Reasoner;
}

export type { LoopedShape, ModelKind, Reasoner, ReasonerConfig, ReasonerState } from "./reasoner.js";
export { transformerReasoner, type TransformerParams, type TransformerCarry } from "./transformer.js";
export { gruReasoner, type GruParams, type GruCarry } from "./gru.js";
export { lstmReasoner, type LstmParams, type LstmCarry } from "./lstm.js";
export { loopedReasoner, isLooped, DEFAULT_LOOPED, type LoopedParams, type LoopedCarry, type LoopedReasoner } from "./looped.js";
