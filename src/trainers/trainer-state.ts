// What every trainer holds: its parameters, its optimizer state and any other trees it keeps (a
// frozen reference, a helper model and its optimizer state), owned in one place, with the
// checkpoint side of a MethodTrainer (trees, restore, extra, dispose) built from them.
import type { Array } from "../engine/jax.js";
import type { Json } from "../common/json.js";
import { dispose, type Tree } from "../engine/tree.js";
import type { GradientTransformation, StepHealth } from "../optim/index.js";
import type { MethodTrainer, TrainerStepReport, TrainerTrees } from "./trainer.js";

export interface TrainerState {
  /** The current trees: params, optimizer, then the trainer's own (borrowed; replaced by `advance`). */
  readonly trees: TrainerTrees;
  /**
   * Keep a guarded step's new parameters and optimizer state (under `paramsKey`/`stateKey`);
   * returns the rest of its outputs.
   */
  advance<L, M, H>(out: readonly [L, Tree, Tree, M, H], paramsKey?: string, stateKey?: string): [L, M, H];
  /** A fresh optimizer state for the current parameters. */
  resetOptimizer(): void;
  restore(trees: TrainerTrees): void;
  dispose(): void;
}

/** The state of a trainer starting from `params` (owned from here on), `optimizer.init(params)` and `more`. */
export function trainerState(params: Tree, optimizer: GradientTransformation<Tree>, more: Record<string, Tree> = {}): TrainerState {
  const trees: TrainerTrees = { params, optimizer: optimizer.init(params) as Tree, ...more };
  return {
    trees,
    advance([rest0, p, s, m, h], paramsKey = "params", stateKey = "optimizer") {
      [trees[paramsKey], trees[stateKey]] = [p, s];
      return [rest0, m, h];
    },
    resetOptimizer() {
      dispose(trees.optimizer);
      trees.optimizer = optimizer.init(trees.params) as Tree;
    },
    restore(next) {
      dispose(Object.values(trees));
      for (const k of Object.keys(trees)) trees[k] = next[k];
    },
    dispose: () => dispose(Object.values(trees)),
  };
}

/** What a trainer adds to its state: the step, and any JSON state and resources of its own. */
export interface TrainerParts {
  step(examples: Parameters<MethodTrainer["step"]>[0], step: number): Promise<TrainerStepReport>;
  /** Small JSON state a checkpoint keeps; absent: none. */
  extra?(): Record<string, Json>;
  restoreExtra?(extra: Record<string, Json>): void;
  /** Free what the trainer built besides its trees (jitted steps...). */
  dispose?(): void;
}

/** A MethodTrainer over `state`. */
export function stateTrainer(state: TrainerState, parts: TrainerParts): MethodTrainer {
  return {
    trees: () => ({ ...state.trees }),
    restore(trees, extra) {
      state.restore(trees);
      parts.restoreExtra?.(extra);
    },
    extra: () => parts.extra?.() ?? {},
    step: parts.step,
    dispose() {
      parts.dispose?.();
      state.dispose();
    },
  };
}

/** `make(key)`, built on first use and kept; `built` holds what was built (to free it). */
export function memo<K, V>(make: (key: K) => V): ((key: K) => V) & { built: Map<K, V> } {
  const built = new Map<K, V>();
  const get = (key: K) => {
    if (!built.has(key)) built.set(key, make(key));
    return built.get(key)!;
  };
  return Object.assign(get, { built });
}

/** A device scalar read back. */
export const scalar = async (x: Array): Promise<number> => (await x.data())[0];
/** A device vector read back as numbers. */
export const vector = async (x: Array): Promise<number[]> => globalThis.Array.from(await x.data(), (v) => Number(v));

/** A step's report: its loss, gradient norm and whether the update was applied, read back, with the rest. */
export async function stepReport(loss: Array, health: StepHealth, rest: Omit<TrainerStepReport, "loss" | "gradNorm" | "applied">): Promise<TrainerStepReport> {
  const [l, gradNorm, applied] = await Promise.all([loss, health.gradNorm, health.applied].map(scalar));
  return { loss: l, ...rest, gradNorm, applied: applied === 1 };
}
