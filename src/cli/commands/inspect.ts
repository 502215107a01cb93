// `neuralese inspect`: how much of a trained run's reasoning chain can be read (issue 12):
// probes and logit lens on a latent chain, written-step faithfulness on a token chain.
import { Command, Option } from "commander";
import { inspectRun, renderInspect, INSPECT_FILE } from "../../experiments/monitor/inspect.js";
import { SPLITS, type Split } from "../../tasks/index.js";
import { BACKENDS, type Backend } from "../../engine/backends.js";
import { RunDir } from "../../runs/index.js";
import { RUN_METHOD_SPECS } from "../../runs/train-run.js";
import { startBackend } from "../engine.js";
import { nonNegativeInt, oneOf, positiveInt, UserError } from "../errors.js";
import { translateRunErrors } from "../run-config.js";

export function inspectCommand(): Command {
  return new Command("inspect")
    .description(`read a trained run's reasoning chain: per-example view, probes and logit lens (latent chains) or written-step faithfulness (cot); writes DIR/${INSPECT_FILE}`)
    .requiredOption("--run <dir>", "run directory written by `neuralese train`")
    .option("--n <n>", "examples to inspect (half fit the probes, half score them)", positiveInt("--n"), 1000)
    .option("--show <n>", "examples printed one by one", nonNegativeInt("--show"), 3)
    .addOption(new Option("--split <split>", "which split").argParser(oneOf("--split", SPLITS)).default("test"))
    .addOption(new Option("--backend <name>", "jax-js backend: wasm, webgpu or cpu (default: the run's)").argParser(oneOf("--backend", BACKENDS)))
    .option("--seed <s>", "seed of the examples and probe split (default: the run's seed)", nonNegativeInt("--seed"))
    .option("--data <file>", "inspect this file's examples (its first --n, or all of it) instead of a generated split (Coconut ProsQA JSON or JSON lines)")
    .option("--split-name <name>", "(with --data) what the report calls the file's examples (default: the file's name)")
    .action(async (opts: { run: string; n: number; show: number; split: Split; seed?: number; data?: string; splitName?: string; backend?: Backend }, cmd: Command) => {
      if (opts.data !== undefined && cmd.getOptionValueSource("split") === "cli") throw new UserError("give --split (a generated split) or --data (a file), not both");
      if (opts.data === undefined && opts.splitName !== undefined) throw new UserError("--split-name names a --data file's examples; give --data FILE too");
      // with --data, --n caps the file's examples (default: all of them)
      const n = opts.data !== undefined && cmd.getOptionValueSource("n") !== "cli" ? undefined : opts.n;
      if (n !== undefined && n < 40) throw new UserError(`--n ${n} is too few for probes with a held-out split; use --n 40 or more (default 1000)`);
      const { config } = await translateRunErrors(() => RunDir.open(opts.run, { methods: RUN_METHOD_SPECS }));
      await startBackend(opts.backend ?? config.backend);
      const report = await translateRunErrors(() => inspectRun(opts.run, { n, split: opts.split, seed: opts.seed, show: opts.show, data: opts.data, splitName: opts.splitName }));
      console.log(renderInspect(report));
    });
}
