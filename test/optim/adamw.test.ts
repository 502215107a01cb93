import { test } from "node:test";
import assert from "node:assert/strict";
import { startEngine } from "../../src/engine/backend.js";
import { dispose, ref } from "../../src/engine/tree.js";
import { adamw, applyUpdates, decayMatricesOnly, linearWarmupCosineDecay } from "../../src/optim/index.js";
import { compareWithReference, deviceTree, hostTree, referenceAdamW, toHost } from "./reference.js";

await startEngine("cpu"); // exact float32 arithmetic, for comparison with the float64 reference

const defaults = { b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.01 };

test("AdamW with defaults matches the float64 reference over 8 steps", async () => {
  await compareWithReference(
    adamw({ lr: 1e-2 }),
    referenceAdamW({ ...defaults, lr: () => 1e-2, decay: () => true }),
    { steps: 8 },
  );
});

test("AdamW with other hyper-parameters, tiny gradients and a schedule matches the reference", async () => {
  const lr = linearWarmupCosineDecay({ peak: 3e-2, warmupSteps: 3, totalSteps: 8 });
  const o = { b1: 0.8, b2: 0.95, eps: 1e-6, wd: 0.1 };
  await compareWithReference(
    adamw({ lr, b1: o.b1, b2: o.b2, eps: o.eps, weightDecay: o.wd, decay: decayMatricesOnly }),
    referenceAdamW({ ...o, lr: lr.at, decay: (name) => name === "layer.w" }),
    { steps: 8, gradScale: 1e-4 },
  );
});

test("the weight-decay mask leaves excluded leaves untouched by decay", async () => {
  // With zero gradients Adam's direction is 0, so the only change is the decay: p·(1 − lr·wd).
  const [lr, wd] = [0.1, 0.5];
  const opt = adamw({ lr, weightDecay: wd, decay: (path) => !path.endsWith(".b") && !path.startsWith("norm.") });
  const start = hostTree(3);
  const params = deviceTree(start);
  const zeros = deviceTree(hostTree(3, 0));
  const [updates, state] = opt.update(zeros, opt.init(params), params);
  const after = await toHost(applyUpdates(params, updates));
  dispose(state);
  assert.deepEqual(after["layer.b"].values, start["layer.b"].values);
  assert.deepEqual(after["norm.g"].values, start["norm.g"].values);
  after["layer.w"].values.forEach((x, i) => {
    const want = start["layer.w"].values[i] * (1 - lr * wd);
    assert.ok(Math.abs(x - want) <= 1e-7 * Math.abs(want) + 1e-9, `layer.w[${i}]: ${x} vs ${want}`);
  });
});

test("AdamW with weight decay says so when update() gets no params", () => {
  const opt = adamw({ lr: 1e-3 });
  const params = deviceTree(hostTree(1));
  const state = opt.init(params);
  assert.throws(() => opt.update(ref(params), state), /weightDecay > 0 needs `params`/);
  dispose(params);
});

test("AdamW refuses a state built for a different tree", () => {
  const opt = adamw({ lr: 1e-3, weightDecay: 0 });
  const state = opt.init({ other: deviceTree(hostTree(1)) });
  assert.throws(() => opt.update(deviceTree(hostTree(2)), state), /adamw mu does not have the structure of the gradients/);
});
