// Runs: the validated config and the crash-safe run directory.
export { RUN_FORMAT_VERSION, RUN_FILES, CHECKPOINT_FILE, RunDirError } from "./format.js";
export { runConfigSchema, MODEL_KINDS, SCHEDULES, type RunConfig, type RunConfigInput } from "./config-schema.js";
export { ConfigError, formatIssue, type ConfigIssue } from "./config-errors.js";
export {
  resolveRunConfig,
  mergeConfigInputs,
  readConfigFile,
  reasonerConfigOf,
  runLimits,
  type MethodConfigSpecs,
} from "./config.js";
export { optimizerFromConfig, learningRateSchedule } from "./optimizer.js";
export { RunDir, type ResumeState } from "./run-dir.js";
export type { MetricsRecord, MetricsRead } from "./metrics-log.js";
export type { Summary } from "./summary.js";
export { canonicalJson, type Json } from "./json.js";
export { FAULT_INJECTION_ENV, TrainingFaultError, faultInjector, parseFaultInjection, type FaultInjectionSpec } from "./faults.js";
export { DataFileError, readTrainData, readDataFile, checkDataFits, limitsOf, type TrainData, type DataFile } from "./train-data.js";
export { resolveRunConfigWithData } from "./data-config.js";
export { readEvalData, optionNaming, scoreExamples, scoreRunOnFiles, fileSource, type EvalData, type FileScore } from "./eval-data.js";
export { loadTrainedModel, type TrainedModel } from "./trained-model.js";
