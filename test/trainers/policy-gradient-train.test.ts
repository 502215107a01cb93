// grpo, helper-posterior and trice end to end through the training loop (tiny configs, fixed
// seeds): a weak cot run initialises them (--init), the summary records it, the budget charges
// every sampled and scored token, checkpoints hold the extra trees (reference, helper) and TRICE's
// memory; and GRPO with the exact reward raises greedy accuracy over the weak start.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEngine } from "../../src/engine/backend.js";
import { ConfigError, RunDir, resolveRunConfig } from "../../src/runs/index.js";
import { RUN_METHOD_SPECS, trainRun } from "../../src/runs/train-run.js";

let dir: string;
before(async () => {
  await startEngine("wasm");
  dir = await mkdtemp(join(tmpdir(), "neuralese-pg-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// 1–2 hops over 4 symbols
const base = {
  task: { name: "pointer-chase", options: { symbols: 4, maxHops: 2, trainHops: "1-2" } },
  model: { dim: 32, layers: 1, heads: 2 },
  seed: 1,
  eval: { every: 1000, valExamples: 64, testExamples: 64 },
  optimizer: { schedule: "constant", warmupSteps: 0 },
};

async function run(name: string, overrides: Record<string, unknown>): Promise<Record<string, any>> {
  const config = resolveRunConfig({ ...base, ...overrides }, { methods: RUN_METHOD_SPECS });
  return trainRun(config, () => RunDir.create(join(dir, name), config));
}

let cotSummary: Record<string, any>;

test("a weak cot run to start from", async () => {
  cotSummary = await run("cot", { method: { name: "cot" }, batchSize: 16, budget: { maxSteps: 60 } });
  assert.ok(cotSummary.test.accuracy > 0.2 && cotSummary.test.accuracy < 0.9, `cot test accuracy ${cotSummary.test.accuracy}`);
  assert.equal(cotSummary.init, null);
});

test("grpo (exact) from the cot run: charges, reference in checkpoints, the sampled reward rises", async () => {
  // a fixed set of 16 questions, so that 30 steps of policy gradient can raise their reward
  const B = 8, G = 4, steps = 30;
  const s = await run("grpo", {
    method: { name: "grpo", options: { groupSize: G, klCoef: 0.04 } },
    batchSize: B,
    trainExamples: 16,
    budget: { maxSteps: steps },
    optimizer: { schedule: "constant", warmupSteps: 0, lr: 1e-3 },
    init: join(dir, "cot"),
  });
  assert.equal(s.init, join(dir, "cot"));
  assert.equal(s.budget.examples, steps * B);
  assert.ok(s.budget.forwardTokens > s.budget.backwardTokens, "sampling and the reference pass are forward only");
  const logs = (await readFile(join(dir, "grpo", "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l)).filter((l) => l.reward !== undefined);
  const mean = (xs: any[]) => xs.reduce((a, l) => a + l.reward, 0) / xs.length;
  const [first, last] = [mean(logs.slice(0, 8)), mean(logs.slice(-8))];
  assert.ok(last >= first + 0.15, `sampled reward ${first.toFixed(3)} → ${last.toFixed(3)}`);
  const ckpt = await readFile(join(dir, "grpo", "checkpoint", "state.safetensors"));
  assert.ok(ckpt.includes(Buffer.from("reference")), "the checkpoint holds the reference tree");
});

test("grpo (loglik), helper-posterior and trice run end to end", async () => {
  const short = { batchSize: 4, budget: { maxSteps: 3 }, init: join(dir, "cot"), checkpointEvery: 2 };
  const loglik = await run("grpo-loglik", { ...short, method: { name: "grpo", options: { groupSize: 2, reward: "loglik", updatesPerRound: 2 } } });
  const helper = await run("helper", { ...short, method: { name: "helper-posterior", options: { groupSize: 2, helperWarmup: 1 } } });
  const trice = await run("trice", { ...short, trainExamples: 8, method: { name: "trice", options: { subsample: 6, memoryInit: "sample" } } });
  for (const s of [loglik, helper, trice]) {
    assert.equal(s.budget.examples, 12);
    assert.ok(Number.isFinite(s.test.accuracy));
  }
  const lines = (name: string) => readFile(join(dir, name, "metrics.jsonl"), "utf8").then((t) => t.trim().split("\n").map((l) => JSON.parse(l)));
  const h = (await lines("helper")).filter((l) => l.stage !== undefined).map((l) => l.stage);
  assert.deepEqual(h, [1, 1, 2]);
  const t = (await lines("trice")).filter((l) => l.memories !== undefined);
  assert.ok(t.every((l) => Number.isFinite(l.loss) && l.applied));
});

test("init: a directory without a model is a config error naming the field", async () => {
  await assert.rejects(run("bad-init", { method: { name: "cot" }, budget: { maxSteps: 1 }, init: join(dir, "nowhere") }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(String((err as Error).message), /init/);
    return true;
  });
});
