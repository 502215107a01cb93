// Command-line plumbing for training runs: the flags that set run-config fields, merged over a
// --config JSON file (flags win), resolved, with config and run-directory errors turned into
// user errors that name the flag as well as the field.
import { Command, Option } from "commander";
import { TASKS } from "../tasks/index.js";
import {
  ConfigError,
  DataFileError,
  RunDirError,
  TrainingFaultError,
  mergeConfigInputs,
  readConfigFile,
  resolveRunConfigWithData,
  formatIssue,
  type MethodConfigSpecs,
  type RunConfig,
} from "../runs/index.js";
import { throwAsUserError, UserError } from "./errors.js";

/** A flag and the config field (dotted path) it sets. */
interface ConfigFlag {
  flag: string;
  path: string;
  description: string;
}

const RUN_FLAGS: readonly ConfigFlag[] = [
  { flag: "--task <name>", path: "task.name", description: `task (${Object.keys(TASKS).join(", ")}; default pointer-chase)` },
  { flag: "--method <name>", path: "method.name", description: "training recipe (default neuralese)" },
  { flag: "--model <kind>", path: "model.kind", description: "transformer, gru, lstm or looped (default transformer; looped settings: --set model.looped.FIELD=V)" },
  { flag: "--dim <n>", path: "model.dim", description: "width (default 64)" },
  { flag: "--layers <n>", path: "model.layers", description: "blocks or stacked cells (default 2 transformer, 1 gru/lstm, 1 looped core block)" },
  { flag: "--heads <n>", path: "model.heads", description: "attention heads (default 4)" },
  { flag: "--latent-steps <k>", path: "model.latentSteps", description: "K continuous thoughts (default 4)" },
  { flag: "--max-len <n>", path: "model.maxLen", description: "positions per sequence (default: derived)" },
  { flag: "--seed <s>", path: "seed", description: "seed, 0..4294967295 (default 0)" },
  { flag: "--batch-size <n>", path: "batchSize", description: "examples per step (default 64)" },
  { flag: "--lr <x>", path: "optimizer.lr", description: "peak learning rate (default 0.003)" },
  { flag: "--weight-decay <x>", path: "optimizer.weightDecay", description: "AdamW weight decay on matrices (default 0.01)" },
  { flag: "--schedule <name>", path: "optimizer.schedule", description: "cosine or constant (default cosine)" },
  { flag: "--warmup-steps <n>", path: "optimizer.warmupSteps", description: "linear warm-up (default min(100, steps/10))" },
  { flag: "--clip-norm <x>", path: "optimizer.clipNorm", description: 'global gradient-norm clip, or "none" (default 1)' },
  { flag: "--max-steps <n>", path: "budget.maxSteps", description: "step budget (default 1000 when no budget is given)" },
  { flag: "--max-examples <n>", path: "budget.maxExamples", description: "training-example budget" },
  { flag: "--max-flops <x>", path: "budget.maxFlops", description: "FLOP budget (e.g. 1e12)" },
  { flag: "--train-examples <n>", path: "trainExamples", description: 'a fixed training set of n questions, drawn in epochs (default "none": a fresh question every draw)' },
  { flag: "--eval-every <n>", path: "eval.every", description: "validate every n steps (default 250)" },
  { flag: "--val-examples <n>", path: "eval.valExamples", description: "validation set size (default 500)" },
  { flag: "--test-examples <n>", path: "eval.testExamples", description: "test set size (default 1000)" },
  { flag: "--init <run>", path: "init", description: "start from the parameters of a finished run directory (its model.safetensors)" },
  { flag: "--checkpoint-every <n>", path: "checkpointEvery", description: "checkpoint every n steps (default 250)" },
  { flag: "--data <file>", path: "trainData", description: "train on this file's examples (JSON lines from `neuralese data <task> --jsonl`, or Coconut ProsQA JSON); the run is sized to the file and records its sha256" },
  { flag: "--max-bad-steps <n>", path: "faults.maxBadSteps", description: "non-finite steps in a row that count as a numeric fault (default 20)" },
  { flag: "--on-bad-steps <action>", path: "faults.onBadSteps", description: "rollback (to the last checkpoint, lower lr) or stop (default rollback)" },
  { flag: "--backend <name>", path: "backend", description: "jax-js backend: wasm (CPU), webgpu (GPU through the optional webgpu package) or cpu (default wasm; --resume keeps the run's)" },
];

/** Every task's option flags (e.g. --symbols → task.options.symbols); a flag shared by tasks has one key. */
function taskFlags(): ConfigFlag[] {
  const byFlag = new Map<string, ConfigFlag>();
  for (const task of Object.values(TASKS)) {
    for (const spec of task.optionSpecs) {
      const path = `task.options.${spec.key}`;
      const seen = byFlag.get(spec.flag);
      if (seen && seen.path !== path) throw new Error(`task flag ${spec.flag} means ${seen.path} and ${path}`);
      const placeholder = spec.kind === "range" ? "<lo-hi>" : spec.kind === "choice" ? "<name>" : "<n>";
      byFlag.set(spec.flag, seen ?? { flag: `${spec.flag} ${placeholder}`, path, description: `(task ${task.name}) ${spec.description}` });
    }
  }
  return [...byFlag.values()];
}

const ALL_FLAGS = [...RUN_FLAGS, ...taskFlags()];

/** Commander's camelCase name of a flag: "--latent-steps <k>" → "latentSteps". */
const attributeOf = (flag: string) => new Option(flag).attributeName();

/** Add --config, --set and every run-config flag to `cmd` (none with a commander default, so a config file is not overridden). */
export function addRunConfigOptions(cmd: Command): Command {
  cmd.option("--config <file>", "JSON run config; flags override its fields");
  cmd.option("--set <path=value...>", "set any config field, e.g. --set method.options.truncate=3 (value as JSON, else a string)");
  const names = new Set(cmd.options.map((o) => o.long));
  for (const f of ALL_FLAGS) {
    const long = f.flag.split(" ")[0];
    if (names.has(long)) throw new Error(`flag ${long} is defined twice`);
    names.add(long);
    cmd.option(f.flag, f.description);
  }
  return cmd;
}

/** The nested config input that the flags in `opts` (commander's parsed options) describe. */
export function configInputFromFlags(opts: Record<string, unknown>): Record<string, unknown> {
  let input: Record<string, unknown> = {};
  for (const f of ALL_FLAGS) {
    const value = opts[attributeOf(f.flag)];
    if (value !== undefined) input = setPath(input, f.path, flagValue(f.path, String(value)));
  }
  for (const assignment of (opts.set as string[] | undefined) ?? []) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) throw new UserError(`--set needs path=value, got "${assignment}"`, "for example --set optimizer.lr=0.0003");
    input = setPath(input, assignment.slice(0, eq), flagValue(assignment.slice(0, eq), assignment.slice(eq + 1)));
  }
  return input;
}

/** --config file, then flags, resolved into the full config (a --data file sized and digested). Errors are UserErrors naming field and flag. */
export async function runConfigFromCli(opts: Record<string, unknown>, methods?: MethodConfigSpecs): Promise<RunConfig> {
  return translateRunErrors(async () => {
    const file = typeof opts.config === "string" ? await readConfigFile(opts.config) : {};
    const merged = mergeConfigInputs(file, configInputFromFlags(opts));
    return resolveRunConfigWithData(merged, { methods, source: typeof opts.config === "string" ? `${opts.config} + flags` : undefined });
  });
}

/** Config and run-directory errors become the CLI's user errors (exit 2, no stack trace); issues name their flag. */
export async function translateRunErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConfigError) {
      const lines = err.issues.map((i) => {
        const f = ALL_FLAGS.find((x) => x.path === i.path);
        return `  ${formatIssue(f ? { ...i, path: `${i.path} (${f.flag.split(" ")[0]})` } : i)}`;
      });
      throw new UserError(`${err.message.split("\n")[0]}\n${lines.join("\n")}`);
    }
    throwAsUserError(err, RunDirError, DataFileError, TrainingFaultError);
  }
}

/**
 * A flag's text as a config value: numbers, true/false, null and JSON objects/lists parse as
 * JSON; "none" means null (no limit, no clipping); anything else stays a string. Task options
 * stay strings ("1-4"), which the task parses itself. The schema then checks the value.
 */
function flagValue(path: string, text: string): unknown {
  if (path.startsWith("task.options.") || path === "trainData") return text; // a file name stays a string
  if (text === "none") return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function setPath(input: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const parts = path.split(".");
  if (parts.some((p) => p === "")) throw new UserError(`"${path}" is not a config field path`, "for example optimizer.lr");
  let patch: unknown = value;
  for (let i = parts.length - 1; i >= 0; i--) patch = { [parts[i]]: patch };
  return mergeConfigInputs(input, patch) as Record<string, unknown>;
}
