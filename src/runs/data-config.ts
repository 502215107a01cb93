// A run config for a data file (`neuralese train --data FILE`): the file is read once, its sizes
// become the run's task.limits (so the model's maxLen is derived from them, or checked against
// them) and its digest is recorded, so the config says exactly which data trained the run.
import { getTask } from "../tasks/index.js";
import { coveringLimits, mergeConfigInputs, resolveRunConfig, type ResolveOptions } from "./config.js";
import type { RunConfig } from "./config-schema.js";
import { DataFileError, readDataFile } from "./train-data.js";

/** resolveRunConfig, then, for a config with trainData, the file's sizes and digest written into it. */
export async function resolveRunConfigWithData(input: unknown, opts: ResolveOptions = {}): Promise<RunConfig> {
  const base = resolveRunConfig(input, opts); // every other problem is reported before the file is read
  if (base.trainData === null) return base;
  const file = await readDataFile(base.trainData, base.task.name, getTask(base.task.name).vocab(base.task.options));
  if (base.trainDataSha256 !== null && base.trainDataSha256 !== file.sha256) {
    throw new DataFileError(
      `data file ${file.path} has changed: its digest is ${file.sha256}, the config records ${base.trainDataSha256}`,
      "train on the file the config was written for, or leave trainDataSha256 out to record the file as it is now",
    );
  }
  const limits = base.task.limits ? coveringLimits(base.task.limits, file.limits) : file.limits;
  return resolveRunConfig(mergeConfigInputs(input, { task: { limits }, trainDataSha256: file.sha256 }), opts);
}
