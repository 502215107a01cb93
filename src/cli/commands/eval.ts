// `neuralese eval`: accuracy of a trained run's model on a split (or a data file), overall and per difficulty.
import { Command, Option } from "commander";
import { dispose } from "../../engine/tree.js";
import { flowProfile, type FlowRecipe } from "../../recipes/flow.js";
import { evaluateAtDepths } from "../../runs/evaluate.js";
import { isLooped } from "../../models/index.js";
import { fileSource, loadTrainedModel, readEvalData, RunDir, scoreExamples, type EvalData } from "../../runs/index.js";
import { RUN_METHOD_SPECS } from "../../runs/train-run.js";
import { getTask, SPLITS, type Split } from "../../tasks/index.js";
import { BACKENDS, type Backend } from "../../engine/backends.js";
import { startBackend } from "../engine.js";
import { nonNegativeInt, nonNegativeNumber, oneOf, positiveInt, positiveIntList, probability, UserError } from "../errors.js";
import { EXIT_RULES, type ExitRuleName } from "../../reasoning/index.js";
import { translateRunErrors } from "../run-config.js";

const HALT_INFERENCE = ["threshold", "sample"] as const;
type HaltInference = (typeof HALT_INFERENCE)[number];

export function evalCommand(): Command {
  return new Command("eval")
    .description("evaluate a trained run on a split or a data file; prints accuracy (overall and per difficulty) as JSON")
    .requiredOption("--run <dir>", "run directory written by `neuralese train`")
    .addOption(new Option("--split <split>", "which generated split").argParser(oneOf("--split", SPLITS)).default("test"))
    .option("--data <file>", "score this file's examples instead of a generated split (Coconut ProsQA JSON, graded as Coconut grades it, or JSON lines from `neuralese data <task> --jsonl`)")
    .option("--split-name <name>", "(with --data) what the output calls the file's examples (default: the file's name)")
    .option("--n <n>", "examples (default: the run's eval size for that split; with --data, the whole file)", positiveInt("--n"))
    .option("--seed <s>", "seed of the evaluation examples (default: the run's seed)", nonNegativeInt("--seed"))
    .addOption(new Option("--exit <rule>", "(neuralese) exit rule at inference: fixed, latent-change or answer-kl (default: the run's)").argParser(oneOf("--exit", EXIT_RULES)))
    .option("--exit-threshold <x>", "(neuralese) the exit rule's threshold (default: the run's)", nonNegativeNumber("--exit-threshold"))
    .addOption(new Option("--halt <rule>", "(halting) how inference picks the halting step: threshold (cumulative halting mass) or sample (a Bernoulli draw per block) (default: the run's)").argParser(oneOf("--halt", HALT_INFERENCE)))
    .option("--halt-threshold <x>", "(halting) the cumulative halting mass that stops inference, in (0, 1) (default: the run's; 0.5 PonderNet, 1 − ε ACT)", probability("--halt-threshold"))
    .addOption(new Option("--backend <name>", "jax-js backend: wasm, webgpu or cpu (default: the run's)").argParser(oneOf("--backend", BACKENDS)))
    .option("--recurrence <r,...>", "(looped model) evaluate at each of these depths r, e.g. 1,2,4,8,16,32 (default: the run's model.looped.recurrence)", positiveIntList("--recurrence"))
    .action(async (opts: { run: string; split: Split; data?: string; splitName?: string; n?: number; seed?: number; exit?: ExitRuleName; exitThreshold?: number; halt?: HaltInference; haltThreshold?: number; recurrence?: number[]; backend?: Backend }, cmd: Command) => {
      if (opts.data !== undefined && cmd.getOptionValueSource("split") === "cli") throw new UserError("give --split (a generated split) or --data (a file), not both");
      if (opts.data !== undefined && opts.seed !== undefined) throw new UserError("--seed draws a generated split; a --data file's examples are fixed (leave out --seed)");
      if (opts.data === undefined && opts.splitName !== undefined) throw new UserError("--split-name names a --data file's examples; give --data FILE too");
      const run = await translateRunErrors(() => RunDir.open(opts.run, { methods: RUN_METHOD_SPECS }));
      const cfg = run.config;
      await startBackend(opts.backend ?? cfg.backend);
      const data: EvalData | undefined = opts.data === undefined ? undefined : await translateRunErrors(() => readEvalData(cfg, opts.data!, { n: opts.n, splitName: opts.splitName }));
      const task = data?.task ?? getTask(cfg.task.name);
      const exitGiven = opts.exit !== undefined || opts.exitThreshold !== undefined;
      if (exitGiven && cfg.method.name !== "neuralese") throw new UserError(`--exit and --exit-threshold apply to neuralese runs; this run's method is ${cfg.method.name}`);
      const given = (cfg.method.options.exit ?? {}) as { rule?: ExitRuleName; threshold?: number };
      const exit = { rule: opts.exit ?? given.rule ?? "fixed", threshold: opts.exitThreshold ?? given.threshold ?? 0.01 };
      const haltGiven = opts.halt !== undefined || opts.haltThreshold !== undefined;
      if (haltGiven && cfg.method.name !== "halting") throw new UserError(`--halt and --halt-threshold apply to halting runs; this run's method is ${cfg.method.name}`);
      const halt = { inference: opts.halt ?? cfg.method.options.inference, threshold: opts.haltThreshold ?? cfg.method.options.threshold };
      if (opts.haltThreshold !== undefined && halt.inference === "sample") throw new UserError("--halt-threshold applies to threshold inference; sampling draws the halt from λ_n", "leave out --halt-threshold, or give --halt threshold");
      const methodOptions = exitGiven ? { ...cfg.method.options, exit } : haltGiven ? { ...cfg.method.options, ...halt } : cfg.method.options;
      const { limits, reasoner, recipe, params, info } = await translateRunErrors(() => loadTrainedModel(run, task, methodOptions));
      if (opts.recurrence && !isLooped(reasoner)) {
        dispose(params);
        throw new UserError(`--recurrence applies to runs of a looped model; this run's model is ${cfg.model.kind}`);
      }
      const n = opts.n ?? (opts.split === "val" ? cfg.eval.valExamples : cfg.eval.testExamples);
      const examples = data?.examples ?? task.generate(opts.seed ?? cfg.seed, opts.split, n, cfg.task.options);
      const split = data?.splitName ?? opts.split;
      const source = data ? { data: fileSource(data, examples.length) } : {};
      if (opts.recurrence && isLooped(reasoner)) {
        // accuracy per depth r (and per difficulty at each), the same parameters at every r
        const byRecurrence = await evaluateAtDepths(reasoner, opts.recurrence, recipe, task, params, examples, limits, cfg.batchSize);
        dispose(params);
        console.log(JSON.stringify({ run: run.path, split, ...source, step: info.step, trainedMeanRecurrence: cfg.model.looped?.meanRecurrence, byRecurrence }));
        return;
      }
      const scored = await scoreExamples({ limits, reasoner, recipe, params, info }, task, examples, cfg.batchSize, data?.grading === "coconut");
      // flow: log p(y*|x,z_t) and accuracy along the flow on these held-out questions
      const flow = recipe.name === "flow" ? await flowProfile(recipe as FlowRecipe, reasoner as never, task, params, examples, limits, cfg.batchSize) : undefined;
      dispose(params);
      console.log(JSON.stringify({ run: run.path, split, ...source, step: info.step, ...(exitGiven ? { exit } : {}), ...(haltGiven ? { halt } : {}), ...scored, ...(flow ? { flow } : {}) }));
    });
}
