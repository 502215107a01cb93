// The reasoner registry: build a reasoner from its config (defaults live in the run config, runs/config-schema.ts).
import { gruReasoner } from "./gru.js";
import { loopedReasoner } from "./looped.js";
import { lstmReasoner } from "./lstm.js";
import type { ModelKind, Reasoner, ReasonerConfig } from "./reasoner.js";
import { transformerReasoner } from "./transformer.js";

export const MODEL_KINDS: readonly ModelKind[] = ["transformer", "gru", "lstm", "looped"];

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
