// A checkpoint: everything a killed run needs to continue exactly where it was. One
// checksummed safetensors file (replaced atomically): the tensor trees under their names
// (params.*, optimizer.*, ...) and, in the metadata, the step, the data RNG state, the budget
// counters and the hash of the run's config.
import type { BudgetSnapshot } from "./budget.js";
import { dispose, flattenNamed, restoreLike, type Tree } from "../engine/tree.js";
import type { Array } from "../engine/jax.js";
import type { AtomicWriteOptions } from "../engine/atomic-file.js";
import { loadChecksummed, saveChecksummed } from "./checksummed-safetensors.js";
import { RUN_FORMAT_VERSION, RunDirError } from "./format.js";
import type { Json } from "./json.js";
import type { TrainerTrees } from "../trainers/trainer.js";

/** The tensor state: parameters, optimizer state, and any other trees a method keeps (its trainer's trees). */
export type CheckpointTrees = TrainerTrees;

export interface Checkpoint<T extends CheckpointTrees = CheckpointTrees> {
  /** Optimizer steps done. */
  step: number;
  trees: T;
  /** DataRng.state() of the training data stream. */
  dataRng: number[];
  budget: BudgetSnapshot;
  /** Small JSON state a method or the trainer keeps (e.g. skipped-step counters); {} when none. */
  extra?: Record<string, Json>;
}

const FORMAT = "neuralese-checkpoint";

/** Write atomically; does not consume the trees. Non-finite float values are refused. */
export async function saveCheckpoint(path: string, ckpt: Checkpoint, configHash: string, opts: AtomicWriteOptions = {}): Promise<void> {
  if (!Number.isInteger(ckpt.step) || ckpt.step < 0) throw new Error(`checkpoint step must be an integer >= 0, got ${ckpt.step}`);
  const metadata = {
    format: FORMAT,
    formatVersion: String(RUN_FORMAT_VERSION),
    configHash,
    step: String(ckpt.step),
    dataRng: JSON.stringify(ckpt.dataRng),
    budget: JSON.stringify(ckpt.budget),
    extra: JSON.stringify(ckpt.extra ?? {}),
  };
  await saveChecksummed(path, ckpt.trees as Tree, metadata, opts);
}

/**
 * Load and check a checkpoint against `templates` (trees of the right structure, shapes and
 * dtypes, e.g. freshly initialised params and optimizer state; not consumed). Any mismatch,
 * damage or foreign format is a RunDirError naming the file.
 */
export async function loadCheckpoint<T extends CheckpointTrees>(path: string, templates: T, configHash: string): Promise<Checkpoint<T>> {
  const { tree, metadata } = await loadChecksummed(path, "checkpoint");
  const named = flattenNamed(tree);
  const fail = (why: string): never => {
    dispose(Object.values(named));
    throw new RunDirError(`checkpoint ${path} ${why}`);
  };
  if (metadata.format !== FORMAT) fail(`is not a neuralese checkpoint (format ${JSON.stringify(metadata.format)})`);
  if (metadata.formatVersion !== String(RUN_FORMAT_VERSION)) {
    fail(`has format version ${metadata.formatVersion}; this neuralese reads version ${RUN_FORMAT_VERSION}`);
  }
  if (metadata.configHash !== configHash) fail("was written for a different config than this run's config.json");
  const step = Number(metadata.step);
  if (!Number.isInteger(step) || step < 0) fail(`has a bad step ${JSON.stringify(metadata.step)}`);
  let dataRng: number[], budget: BudgetSnapshot, extra: Record<string, Json>;
  try {
    [dataRng, budget, extra] = [JSON.parse(metadata.dataRng), JSON.parse(metadata.budget), JSON.parse(metadata.extra)];
  } catch (err) {
    return fail(`has unreadable metadata (${(err as Error).message})`);
  }
  if (!globalThis.Array.isArray(dataRng) || !dataRng.every(Number.isInteger)) fail("has a bad data RNG state");

  const groups = groupByTree(named);
  const unexpected = Object.keys(groups).filter((k) => !(k in templates));
  if (unexpected.length > 0) fail(`holds trees this run does not expect: ${unexpected.join(", ")}`);
  const trees: Record<string, Tree> = {};
  try {
    for (const name of Object.keys(templates)) trees[name] = restoreLike(templates[name], groups[name] ?? {});
  } catch (err) {
    return fail(`does not fit this model: ${(err as Error).message}`);
  }
  return { step, trees: trees as T, dataRng, budget, extra };
}

/** "params.blocks.0.w" → groups.params["blocks.0.w"]. */
function groupByTree(named: Record<string, Array>): Record<string, Record<string, Array>> {
  const groups: Record<string, Record<string, Array>> = {};
  for (const [name, leaf] of Object.entries(named)) {
    const dot = name.indexOf(".");
    const [tree, rest] = dot < 0 ? [name, ""] : [name.slice(0, dot), name.slice(dot + 1)];
    (groups[tree] ??= {})[rest] = leaf;
  }
  return groups;
}
