// `neuralese train`: one run of a recipe on a task, written to a run directory.
import { Command } from "commander";
import { FAULT_INJECTION_ENV, RunDir, faultInjector, parseFaultInjection } from "../../runs/index.js";
import { RUN_METHOD_SPECS, trainRun } from "../../runs/train-run.js";
import { startBackend } from "../engine.js";
import { UserError } from "../errors.js";
import { createProgress } from "../progress.js";
import { addRunConfigOptions, runConfigFromCli, translateRunErrors } from "../run-config.js";
import { serveDuring } from "./serve.js";

export function trainCommand(): Command {
  const cmd = new Command("train")
    .description("train one recipe on one task; writes config.json, metrics.jsonl, summary.json and model.safetensors to --out")
    .option("--out <dir>", "run directory (default runs/<task>-<method>-<model>-k<K>-s<seed>)")
    .option("--force", "replace a different run already in --out")
    .option("--resume <dir>", "continue a stopped run from its last checkpoint (its config, backend included, is used as saved)")
    .option("--serve", "show a live dashboard of the run on 127.0.0.1 while it trains (see `neuralese serve`)");
  addRunConfigOptions(cmd);
  return cmd.action(async (opts: Record<string, unknown>) => {
    const config = await translateRunErrors(async () =>
      typeof opts.resume === "string" ? (await RunDir.open(opts.resume, { methods: RUN_METHOD_SPECS })).config : runConfigFromCli(opts, RUN_METHOD_SPECS),
    );
    if (typeof opts.resume === "string" && opts.backend !== undefined && opts.backend !== config.backend) {
      throw new UserError(`--backend ${String(opts.backend)}: run ${opts.resume} trains on ${config.backend} (its config.json), and --resume keeps it`, `leave out --backend, or train a new run with --out`);
    }
    const out =
      (opts.resume as string | undefined) ??
      (opts.out as string | undefined) ??
      `runs/${config.task.name}-${config.method.name}-${config.model.kind}-k${config.model.latentSteps}-s${config.seed}`;
    // fault injection (reliability tests only): an environment variable no config or flag can set
    const injection = process.env[FAULT_INJECTION_ENV];
    const faults = injection === undefined ? undefined : faultInjector(await translateRunErrors(async () => parseFaultInjection(injection)));
    if (faults) console.error(`warning: ${FAULT_INJECTION_ENV} is set: injecting non-finite gradients (${injection})`);
    await startBackend(config.backend); // after the config checks: a typo is reported at once
    let progress: ReturnType<typeof createProgress> | undefined;
    const stopServing = opts.serve ? await serveDuring(out) : undefined;
    const summary = await translateRunErrors(() =>
      trainRun(config, () => RunDir.create(out, config, { force: Boolean(opts.force) }), {
        onStep(log, total) {
          progress ??= createProgress({ label: `train ${config.method.name}`, total: total ?? undefined, startStep: log.step - 1 });
          progress.update({ step: log.step, loss: log.loss, accuracy: log.accuracy });
        },
        onEval(step, split, e) {
          progress?.log({ step, split, accuracy: e.accuracy });
        },
        onRollback(e) {
          progress?.log({ step: e.step, rollback: e.rollbacks, from: e.fromStep, lrScale: e.lrScale });
        },
        faults,
      }),
    ).finally(() => stopServing?.());
    progress?.stop();
    console.log(JSON.stringify({ run: out, steps: summary.steps, val: (summary.val as { accuracy: number }).accuracy, test: (summary.test as { accuracy: number }).accuracy }));
  });
}
