import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { addRunConfigOptions, runConfigFromCli } from "../../src/cli/run-config.js";
import { UserError } from "../../src/cli/errors.js";

/** Parse `args` as a command with the run-config flags and resolve them. */
async function resolve(...args: string[]) {
  const cmd = addRunConfigOptions(new Command("train").exitOverride());
  cmd.parse(args, { from: "user" });
  return runConfigFromCli(cmd.opts());
}

async function userError(...args: string[]): Promise<string> {
  try {
    await resolve(...args);
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`${args.join(" ")} should fail`);
}

test("flags set config fields; task flags set task options; --set reaches any field", async () => {
  const c = await resolve("--model", "gru", "--latent-steps", "8", "--max-examples", "640", "--clip-norm", "none", "--train-hops", "3-4", "--set", "method.options.gradNorm=true", "--set", "optimizer.b2=0.99");
  assert.equal(c.model.kind, "gru");
  assert.equal(c.model.latentSteps, 8);
  assert.deepEqual(c.budget, { maxSteps: null, maxExamples: 640, maxFlops: null });
  assert.equal(c.optimizer.clipNorm, null);
  assert.deepEqual(c.task.options.trainHops, { min: 3, max: 4 });
  assert.deepEqual(c.method.options, { gradNorm: true });
  assert.equal(c.optimizer.b2, 0.99);
});

test("flags win over the --config file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "neuralese-flags-"));
  try {
    const file = join(dir, "run.json");
    writeFileSync(file, JSON.stringify({ seed: 4, model: { dim: 32, latentSteps: 2 }, optimizer: { lr: 0.01 } }));
    const c = await resolve("--config", file, "--latent-steps", "6", "--lr", "3e-4");
    assert.deepEqual([c.seed, c.model.dim, c.model.latentSteps, c.optimizer.lr], [4, 32, 6, 3e-4]);
    writeFileSync(file, JSON.stringify({ modle: {} }));
    assert.match(await userError("--config", file), /invalid run config \(.*run\.json \+ flags\):\n  unknown field "modle"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad flag values are user errors naming the field and the flag", async () => {
  assert.match(await userError("--dim", "wide"), /model\.dim \(--dim\): got "wide"; expected a number/);
  assert.match(await userError("--model", "rnn"), /model\.kind \(--model\): got "rnn"; allowed: "transformer", "gru", "lstm"/);
  assert.match(await userError("--symbols", "1"), /task\.options\.symbols \(--symbols\): got "1"; must be an integer in 2\.\./);
  assert.match(await userError("--task", "parity", "--symbols", "8"), /unknown task option "task\.options\.symbols" for task parity/);
  assert.match(await userError("--set", "optimizer.lr"), /--set needs path=value/);
  assert.match(await userError("--config", "/nonexistent/run.json"), /cannot read config file \/nonexistent\/run\.json: no such file/);
});
