import { test } from "node:test";
import assert from "node:assert/strict";
import { np, valueAndGrad, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { liveMemory, startMemoryProbe } from "../../src/engine/memory.js";
import { dispose, type Tree } from "../../src/engine/tree.js";
import {
  adamw,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  linearWarmupCosineDecay,
  makeGuardedTrainStep,
  makeTrainStep,
  sgd,
  type GradientTransformation,
} from "../../src/optim/index.js";
import { fixedValues } from "./reference.js";

await startEngine("wasm");
await startMemoryProbe();

// Least-squares linear regression y = X·w* + b*, fit by a linear model {w, b}.
const [N, D] = [64, 8];
const xs = fixedValues(11, N * D);
const trueW = fixedValues(12, D, 2);
const ys = globalThis.Array.from({ length: N }, (_, i) => trueW.reduce((s, w, j) => s + w * xs[i * D + j], 0.5));

type Params = { w: Array; b: Array };
type Batch = { x: Array; y: Array };
const batch = (): Batch => ({ x: np.array(Float32Array.from(xs)).reshape([N, D]), y: np.array(Float32Array.from(ys)).reshape([N, 1]) });
const initParams = (): Params => ({ w: np.zeros([D, 1]), b: np.zeros([1]) });
// borrows params, consumes the batch (the nn convention makeTrainStep expects)
const loss = (p: Params, { x, y }: Batch) => np.square(np.matmul(x, p.w.ref).add(p.b.ref).sub(y)).mean();

async function train(optimizer: GradientTransformation<any>, steps: number, onStep?: (i: number) => void) {
  const step = makeTrainStep(loss, optimizer);
  let params: Params = initParams();
  let state = optimizer.init(params);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const [value, p, s] = step(params, state, batch());
    losses.push((await value.data())[0]);
    [params, state] = [p, s];
    onStep?.(i);
  }
  step.dispose();
  return { params, state, losses };
}

test("a jitted (params, optState, batch) step equals the same update run eagerly", async () => {
  const optimizer = chain(clipByGlobalNorm(1), adamw({ lr: linearWarmupCosineDecay({ peak: 0.1, warmupSteps: 2, totalSteps: 10 }) }));
  const jitted = await train(optimizer, 4);
  let params: Tree = initParams();
  let state: Tree[] = optimizer.init(params);
  for (let i = 0; i < 4; i++) {
    const [value, grads] = valueAndGrad(loss)(params as never, batch() as never) as [Array, Tree];
    value.dispose();
    const [updates, next]: [Tree, Tree[]] = optimizer.update(grads, state, params);
    [params, state] = [applyUpdates(params, updates), next];
  }
  for (const name of ["w", "b"] as const) {
    const a = await jitted.params[name].data();
    const e = await (params as Params)[name].data();
    a.forEach((v: number, i: number) => assert.ok(Math.abs(v - e[i]) <= 1e-6 * Math.abs(e[i]) + 1e-7, `${name}[${i}]: ${v} vs ${e[i]}`));
  }
  dispose(jitted.state);
  dispose(state);
});

test("AdamW minimises a least-squares regression: loss falls more than 100× in 300 jitted steps", async () => {
  const optimizer = adamw({ lr: linearWarmupCosineDecay({ peak: 0.1, warmupSteps: 10, totalSteps: 300 }), weightDecay: 0 });
  const { params, state, losses } = await train(optimizer, 300);
  assert.ok(losses[299] * 100 < losses[0], `loss ${losses[0]} -> ${losses[299]}`);
  dispose(params);
  dispose(state);
});

test("SGD with momentum also trains under jit", async () => {
  const { params, state, losses } = await train(sgd({ lr: 0.02, momentum: 0.9 }), 100);
  assert.ok(losses[99] * 100 < losses[0], `loss ${losses[0]} -> ${losses[99]}`);
  dispose(params);
  dispose(state);
});

test("the jitted step does not leak: live buffers and the wasm heap stay flat over 50 steps", async () => {
  const optimizer = chain(clipByGlobalNorm(1), adamw({ lr: 0.05 }));
  const snapshots: ReturnType<typeof liveMemory>[] = [];
  const { params, state } = await train(optimizer, 50, () => snapshots.push(liveMemory()));
  const [warm, last] = [snapshots[2], snapshots[49]];
  assert.equal(last.buffers, warm.buffers, `buffers ${warm.buffers} -> ${last.buffers}`);
  assert.equal(last.bytes, warm.bytes);
  assert.equal(last.wasmHeapBytes, warm.wasmHeapBytes);
  dispose(params);
  dispose(state);
});

test("the probe sees a deliberate leak of one batch array per step", async () => {
  const kept: Array[] = [];
  const before = liveMemory();
  const optimizer = sgd({ lr: 0.01 });
  const step = makeTrainStep(loss, optimizer);
  let params: Params = initParams();
  let state = optimizer.init(params);
  for (let i = 0; i < 10; i++) {
    const b = batch();
    kept.push(b.y.ref); // the leak: a reference nobody releases
    const [value, p, s] = step(params, state, b);
    await value.data();
    [params, state] = [p, s];
  }
  const after = liveMemory();
  // 10 leaked [N,1] float32 arrays, on top of the 2 params + 1 count of the live state
  assert.equal(after.buffers - before.buffers, 10 + 3);
  dispose(kept);
  dispose(params);
  dispose(state);
  step.dispose();
  assert.equal(liveMemory().buffers, before.buffers);
});

test("the guarded step skips a non-finite step: parameters and optimizer state stay as they were", async () => {
  const optimizer = adamw({ lr: 0.1 });
  const step = makeGuardedTrainStep((p: Params, b: Batch) => {
    const [value, grads] = valueAndGrad(loss)(p, b) as [Array, Params];
    return { loss: value, grads, metrics: {} };
  }, optimizer);
  const host = async (t: Params) => [...(await t.w.ref.data()), ...(await t.b.ref.data())];
  let params: Params = initParams();
  let state = optimizer.init(params);
  // a good step is applied
  let [value, p, s, metrics, health] = step(params, state, batch());
  assert.equal((await health.applied.data())[0], 1);
  assert.ok((await health.gradNorm.data())[0] > 0);
  dispose([value, metrics] as unknown as Tree);
  [params, state] = [p, s];
  const before = await host(params);
  const countBefore = (await state.count.ref.data())[0];
  // a batch with a NaN target makes the loss NaN: the step is skipped
  const bad = batch();
  bad.y = bad.y.mul(np.array(Float32Array.from({ length: N }, (_, i) => (i === 3 ? NaN : 1))).reshape([N, 1]));
  [value, p, s, metrics, health] = step(params, state, bad);
  assert.ok(Number.isNaN((await value.data())[0]));
  assert.equal((await health.applied.data())[0], 0);
  dispose(metrics as unknown as Tree);
  [params, state] = [p, s];
  assert.deepEqual(await host(params), before);
  assert.equal((await state.count.ref.data())[0], countBefore);
  step.dispose();
  dispose(params);
  dispose(state as unknown as Tree);
});
