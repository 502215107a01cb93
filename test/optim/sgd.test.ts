import { test } from "node:test";
import { startEngine } from "../../src/engine/backend.js";
import { linearWarmupCosineDecay, sgd } from "../../src/optim/index.js";
import { compareWithReference, referenceSgd } from "./reference.js";

await startEngine("cpu"); // exact float32 arithmetic, for comparison with the float64 reference

test("plain SGD matches the float64 reference", async () => {
  await compareWithReference(sgd({ lr: 0.1 }), referenceSgd(() => 0.1, 0, false));
});

test("SGD with momentum matches the float64 reference over 6 steps", async () => {
  await compareWithReference(sgd({ lr: 0.05, momentum: 0.9 }), referenceSgd(() => 0.05, 0.9, false));
});

test("SGD with Nesterov momentum matches the float64 reference", async () => {
  await compareWithReference(sgd({ lr: 0.05, momentum: 0.8, nesterov: true }), referenceSgd(() => 0.05, 0.8, true));
});

test("SGD with a scheduled learning rate reads the step count from its state", async () => {
  const lr = linearWarmupCosineDecay({ peak: 0.2, warmupSteps: 2, totalSteps: 6, end: 0.01 });
  await compareWithReference(sgd({ lr, momentum: 0.5 }), referenceSgd(lr.at, 0.5, false));
});
