// A training loop written the way the train command uses a run directory: create or resume,
// a metrics line per step, a checkpoint every few steps, then the model and the summary.
// Prints "step N" after each step and finally {"sha256": ...} of the parameters.
// Usage: tsx test/runs/train-in-run-dir.ts DIR [STEP_MS]  (STEP_MS: extra time per step, as a
// bigger model would take, so that a kill can land anywhere in a step)
import { startEngine } from "../../src/engine/backend.js";
import { DataRng } from "../../src/engine/rng.js";
import { Budget } from "../../src/runs/budget.js";
import { RunDir } from "../../src/runs/index.js";
import { MODEL, tinyConfig, tinyTraining, treeHash } from "./tiny-training.js";

await startEngine("wasm");
const stepMs = Number(process.argv[3] ?? 0);
const config = tinyConfig({ budget: { maxSteps: 12 }, checkpointEvery: 3 });
const run = await RunDir.create(process.argv[2], config);
const training = tinyTraining(config);
const s = training.fresh();
let budget = new Budget(config.budget);
if (run.existed) {
  const { checkpoint } = await run.resume({ params: s.params, optimizer: s.optimizer });
  if (checkpoint) {
    [s.params, s.optimizer, s.step] = [checkpoint.trees.params, checkpoint.trees.optimizer, checkpoint.step];
    s.data = DataRng.fromState(checkpoint.dataRng);
    budget = Budget.restore(checkpoint.budget);
  }
}
while (!budget.exhausted()) {
  const [loss] = await training.train(s, 1);
  if (stepMs > 0) await new Promise((resolve) => setTimeout(resolve, stepMs));
  budget.charge({ steps: 1, examples: config.batchSize });
  await run.appendMetrics({ step: s.step, loss });
  if (s.step % config.checkpointEvery === 0) {
    await run.saveCheckpoint({ step: s.step, trees: { params: s.params, optimizer: s.optimizer }, dataRng: s.data.state(), budget: budget.snapshot(), extra: {} });
  }
  console.log(`step ${s.step}`);
}
await run.saveModel(s.params, { step: s.step, vocab: MODEL.vocab });
await run.writeSummary({ step: s.step });
await run.close();
console.log(JSON.stringify({ sha256: await treeHash(s.params) }));
training.dispose();
