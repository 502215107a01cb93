// Resolving a training-run config: schema check, the task's and the method's own checks, and the
// derived defaults, so that config.json holds every setting the run used.
import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { DEFAULT_TASK, getTask, type Limits } from "../tasks/index.js";
import type { ReasonerConfig } from "../models/reasoner.js";
import { loopedSchema, runConfigSchema, type LoopedRunConfig, type ParsedRunConfig, type RunConfig } from "./config-schema.js";
import { ConfigError, issuesFromZod, showValue, type ConfigIssue } from "./config-errors.js";
import { resolveTaskOptions } from "./task-options.js";
import { isPlainObject, jsonErrorLocation } from "./json.js";

/** What a method contributes to config checking (the method registry supplies these). */
export interface MethodConfigSpec<Options extends object = Record<string, unknown>> {
  /** The method's options: a strict zod object with defaults; its output is what config.json holds. */
  options: z.ZodType<Options>;
  /** Positions one sequence needs when the default (framing + question + K + answer) is too few, e.g. token CoT. */
  maxLen?(limits: Limits, latentSteps: number, options: Options): number;
  /** Whether a looped model trains this method (by depth sampling in place of its trainer). */
  looped?: boolean;
}

export type MethodConfigSpecs = Readonly<Record<string, MethodConfigSpec<any>>>;

export interface ResolveOptions {
  /** Method specs by name. Without them any method name passes and its options stay an unchecked record. */
  methods?: MethodConfigSpecs;
  /** Named in the error message (e.g. the --config file). */
  source?: string;
}

/** Framing tokens around question, thoughts and answer: <bos> <bot> <eot> <ans> <eos>, one spare. */
const FRAMING_TOKENS = 6;
const DEFAULT_MAX_STEPS = 1000;

/** Check `input` and fill in every default. Throws ConfigError listing all problems. */
export function resolveRunConfig(input: unknown, opts: ResolveOptions = {}): RunConfig {
  const parsed = runConfigSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    // the task's own checks too, when its section is well-formed, so that one pass shows every problem
    const task = isPlainObject(input) && isPlainObject(input.task) ? input.task : {};
    const name = task.name ?? DEFAULT_TASK, options = task.options ?? {};
    const taskResult = typeof name === "string" && isPlainObject(options) ? resolveTaskOptions(name, options) : undefined;
    const taskIssues = taskResult && "issues" in taskResult ? taskResult.issues : [];
    throw new ConfigError([...issuesFromZod(parsed.error, runConfigSchema), ...taskIssues], opts.source);
  }
  const c = parsed.data;
  const issues: ConfigIssue[] = [];

  const taskResult = resolveTaskOptions(c.task.name, c.task.options);
  if ("issues" in taskResult) issues.push(...taskResult.issues);
  const methodResult = resolveMethodOptions(c.method.name, c.method.options, opts.methods);
  if ("issues" in methodResult) issues.push(...methodResult.issues);
  issues.push(...checkModel(c.model), ...checkLoopedMethod(c, opts.methods));
  if (issues.length > 0) throw new ConfigError(issues, opts.source);

  const task = "task" in taskResult ? taskResult : undefined!;
  const method = "options" in methodResult ? methodResult : undefined!;
  const taskLimits = task.task.limits(task.options);
  const limits = c.task.limits ? coveringLimits(taskLimits, c.task.limits) : taskLimits;
  let needed: number;
  try {
    // building the method's recipe checks what its schema alone cannot (options against latentSteps)
    needed = method.spec?.maxLen?.(limits, c.model.latentSteps, method.options) ?? defaultMaxLen(limits, c.model.latentSteps);
  } catch (err) {
    throw new ConfigError([{ path: "method.options", message: `method ${c.method.name}: ${(err as Error).message}` }], opts.source);
  }
  if (c.model.maxLen !== undefined && c.model.maxLen < needed) {
    const why = c.task.limits && needed > (method.spec?.maxLen?.(taskLimits, c.model.latentSteps, method.options) ?? defaultMaxLen(taskLimits, c.model.latentSteps))
      ? `the data file${c.trainData ? ` ${c.trainData}` : ""} (questions up to ${limits.maxQuestionLength} tokens, ${limits.maxSteps} steps), this method and latentSteps need at least ${needed}`
      : `this task, method and latentSteps need at least ${needed}`;
    issues.push({ path: "model.maxLen", message: `got ${c.model.maxLen}; ${why} (raise it, or leave it out to size the model to fit)` });
  }
  const budget = {
    maxSteps: c.budget.maxSteps ?? null,
    maxExamples: c.budget.maxExamples ?? null,
    maxFlops: c.budget.maxFlops ?? null,
  };
  if (budget.maxSteps === null && budget.maxExamples === null && budget.maxFlops === null) budget.maxSteps = DEFAULT_MAX_STEPS;
  if (c.trainData !== null && c.trainExamples !== null) {
    issues.push({ path: "trainExamples", message: `got ${c.trainExamples}; a run with trainData trains on the whole file (leave trainExamples out)` });
  }
  const optimizer = resolveSchedule(c.optimizer, budget, c.batchSize, issues);
  if (issues.length > 0) throw new ConfigError(issues, opts.source);

  const recurrent = c.model.kind === "gru" || c.model.kind === "lstm";
  return {
    formatVersion: c.formatVersion,
    task: { name: c.task.name, options: task.options, limits: c.task.limits ? limits : null },
    method: { name: c.method.name, options: method.options },
    model: {
      kind: c.model.kind,
      dim: c.model.dim,
      layers: c.model.layers ?? (recurrent || c.model.kind === "looped" ? 1 : 2),
      heads: c.model.heads ?? (recurrent ? 1 : 4),
      latentSteps: c.model.latentSteps,
      maxLen: c.model.maxLen ?? needed,
      ...(c.model.kind === "looped" ? { looped: resolveLooped(c.model.looped ?? loopedSchema.parse({})) } : {}),
    },
    seed: c.seed,
    batchSize: c.batchSize,
    optimizer,
    budget,
    eval: c.eval,
    trainExamples: c.trainExamples,
    checkpointEvery: c.checkpointEvery,
    trainData: c.trainData,
    trainDataSha256: c.trainDataSha256,
    faults: c.faults,
    init: c.init,
    backend: c.backend,
  };
}

/** The sizes a run pads to: the task's own, or those config.task.limits widens them to (a data file's). */
export function runLimits(cfg: Pick<RunConfig, "task">): Limits {
  const own = getTask(cfg.task.name).limits(cfg.task.options);
  return cfg.task.limits ? coveringLimits(own, cfg.task.limits) : own;
}

/** The element-wise maximum: sizes that fit both. */
export function coveringLimits(a: Limits, b: Limits): Limits {
  return {
    maxQuestionLength: Math.max(a.maxQuestionLength, b.maxQuestionLength),
    maxAnswerLength: Math.max(a.maxAnswerLength, b.maxAnswerLength),
    maxSteps: Math.max(a.maxSteps, b.maxSteps),
    maxStepLength: Math.max(a.maxStepLength, b.maxStepLength),
  };
}

/** The positions a sequence needs without method-specific extras: framing + question + K thoughts + answer. */
export function defaultMaxLen(limits: Limits, latentSteps: number): number {
  return FRAMING_TOKENS + limits.maxQuestionLength + latentSteps + limits.maxAnswerLength;
}

type MethodResolution = { spec?: MethodConfigSpec<any>; options: Record<string, unknown> } | { issues: ConfigIssue[] };

function resolveMethodOptions(name: string, given: Record<string, unknown>, methods?: MethodConfigSpecs): MethodResolution {
  if (!methods) return { options: given };
  const spec = methods[name];
  if (!spec) return { issues: [{ path: "method.name", message: `got ${showValue(name)}; allowed: ${Object.keys(methods).join(", ")}` }] };
  const parsed = spec.options.safeParse(given, { reportInput: true });
  if (!parsed.success) return { issues: issuesFromZod(parsed.error, spec.options, "method.options") };
  return { spec, options: parsed.data as Record<string, unknown> };
}

function checkLoopedMethod(c: ParsedRunConfig, methods?: MethodConfigSpecs): ConfigIssue[] {
  if (c.model.kind !== "looped") {
    return c.model.looped === undefined ? [] : [{ path: "model.looped", message: `applies to model.kind looped only; this model is ${c.model.kind} (leave it out)` }];
  }
  const looped = Object.keys(methods ?? {}).filter((name) => methods![name].looped);
  if (methods?.[c.method.name] && !methods[c.method.name].looped) {
    return [{ path: "model.kind", message: `a looped model trains by sampling its depth per step with the methods ${looped.join(", ")}; method ${c.method.name} has its own trainer (use another model.kind, or one of those methods)` }];
  }
  if (c.method.options.curriculum !== undefined && c.method.options.curriculum !== null) {
    return [{ path: "method.options.curriculum", message: "a looped model does not train with Coconut's curriculum (leave it out, or use model.kind transformer)" }];
  }
  const m = c.model.looped;
  if (m?.maxRecurrence !== undefined && m.maxRecurrence < m.meanRecurrence) {
    return [{ path: "model.looped.maxRecurrence", message: `got ${m.maxRecurrence}; must be at least meanRecurrence (${m.meanRecurrence})` }];
  }
  return [];
}

function resolveLooped(m: NonNullable<ParsedRunConfig["model"]["looped"]>): LoopedRunConfig {
  return {
    ...m,
    maxRecurrence: m.maxRecurrence ?? Math.ceil(3 * m.meanRecurrence),
    recurrence: m.recurrence ?? Math.max(1, Math.round(m.meanRecurrence)),
  };
}

function checkModel(m: ParsedRunConfig["model"]): ConfigIssue[] {
  if (m.kind === "gru" || m.kind === "lstm") {
    return m.heads !== undefined && m.heads !== 1
      ? [{ path: "model.heads", message: `got ${m.heads}; a ${m.kind} has no attention heads (leave it out, or 1)` }]
      : [];
  }
  const heads = m.heads ?? 4;
  return m.dim % heads === 0 ? [] : [{ path: "model.heads", message: `got ${heads}; must divide model.dim (${m.dim})` }];
}

function resolveSchedule(
  o: ParsedRunConfig["optimizer"],
  budget: RunConfig["budget"],
  batchSize: number,
  issues: ConfigIssue[],
): RunConfig["optimizer"] {
  const { warmupSteps, decaySteps, ...rest } = o;
  if (o.schedule === "constant") return { ...rest, warmupSteps: warmupSteps ?? 0, decaySteps: null };
  const steps =
    decaySteps ?? budget.maxSteps ?? (budget.maxExamples !== null ? Math.ceil(budget.maxExamples / batchSize) : null);
  if (steps === null) {
    issues.push({
      path: "optimizer.decaySteps",
      message: "a cosine schedule needs its length: set optimizer.decaySteps, budget.maxSteps or budget.maxExamples (or use schedule constant)",
    });
    return { ...rest, warmupSteps: 0, decaySteps: null };
  }
  const warm = warmupSteps ?? Math.min(100, Math.floor(steps / 10));
  if (warm >= steps) {
    issues.push({ path: "optimizer.warmupSteps", message: `got ${warm}; must be below the cosine length (${steps} steps)` });
  }
  return { ...rest, warmupSteps: warm, decaySteps: steps };
}

/**
 * Deep merge for layering config sources: plain objects merge key by key, anything else in
 * `override` (numbers, strings, lists, null) replaces; `undefined` leaves `base` as it is.
 */
export function mergeConfigInputs(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = mergeConfigInputs(base[k], v);
  return out;
}

/** Read a --config JSON file (unresolved input). Errors name the file and the line. */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (err as Error).message;
    throw new ConfigError([{ path: "", message: `cannot read config file ${path}: ${why}` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ path: "", message: `config file ${path} is not valid JSON: ${jsonErrorLocation(text, err)}` }]);
  }
  if (!isPlainObject(value)) {
    throw new ConfigError([{ path: "", message: `config file ${path} must hold a JSON object, got ${showValue(value)}` }]);
  }
  return value;
}

/** The reasoner's config for a run (vocabulary size from the task). */
export function reasonerConfigOf(config: RunConfig, vocab: number): ReasonerConfig {
  const { kind, dim, layers, heads, maxLen, looped } = config.model;
  const shape = looped && { prelude: looped.prelude, coda: looped.coda, recurrence: looped.recurrence, backpropDepth: looped.backpropDepth };
  return { model: kind, vocab, dim, layers, heads, maxLen, ...(shape ? { looped: shape } : {}) };
}
