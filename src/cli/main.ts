// Entry point of the `neuralese` command line.
import { Command, CommanderError } from "commander";
import { createRequire } from "node:module";
import { reportError } from "./errors.js";
import { benchCommand } from "./commands/bench.js";
import { trainCommand } from "./commands/train.js";
import { evalCommand } from "./commands/eval.js";
import { dataCommand } from "./commands/data.js";
import { betCommand, reportCommand } from "./commands/bet.js";
import { inspectCommand } from "./commands/inspect.js";
import { serveCommand } from "./commands/serve.js";
import { workerCommand } from "./commands/worker.js";

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };
const debug = process.argv.includes("--debug");

const program = new Command()
  .name("neuralese")
  .description("Train and compare models that reason in neuralese (continuous latent chains of thought).")
  .version(version, "-V, --version", "print the version")
  .option("--debug", "print stack traces on errors")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

program.addCommand(betCommand());
program.addCommand(reportCommand());
program.addCommand(trainCommand());
program.addCommand(evalCommand());
program.addCommand(benchCommand());
program.addCommand(dataCommand());
program.addCommand(inspectCommand());
program.addCommand(serveCommand());
program.addCommand(workerCommand());

// Subcommands added with addCommand do not inherit these settings.
for (const command of program.commands) {
  command.exitOverride().showHelpAfterError("(run with --help for usage)");
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander already printed its message; --help and --version exit 0.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(err, debug);
  }
}
