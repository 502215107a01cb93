// `neuralese bet`: the lab's main job. Runs recipes side by side over seeds and budgets (parallel,
// resumable) and writes report.html, results.md and summary.json. `neuralese report DIR`
// re-renders those from the run directories.
import { Command, Option } from "commander";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename, join, resolve } from "node:path";
import { availableArms } from "../../experiments/bet/arms.js";
import { BET_FILES, renderBet, runBet } from "../../experiments/bet/bet.js";
import { BetPlanError, type PlannedRun } from "../../experiments/bet/plan.js";
import { QueueError, redactUrl } from "../../experiments/queue/connection.js";
import { PRESETS, preset, type PresetName } from "../../experiments/bet/presets.js";
import { betSpecSchema, DEFAULT_MONITOR, type BetSpec, type BudgetPoint } from "../../experiments/bet/spec.js";
import { chooseTuned, TUNING_FILES, tuningMarkdown, tuningSpec } from "../../experiments/bet/tune.js";
import type { BetSummary } from "../../report/bet-summary.js";
import { dataTables, summaryTable } from "../../report/bet-markdown.js";
import { verdictText } from "../../report/bet-verdict.js";
import { TASK_NAMES } from "../../tasks/index.js";
import { BACKENDS, type Backend } from "../../engine/backends.js";
import { numberOption, oneOf, positiveInt, throwAsUserError, UserError } from "../errors.js";
import { createProgress } from "../progress.js";
import { serveDuring } from "./serve.js";

interface BetFlags {
  preset: PresetName;
  spec?: string;
  task?: string;
  methods?: string[];
  seeds?: number[];
  tune?: number[];
  tuneSeeds: number[];
  budget?: BudgetPoint[];
  out?: string;
  resume?: boolean;
  jobs: number;
  monitor?: number;
  serve?: boolean;
  queue?: string;
  backend?: Backend;
  evalData?: string;
}

export function betCommand(): Command {
  return new Command("bet")
    .description("run recipes side by side over seeds and budgets; writes DIR/report.html, DIR/results.md, DIR/summary.json")
    .addOption(new Option("--preset <name>", "quick (minutes), standard (every recipe, sweeps), full (5 seeds, every task), hacking (reward hacking on compose and digest), halting (adaptive reasoning length: fixed K against PonderNet and ACT), prosqa (Coconut's ProsQA recipes from scratch, also scored on its real validation file)").argParser(oneOf("--preset", PRESETS)).default("quick"))
    .option("--spec <file>", "a bet spec as JSON (the \"spec\" of a bet.json: tasks, arms, seeds, budgets, base config, target) instead of a preset")
    .addOption(new Option("--task <name>", "run on this task instead of the preset's").argParser(oneOf("--task", TASK_NAMES)))
    .option("--methods <arms>", `comma-separated arms (${[...availableArms().keys()].join(", ")})`, armList)
    .option("--seeds <seeds>", "seeds: n (0..n-1), a range lo-hi, or a list (e.g. 3, 2-4, 5,7)", seedList("--seeds"))
    .option("--tune <lrs>", "instead of the bet, its tuning bet: every arm trained at each of these learning rates (e.g. 1e-3,3e-3,1e-2) on --tune-seeds, judged on validation; writes DIR/tuning.json and tuning.md", lrList)
    .option("--tune-seeds <seeds>", "seeds of the tuning bet, never the bet's own: a seed, a range lo-hi or a list (default 100)", seedList("--tune-seeds", "seed"), [100])
    .option("--budget <points>", "comma-separated budget points, each key=value joined by +: steps=N, examples=N, flops=X, train=N (a fixed training set), e.g. steps=400 or train=256+steps=1000,train=1024+steps=1000", budgetList)
    .option("--out <dir>", "bet directory (default runs/bet-<preset>)")
    .option("--resume", "continue the bet in --out: finished runs are kept, stopped ones continue from their checkpoints")
    .option("--jobs <n>", "runs at a time, each in its own process (default: the number of cores)", positiveInt("--jobs"), availableParallelism())
    .option("--queue <url>", "run through a queue on this Redis instead of local processes: workers anywhere (`neuralese worker --queue URL`) train the runs; redis://[:password@]host:port[/db] or rediss:// (TLS)")
    .addOption(new Option("--backend <name>", "jax-js backend of every run: wasm, webgpu or cpu (default: the spec's base.backend, else wasm); --resume keeps the bet's").argParser(oneOf("--backend", BACKENDS)))
    .option("--monitor <n>", `test questions on which each run's chain is inspected after training (probes, logit lens, cot faithfulness; default ${DEFAULT_MONITOR.n}; 0: off)`, monitorExamples)
    .option("--eval-data <files>", "also score every finished run on these files, comma-separated [name=]path (Coconut ProsQA JSON or `neuralese data --jsonl` lines), for a bet of one task; none: no file (the prosqa preset scores Coconut's prosqa_valid.json)")
    .option("--serve", "show a live dashboard of the bet on 127.0.0.1 while it runs (see `neuralese serve`)")
    .action(async (flags: BetFlags) => {
      const out = flags.out ?? `runs/bet-${flags.preset}`;
      if (flags.resume && flags.backend) throw new UserError("--backend: --resume keeps the backend the bet's runs were planned with (bet.json)", "leave out --backend, or start a new bet with another --out");
      const asked = flags.resume ? undefined : await specFromFlags(flags);
      let spec = asked;
      if (asked && flags.tune) {
        try {
          spec = tuningSpec(asked, flags.tune, flags.tuneSeeds);
        } catch (err) {
          throw new UserError(`--tune-seeds: ${(err as Error).message}`, "choose tuning seeds outside the bet's --seeds");
        }
      }
      const stopServing = flags.serve ? await serveDuring(out) : undefined;
      let done = 0, total = 0, stepsDone = 0, stepsTotal = 0;
      let holders = "", queueDetail = "";
      const stepOf = new Map<string, number>();
      let progress: ReturnType<typeof createProgress> | undefined;
      const show = () => progress?.update({ step: stepsDone, detail: queueDetail ? `runs: ${queueDetail}` : `runs ${done}/${total} done` });
      // Ctrl-C: the runs stay queued in Redis (workers go on with them); a resumed bet finds them again
      const interrupted = () => {
        progress?.stop();
        console.error(`bet ${out}: stopped; its runs stay in the queue and workers go on with them; pick the bet up with: neuralese bet --resume --out ${out} --queue URL`);
        process.exit(130);
      };
      if (flags.queue) process.once("SIGINT", interrupted);
      const tuned = flags.tune && asked ? { lrs: flags.tune, seeds: flags.tuneSeeds, original: asked } : undefined;
      // kept beside the tuning bet so that `neuralese report DIR` (or a resumed bet) redoes the choice
      if (tuned && !existsSync(join(out, BET_FILES.plan))) {
        await mkdir(out, { recursive: true });
        await writeFile(join(out, TUNING_FILES.plan), `${JSON.stringify(tuned, null, 2)}\n`);
      }
      const summary = await runBet(spec, {
        out,
        jobs: flags.jobs,
        resume: Boolean(flags.resume),
        ...(flags.queue ? { queue: { url: flags.queue } } : {}),
        hooks: {
          onPlan(runs: readonly PlannedRun[]) {
            total = runs.length;
            stepsTotal = runs.reduce((a, r) => a + (r.config.budget.maxSteps ?? 0), 0);
            progress = createProgress({ label: "bet", total: stepsTotal || undefined });
            console.error(flags.queue ? `bet ${out}: ${runs.length} runs through the queue on ${redactUrl(flags.queue)}` : `bet ${out}: ${runs.length} runs, ${flags.jobs} at a time`);
          },
          onStep(run, step) {
            stepsDone += step - (stepOf.get(run.id) ?? 0);
            stepOf.set(run.id, step);
            show();
          },
          onQueue(counts) {
            // who holds what, logged when it changes; the counts ride on the bar
            const held = [...counts.holders].map(([run, worker]) => `${run}@${worker}`).join(", ");
            if (held !== holders) progress?.log({ running: held || "(none)" });
            holders = held;
            queueDetail = `${counts.queued} queued, ${counts.running} running, ${counts.done} done, ${counts.failed} failed`;
            show();
          },
          onNotice(line) {
            progress?.log({ notice: line });
          },
          onEnd(run, status) {
            done++;
            const planned = run.config.budget.maxSteps ?? stepOf.get(run.id) ?? 0;
            stepsDone += planned - (stepOf.get(run.id) ?? 0);
            stepOf.set(run.id, planned);
            progress?.log({ run: run.id, status: status.status, ...(status.status === "failed" ? { error: status.error } : { reused: status.reused }) });
            show();
          },
        },
      })
        .catch(betErrors)
        .finally(() => {
          stopServing?.();
          process.off("SIGINT", interrupted);
        });
      progress?.stop();
      printSummary(summary, out);
      await writeTuning(summary, out);
      const failed = summary.runs.filter((r) => r.status !== "finished");
      if (failed.length > 0) {
        throw new UserError(`${failed.length} of ${summary.runs.length} runs did not finish (${failed.map((r) => r.id).join(", ")})`, `see results.md for their errors; rerun with --resume --out ${out} to retry them`);
      }
    });
}

export function reportCommand(): Command {
  return new Command("report")
    .description("re-render a bet's report.html, results.md and summary.json from its run directories")
    .argument("<dir>", "the bet directory")
    .action(async (dir: string) => {
      const summary = await renderBet(dir).catch(betErrors);
      printSummary(summary, dir);
      await writeTuning(summary, dir);
    });
}

/** A tuning bet's choice (tuning.json, tuning.md), when DIR holds its plan; nothing otherwise. */
async function writeTuning(summary: BetSummary, out: string): Promise<void> {
  let plan: { lrs: number[]; seeds: number[]; original: BetSpec };
  try {
    plan = JSON.parse(await readFile(join(out, TUNING_FILES.plan), "utf8"));
  } catch {
    return;
  }
  const { lrs, seeds } = plan;
  const choices = chooseTuned(summary, betSpecSchema.parse(plan.original), lrs);
  const md = tuningMarkdown(choices, seeds, `${Math.round(summary.target.accuracy * 100)}% val`);
  await writeFile(join(out, TUNING_FILES.json), `${JSON.stringify({ lrs, seeds, choices }, null, 2)}\n`);
  await writeFile(join(out, TUNING_FILES.markdown), md);
  console.log(`\n${md}\ntuning: ${join(out, TUNING_FILES.json)}`);
}

function printSummary(summary: BetSummary, dir: string): void {
  if (summary.verdicts.length) console.log(`\nVerdict\n${verdictText(summary)}`);
  for (const task of summary.tasks) console.log(`\n${task}\n${summaryTable(summary, task)}\n${dataTables(summary, task).join("\n")}`);
  console.log(`\nreport: ${join(dir, BET_FILES.report)}\ntables: ${join(dir, BET_FILES.results)}\nsummary: ${join(dir, BET_FILES.summary)}`);
}

async function specFromFlags(flags: BetFlags): Promise<BetSpec> {
  const spec = flags.spec ? await readSpecFile(flags.spec) : preset(flags.preset);
  // a task the preset has keeps its options and config (e.g. --preset halting --task parity)
  if (flags.task) spec.tasks = [spec.tasks.find((t) => t.name === flags.task) ?? { name: flags.task, options: {} }];
  if (flags.methods) spec.arms = flags.methods;
  if (flags.seeds) spec.seeds = flags.seeds;
  if (flags.budget) spec.budgets = flags.budget;
  if (flags.backend) spec.base = { ...spec.base, backend: flags.backend };
  if (flags.evalData !== undefined) spec.evalData = evalDataList(flags.evalData, spec.tasks.map((t) => t.name));
  if (flags.monitor !== undefined) spec.monitor = flags.monitor === 0 ? null : { n: flags.monitor, split: "test" };
  if (spec.arms.length === 0) throw new UserError(`preset ${flags.preset} has no arm this build can run`, "name arms with --methods");
  return spec;
}

/** "a.json,b=c.jsonl" → [{name a, path /abs/a.json}, {name b, …}]; "none" → []. */
function evalDataList(value: string, tasks: string[]): NonNullable<BetSpec["evalData"]> {
  if (value.trim() === "none") return [];
  if (tasks.length !== 1) throw new UserError(`--eval-data scores the runs of one task; this bet has ${tasks.length} (${tasks.join(", ")})`, "add --task NAME, or give each file its task in a --spec's evalData");
  return value.split(",").map((item) => {
    const [name, path] = item.includes("=") ? item.split("=", 2) : [basename(item).replace(/\.[^.]*$/, ""), item];
    if (!/^[A-Za-z0-9._-]+$/.test(name) || !path) throw new UserError(`--eval-data: cannot read "${item}"`, "give [name=]path, the name of letters, digits, . _ -, e.g. --eval-data valid=../shared/data/prosqa/prosqa_valid.json");
    return { name, task: tasks[0], path: resolve(path) };
  });
}

async function readSpecFile(file: string): Promise<BetSpec> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new UserError(`--spec ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`, "give a JSON file holding a bet spec");
  }
  const parsed = betSpecSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ");
    throw new UserError(`--spec ${file} is not a bet spec: ${issues}`, "fields: preset, tasks [{name, options, config?}], arms, seeds, budgets [{id, label, config}], base, target {accuracy, split}");
  }
  return parsed.data;
}

/** A bad plan or an unusable queue is the user's to fix. */
const betErrors = (err: unknown) => throwAsUserError(err, BetPlanError, QueueError);

/** "3" → 0, 1, 2 (`single` "count"; "seed": just 3); "2-4" → 2, 3, 4; "5,7" → 5, 7. */
export function seedList(option: string, single: "count" | "seed" = "count") {
  return (value: string): number[] => {
    const bad = () => new UserError(`${option} must be ${single === "count" ? "a count n (seeds 0..n-1)" : "a seed"}, a range lo-hi or a comma-separated list of seeds, got "${value}"`, `e.g. ${option} 3, ${option} 2-4 or ${option} 5,7`);
    const int = (t: string) => (/^\d+$/.test(t.trim()) ? Number(t) : NaN);
    let seeds: number[];
    if (/^\s*\d+\s*$/.test(value)) seeds = single === "seed" ? [int(value)] : Array.from({ length: int(value) }, (_, i) => i);
    else if (/^\s*\d+\s*-\s*\d+\s*$/.test(value)) {
      const [lo, hi] = value.split("-").map(int);
      seeds = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    } else seeds = value.split(",").map(int);
    if (seeds.length === 0 || seeds.some((s) => !Number.isSafeInteger(s) || s > 4294967295) || new Set(seeds).size !== seeds.length) throw bad();
    return seeds;
  };
}

function lrList(value: string): number[] {
  const lrs = value.split(",").map((t) => Number(t.trim()));
  if (lrs.length === 0 || lrs.some((x) => !(Number.isFinite(x) && x > 0 && x < 10))) {
    throw new UserError(`--tune must be a comma-separated list of learning rates in (0, 10), got "${value}"`, "e.g. --tune 1e-3,3e-3,1e-2");
  }
  return lrs;
}

function armList(value: string): string[] {
  const arms = value.split(",").map((s) => s.trim()).filter(Boolean);
  const known = availableArms();
  const unknown = arms.filter((a) => !known.has(a));
  if (arms.length === 0 || unknown.length > 0) {
    throw new UserError(`--methods: unknown arm ${unknown.join(", ") || "(none given)"}`, `the arms are ${[...known.keys()].join(", ")}`);
  }
  return arms;
}

const monitorExamples = numberOption("--monitor", "0 (off) or a whole number ≥ 40", (n) => Number.isInteger(n) && (n === 0 || n >= 40), "half the questions fit the probes and half score them, e.g. --monitor 500");

const BUDGET_KEYS: Record<string, (v: number) => Record<string, unknown>> = {
  steps: (v) => ({ budget: { maxSteps: v } }),
  examples: (v) => ({ budget: { maxExamples: v } }),
  flops: (v) => ({ budget: { maxFlops: v } }),
  train: (v) => ({ trainExamples: v }),
};

function budgetList(value: string): BudgetPoint[] {
  return value.split(",").map((point) => {
    let config: Record<string, unknown> = {};
    for (const part of point.split("+")) {
      const [key, raw] = part.split("=");
      const v = Number(raw);
      const make = BUDGET_KEYS[key?.trim()];
      if (!make || !(v > 0) || ((key.trim() !== "flops") && !Number.isInteger(v))) {
        throw new UserError(`--budget: cannot read "${part}"`, "use key=value with key steps, examples, flops or train and a positive value (integer except flops), joined by + within a point, e.g. --budget train=256+steps=1000,steps=400");
      }
      const add = make(v);
      config = { ...config, ...add, budget: { ...(config.budget as object), ...(add.budget as object) } };
    }
    if (!(config.budget && Object.keys(config.budget as object).length)) delete config.budget;
    const id = point.replace(/[^A-Za-z0-9.]+/g, "-");
    return { id, label: point, config };
  });
}
