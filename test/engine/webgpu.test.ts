// The WebGPU backend (Dawn through the optional `webgpu` package) against wasm, in one process:
// every nn layer's forward and gradient, and one jitted training step of each model kind, with
// neuralese BPTT through K = 2 latent steps. In CI this runs over Mesa's lavapipe (a software
// Vulkan driver), which compiles each jitted function slowly (tens of seconds): so few, tiny jits.
// Measured with a cold shader cache on a shared 2-core VM: 158 s of CPU (340 s wall), the
// transformer's step more than half of it.
//
// Tolerance: max |webgpu − wasm| ≤ 1e-4 · max |wasm| over a group of arrays: each forward output on
// its own, each layer's parameter gradients together, a model's whole gradient (and its updated
// parameters) together. Elementwise relative error means nothing at entries that are zero in exact
// arithmetic: attention's key-bias gradient is such a one (softmax ignores a shift shared by all
// keys), float32 noise of 5e-7 on wasm, and differently rounded noise on the GPU. Both backends
// compute in float32 but sum in different orders (GPU tree reductions), so agreement to a few
// float32 ulps of a group's largest entry is what can be defended; measured errors are printed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { activeAdapter, startEngine, WebGpuUnavailableError } from "../../src/engine/backend.js";
import { grad, jit, np, type Array } from "../../src/engine/jax.js";
import { DataRng, modelKey, splitKey } from "../../src/engine/rng.js";
import { dispose, flatten, flattenNamed, leafPaths, unflattenNamed, type Tree } from "../../src/engine/tree.js";
import {
  causalSelfAttention,
  embed,
  gruCell,
  initAttention,
  initEmbedding,
  initGru,
  initLayerNorm,
  initLinear,
  initLstm,
  initMlp,
  layerNorm,
  linear,
  lstmCell,
  mlp,
} from "../../src/nn/index.js";
import { sgd } from "../../src/optim/index.js";
import { initParams, recipeFor } from "../../src/trainers/index.js";
import { makeSupervisedStep } from "../../src/trainers/supervised-step.js";
import { makeReasoner, type ModelKind } from "../../src/models/index.js";
import { getTask } from "../../src/tasks/index.js";

const TOLERANCE = 1e-4;

// lavapipe compiles every shader through LLVM: without LLVM's optimisation passes a cold compile
// took 2.3× less CPU here (12 s against 28 s for one small jit(grad)); shaders stay exact, only
// slower to run, and these tests are compile-bound. Read by Mesa when Dawn loads the driver.
process.env.GALLIVM_PERF ??= "nopt";

// Skip only where WebGPU is really absent (no package, no adapter); CI has lavapipe and must not skip.
const unavailable = await startEngine("webgpu").then(
  () => undefined,
  (err: unknown) => {
    if (err instanceof WebGpuUnavailableError) return `${err.message} (${err.hint})`;
    throw err;
  },
);
const skip = unavailable === undefined ? false : `WebGPU unavailable here: ${unavailable}`;
if (unavailable !== undefined && process.env.CI === "true") {
  test("CI has a WebGPU adapter (Mesa lavapipe from bookworm-backports, see .ci/run)", () => {
    assert.fail(`CI must run the WebGPU tests, but ${unavailable}`);
  });
}

/** A host copy of an array: what crosses between the two backends. */
interface HostArray {
  shape: number[];
  dtype: "float32" | "int32";
  data: Float32Array | Int32Array;
}
type HostTree = Record<string, HostArray>;

async function toHost(tree: Tree): Promise<HostTree> {
  const out: HostTree = {};
  for (const [path, x] of Object.entries(flattenNamed(tree))) {
    const dtype = x.dtype === np.int32 ? "int32" : "float32";
    const shape = x.shape.slice();
    const data = await x.data(); // consumes x
    out[path] = { shape, dtype, data: dtype === "int32" ? Int32Array.from(data as ArrayLike<number>) : Float32Array.from(data as ArrayLike<number>) };
  }
  return out;
}

/** A host array on the current default device. */
function deviceArray(h: HostArray): Array {
  return np.array(h.data, { dtype: h.dtype === "int32" ? np.int32 : np.float32 }).reshape(h.shape);
}

/** The host tree as arrays on the current default device. */
function toDevice<T extends Tree>(host: HostTree): T {
  return unflattenNamed(Object.fromEntries(Object.entries(host).map(([path, h]) => [path, deviceArray(h)]))) as T;
}

/** A tree's host copy, and a way to rebuild it on the current device with its exact nesting (empty block lists included). */
async function hostTree(tree: Tree): Promise<{ host: HostTree; onDevice(): Tree }> {
  const names = leafPaths(tree);
  const [, rebuild] = flatten(tree);
  const host = await toHost(tree);
  return { host, onDevice: () => rebuild(names.map((n) => deviceArray(host[n]))) };
}

/** Run `compute` on wasm, then on webgpu, from the same host inputs; both results on the host. */
async function onBoth(compute: () => Promise<HostTree>): Promise<{ wasm: HostTree; webgpu: HostTree }> {
  await startEngine("wasm");
  const wasm = await compute();
  await startEngine("webgpu");
  const webgpu = await compute();
  return { wasm, webgpu };
}

/**
 * Assert that webgpu agrees with wasm: for each group of arrays (`groupOf` a path), the largest
 * |webgpu − wasm| is at most TOLERANCE times the group's largest |wasm|. Returns the worst ratio.
 */
function assertClose(r: { wasm: HostTree; webgpu: HostTree }, what: string, groupOf: (path: string) => string, mayBeZero: string[] = []): number {
  assert.deepEqual(Object.keys(r.webgpu).sort(), Object.keys(r.wasm).sort(), `${what}: same outputs`);
  const scale = new Map<string, number>();
  for (const [path, a] of Object.entries(r.wasm)) {
    const group = groupOf(path);
    let m = scale.get(group) ?? 0;
    for (const x of a.data) m = Math.max(m, Math.abs(x));
    scale.set(group, m);
  }
  let worst = 0;
  for (const [path, a] of Object.entries(r.wasm)) {
    const b = r.webgpu[path];
    assert.deepEqual(b.shape, a.shape, `${what} ${path}: shape`);
    const s = scale.get(groupOf(path))!;
    assert.ok(s > 0 || mayBeZero.includes(groupOf(path)), `${what} ${groupOf(path)}: all zeros on wasm, the comparison would prove nothing`);
    let err = 0;
    for (let i = 0; i < a.data.length; i++) {
      assert.ok(Number.isFinite(b.data[i]), `${what} ${path}[${i}]: webgpu gave ${b.data[i]}`);
      err = Math.max(err, Math.abs(a.data[i] - b.data[i]));
    }
    const rel = s > 0 ? err / s : err; // a group that may be zero (accuracy of an untrained model) must then match exactly
    assert.ok(rel <= TOLERANCE, `${what} ${path}: max |webgpu − wasm| = ${err.toExponential(2)}, ${rel.toExponential(2)} of ${groupOf(path)}'s max |wasm| ${s.toExponential(2)} (> ${TOLERANCE})`);
    worst = Math.max(worst, rel);
  }
  return worst;
}

/** The first `depth` components of a dotted path: the comparison group. */
const prefix = (depth: number) => (path: string) => path.split(".").slice(0, depth).join(".");

/** Host data drawn from a seeded generator (no device rng: both backends get identical inputs). */
function hostNormal(data: DataRng, shape: number[]): HostArray {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, dtype: "float32", data: Float32Array.from({ length: n }, () => (data.int(0, 2000) - 1000) / 500) };
}

test("the adapter is named", { skip }, () => {
  const a = activeAdapter() ?? (assert.fail("no adapter after startEngine(webgpu)") as never);
  assert.ok(a.vendor.length + a.description.length > 0, JSON.stringify(a));
  console.log(`webgpu adapter: ${JSON.stringify(a)}`);
});

test("nn layers: forward outputs and gradients (parameters and inputs) match wasm", { skip }, async (t) => {
  const [B, T, D, V, H] = [2, 4, 8, 6, 2];
  await startEngine("wasm");
  const [k1, k2, k3, k4, k5, k6] = splitKey(modelKey(5), 6);
  const params = await toHost({
    linear: initLinear(k1, D, D),
    embedding: initEmbedding(k2, V, D),
    norm: initLayerNorm(D),
    mlp: initMlp(k3, D, 2 * D),
    attention: initAttention(k4, D, H),
    gru: initGru(k5, D, D),
    lstm: initLstm(k6, D, D),
  } as unknown as Tree);
  const data = new DataRng(11);
  const inputs = { x: hostNormal(data, [B, T, D]), h: hostNormal(data, [B, D]), c: hostNormal(data, [B, D]) };
  const ids: HostArray = { shape: [B, T], dtype: "int32", data: Int32Array.from({ length: B * T }, () => data.int(0, V - 1)) };
  // every layer's output, from one parameter tree and one set of inputs
  const layers = (p: any, x: Array, ids: Array, h: Array, c: Array): Record<string, Array> => {
    const step = lstmCell(p.lstm, { h: h.ref, c }, x.ref.slice([], 0));
    return {
      linear: linear(p.linear, x.ref),
      embedding: embed(p.embedding, ids),
      norm: layerNorm(p.norm, x.ref),
      mlp: mlp(p.mlp, x.ref),
      attention: causalSelfAttention(p.attention, x.ref, H),
      gru: gruCell(p.gru, h, x.slice([], 0)),
      lstmH: step.h,
      lstmC: step.c,
    };
  };
  const weights = Object.fromEntries(["linear", "embedding", "norm", "mlp", "attention", "gru", "lstmH", "lstmC"].map((k, i) => [k, i]));
  const outShapes: Record<string, number[]> = { linear: [B, T, D], embedding: [B, T, D], norm: [B, T, D], mlp: [B, T, D], attention: [B, T, D], gru: [B, D], lstmH: [B, D], lstmC: [B, D] };
  const projections = Object.fromEntries(Object.entries(outShapes).map(([k, s]) => [k, hostNormal(new DataRng(100 + weights[k]), s)]));
  // a scalar that reads every output through a fixed projection: its gradient checks each layer's
  // backward pass; the outputs come back as aux, so one jit (one slow lavapipe compile) does both
  const loss = (args: any): [Array, Record<string, Array>] => {
    const outs = layers(args.params, args.x, args.ids, args.h, args.c);
    let total = np.zeros([]);
    for (const [k, y] of Object.entries(outs)) total = total.add(y.ref.mul(args.w[k]).sum());
    return [total, outs];
  };
  const r = await onBoth(async () => {
    const args = () => ({
      params: toDevice(params),
      x: toDevice<any>({ x: inputs.x }).x,
      ids: toDevice<any>({ ids }).ids,
      h: toDevice<any>({ h: inputs.h }).h,
      c: toDevice<any>({ c: inputs.c }).c,
      w: toDevice(projections),
    });
    const both = jit(grad(loss, { hasAux: true }));
    const [grads, outs] = both(args() as never) as unknown as [{ params: Tree; x: Array; h: Array; c: Array; ids: Array; w: Tree }, Tree];
    both.dispose();
    dispose([grads.ids, grads.w] as never);
    return { ...prefixed("out", await toHost(outs)), ...prefixed("grad", await toHost({ params: grads.params, x: grads.x, h: grads.h, c: grads.c } as Tree)) };
  });
  // groups: out.<layer>, grad.params.<layer>, grad.x, grad.h, grad.c
  const worst = assertClose(r, "nn layers", (path) => (path.startsWith("grad.params.") ? prefix(3)(path) : prefix(2)(path)));
  t.diagnostic(`worst ℓ∞-relative error ${worst.toExponential(2)} over ${Object.keys(r.wasm).length} arrays`);
});

function prefixed(prefix: string, t: HostTree): HostTree {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [`${prefix}.${k}`, v]));
}

/**
 * One jitted training step (the recipe's loss and gradients, then a guarded SGD update) on
 * pointer-chase, tiny: width 16, 1 layer, batch 4. SGD with momentum keeps the gradient itself in
 * its state (trace = g after the first step), so the step's gradients are compared directly.
 */
async function trainingStep(kind: ModelKind, method: "neuralese" | "direct", latentSteps: number): Promise<{ wasm: HostTree; webgpu: HostTree }> {
  const task = getTask("pointer-chase");
  const limits = task.limits({});
  const recipe = recipeFor(method, latentSteps, method === "neuralese" ? { truncate: null, gradNorm: false } : {});
  const reasoner = makeReasoner({
    model: kind,
    vocab: task.vocab({}).size,
    dim: 16,
    layers: 1,
    heads: kind === "gru" || kind === "lstm" ? 1 : 2,
    maxLen: recipe.sequenceLength(limits),
    // looped: the core block alone (no prelude or coda blocks: each block is another slow compile)
    ...(kind === "looped" ? { looped: { prelude: 0, coda: 0, recurrence: 2, backpropDepth: 1 } } : {}),
  });
  await startEngine("wasm");
  const params = await hostTree(initParams(recipe, reasoner, modelKey(3)) as Tree);
  const examples = task.generate(4, "train", 4, {});
  return onBoth(async () => {
    const optimizer = sgd({ lr: 0.5, momentum: 0.5 });
    const step = makeSupervisedStep(recipe, reasoner as never, optimizer as never);
    const p = params.onDevice();
    const state = optimizer.init(p); // zeros shaped like p (borrows it)
    const [loss, p2, s2, metrics, health] = step(p as never, state as never, recipe.frame(examples, limits));
    step.dispose();
    const { trace, count } = s2 as unknown as { trace: Tree; count: Array };
    count.dispose();
    dispose([health.applied, ...Object.values(metrics.diagnostics)] as never);
    return { loss: await scalar(loss), accuracy: await scalar(metrics.accuracy), gradNorm: await scalar(health.gradNorm), ...prefixed("params", await toHost(p2 as Tree)), ...prefixed("grad", await toHost(trace)) };
  });
}

async function scalar(x: Array): Promise<HostArray> {
  return { shape: [], dtype: "float32", data: Float32Array.from(await x.data()) };
}

for (const [kind, method, K] of [
  ["transformer", "neuralese", 2],
  ["gru", "neuralese", 2],
  ["lstm", "neuralese", 2],
  ["looped", "direct", 0],
] as const) {
  const what = method === "neuralese" ? `${kind}, neuralese BPTT through K = ${K} latent steps` : `${kind} (r = 2, backprop through the last 1), direct`;
  test(`one jitted training step matches wasm: ${what}`, { skip }, async (t) => {
    const r = await trainingStep(kind, method, K);
    // groups: loss, accuracy, gradNorm, the whole gradient, all updated parameters
    const worst = assertClose(r, what, prefix(1), ["accuracy"]);
    t.diagnostic(`loss ${r.wasm.loss.data[0]} (wasm) vs ${r.webgpu.loss.data[0]} (webgpu); worst ℓ∞-relative error ${worst.toExponential(2)} over ${Object.keys(r.wasm).length} arrays`);
  });
}
