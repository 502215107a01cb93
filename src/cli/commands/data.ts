// `neuralese data <task>`: print generated examples (text or JSON lines) or their statistics; with
// --data FILE, those of a file's examples (e.g. Coconut's ProsQA JSON), to compare real and generated data.
import { Command, Option } from "commander";
import { TASKS, TASK_NAMES, SPLITS, TaskOptionError, type Split, type Task } from "../../tasks/index.js";
import { parseOptionValue, formatRange } from "../../tasks/options.js";
import { exampleStats, type ExampleStats } from "../../tasks/stats.js";
import { readDataFile, type DataFile } from "../../runs/index.js";
import { UserError, numberOption, positiveInt, oneOf, throwAsUserError } from "../errors.js";
import { translateRunErrors } from "../run-config.js";

interface DataOptions {
  split: Split;
  n?: number;
  seed: number;
  jsonl?: boolean;
  stats?: boolean;
  vocab?: boolean;
  data?: string;
  [taskOption: string]: unknown;
}

export function dataCommand(): Command {
  const data = new Command("data")
    .description(`print generated examples of a task (${TASK_NAMES.join(", ")})`)
    .usage("<task> [options]")
    .argument("[task]", "one of the tasks listed under Commands")
    .allowUnknownOption()
    .exitOverride()
    // reached only when the task is not one of the subcommands below
    .action((name?: string) => {
      const tasks = `the tasks are ${TASK_NAMES.join(", ")}`;
      throw name ? new UserError(`unknown task "${name}"`, tasks) : new UserError("name a task: neuralese data <task>", tasks);
    });
  for (const task of Object.values(TASKS)) data.addCommand(taskCommand(task));
  return data;
}

function taskCommand(task: Task): Command {
  const cmd = new Command(task.name)
    .description(task.description)
    .addOption(new Option("--split <split>", "which split").argParser(oneOf("--split", SPLITS)).default("train"))
    .option("--n <n>", "number of examples (default 10, or 1000 with --stats)", positiveInt("--n"))
    .option("--seed <seed>", "seed, 0..4294967295", parseSeed, 0)
    .option("--jsonl", "one JSON object per line: text, question, answer, steps, difficulty, meta")
    .option("--stats", "print sizes, lengths and the difficulty histogram instead of examples")
    .option("--vocab", "print the vocabulary as a JSON list of tokens (token id = position) instead of examples")
    .option("--data <file>", "read the examples from this file (Coconut ProsQA JSON, or JSON lines) instead of generating them; with --stats, the file's statistics")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");
  for (const spec of task.optionSpecs) {
    const placeholder = spec.kind === "range" ? "<lo-hi>" : spec.kind === "choice" ? "<name>" : "<n>";
    cmd.addOption(new Option(`${spec.flag} ${placeholder}`, spec.description).argParser((v) => asUserError(() => parseOptionValue(spec, v))));
  }
  return cmd.action(async (opts: DataOptions) => {
    const given: Record<string, unknown> = {};
    for (const spec of task.optionSpecs) if (opts[spec.key] !== undefined) given[spec.key] = opts[spec.key];
    const options = asUserError(() => task.resolveOptions(given));
    if (opts.vocab) {
      process.stdout.write(`${JSON.stringify(task.vocab(options).tokens)}\n`);
      return;
    }
    const n = opts.n ?? (opts.stats ? 1000 : 10);
    const file: DataFile | undefined = opts.data === undefined ? undefined : await translateRunErrors(() => readDataFile(opts.data!, task.name, task.vocab(options)));
    if (file && opts.n !== undefined && opts.n > file.examples.length) throw new UserError(`--n ${opts.n} is more than the ${file.examples.length} examples of ${file.path}`);
    const examples = file ? file.examples.slice(0, opts.n ?? file.examples.length) : asUserError(() => task.generate(opts.seed, opts.split, n, options));
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(0); // output piped into `head`
      throw err;
    });
    if (opts.stats) {
      const stats = exampleStats(examples, task.vocab(options).size, file ? file.limits : task.limits(options), task.sizes);
      const header = file ? { task: task.name, file: file.path, sha256: file.sha256 } : { task: task.name, split: opts.split, seed: opts.seed, options };
      process.stdout.write(opts.jsonl ? `${JSON.stringify({ ...header, ...stats })}\n` : formatStats(header, stats));
    } else if (opts.jsonl) {
      const lines = examples.map(({ text, question, answer, steps, difficulty, meta }) =>
        JSON.stringify({ text, question, answer, steps, difficulty, meta }),
      );
      process.stdout.write(`${lines.join("\n")}\n`);
    } else {
      process.stdout.write(`${examples.map((e) => e.text).join("\n\n")}\n`);
    }
  });
}

function formatStats(h: { task: string; split: string; seed: number; options: object } | { task: string; file: string; sha256: string }, s: ExampleStats): string {
  const opts = Object.entries("options" in h ? h.options : {})
    .map(([k, v]) => `${k}=${typeof v === "object" ? formatRange(v) : v}`)
    .join(" ");
  const len = (name: string, l: { min: number; mean: number; max: number }, limit: number) =>
    `${name.padEnd(16)} min ${l.min}  mean ${l.mean}  max ${l.max}  (limit ${limit})`;
  const width = Math.max(...Object.keys(s.difficulty).map((d) => d.length));
  const histogram = Object.entries(s.difficulty).map(
    ([d, c]) => `  ${d.padStart(width)}: ${String(c).padStart(6)}  ${((100 * c) / s.n).toFixed(1).padStart(5)}%  ${"#".repeat(Math.round((40 * c) / s.n))}`,
  );
  const sizes = Object.entries(s.sizes ?? {}).map(([k, l]) => `${k.padEnd(16)} min ${l.min}  mean ${l.mean}  max ${l.max}`);
  return [
    "file" in h ? `${h.task}, file ${h.file} (${h.sha256}): ${s.n} examples` : `${h.task}, split ${h.split}, seed ${h.seed}: ${s.n} examples`,
    "file" in h ? "limits           the file's largest sizes" : `options          ${opts}`,
    `vocabulary       ${s.vocabSize} tokens`,
    len("question length", s.questionLength, s.limits.maxQuestionLength),
    len("answer length", s.answerLength, s.limits.maxAnswerLength),
    len("steps", s.steps, s.limits.maxSteps),
    len("step length", s.stepLength, s.limits.maxStepLength),
    ...sizes,
    "difficulty",
    ...histogram,
    "",
  ].join("\n");
}

const parseSeed = numberOption("--seed", "an integer in 0..4294967295", (seed, text) => /^\d+$/.test(text) && seed <= 0xffffffff);

/** Task errors become the CLI's user errors (message and hint kept). */
function asUserError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throwAsUserError(err, TaskOptionError);
  }
}
