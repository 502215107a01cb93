// model.safetensors: the final parameters, with enough metadata to rebuild and run the model
// without the rest of the run directory (all metadata values are strings, as safetensors requires).
import type { AtomicWriteOptions } from "../engine/atomic-file.js";
import { restoreLike, dispose, type Tree } from "../engine/tree.js";
import type { ReasonerConfig } from "../models/reasoner.js";
import { loadChecksummed, saveChecksummed } from "./checksummed-safetensors.js";
import { RUN_FORMAT_VERSION, RunDirError } from "./format.js";

export interface ModelFileInfo {
  /** The reasoner's config plus K, the latent steps it was trained with. */
  model: ReasonerConfig & { latentSteps: number };
  task: { name: string; options: Record<string, unknown> };
  method: { name: string; options: Record<string, unknown> };
  /** Optimizer steps the parameters had when saved. */
  step: number;
}

const FORMAT = "neuralese-model";

/** Metadata keys: format, formatVersion, model (JSON), task (JSON), method (JSON), step, checksum. */
export async function saveModel(path: string, params: Tree, info: ModelFileInfo, opts: AtomicWriteOptions = {}): Promise<void> {
  await saveChecksummed(
    path,
    params,
    {
      format: FORMAT,
      formatVersion: String(RUN_FORMAT_VERSION),
      model: JSON.stringify(info.model),
      task: JSON.stringify(info.task),
      method: JSON.stringify(info.method),
      step: String(info.step),
    },
    opts,
  );
}

/** Load parameters (restored into `template`'s structure when given) and the model's info. */
export async function loadModel(path: string, template?: Tree): Promise<{ params: Tree; info: ModelFileInfo }> {
  const { tree, metadata } = await loadChecksummed(path, "model file");
  const fail = (why: string): never => {
    dispose(tree);
    throw new RunDirError(`model file ${path} ${why}`);
  };
  if (metadata.format !== FORMAT) fail(`is not a neuralese model (format ${JSON.stringify(metadata.format)})`);
  if (metadata.formatVersion !== String(RUN_FORMAT_VERSION)) {
    fail(`has format version ${metadata.formatVersion}; this neuralese reads version ${RUN_FORMAT_VERSION}`);
  }
  let info: ModelFileInfo;
  try {
    info = { model: JSON.parse(metadata.model), task: JSON.parse(metadata.task), method: JSON.parse(metadata.method), step: Number(metadata.step) };
  } catch (err) {
    return fail(`has unreadable metadata (${(err as Error).message})`);
  }
  if (!template) return { params: tree, info };
  try {
    return { params: restoreLike(template, tree), info };
  } catch (err) {
    return fail(`does not fit this model: ${(err as Error).message}`);
  }
}
