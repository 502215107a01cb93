// The velocity field's regression target, ĝ = ∇_z log p(y* | x, z) / ‖·‖, against central finite
// differences of the real decoder's log p(y* | x, z) in z (float64 on the exact cpu backend:
// wasm's log is float32-precise). And (wasm, float32): the velocity losses of "regress" and
// "improve" leave the reasoner's gradient alone (the decoder is held fixed in them).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { jit, np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { toFloat64 } from "../../src/engine/gradcheck.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, leaves, ref, type Tree } from "../../src/engine/tree.js";
import { answerLogProb, encode, flow, type FlowObjective, type FlowParams } from "../../src/recipes/flow.js";
import { makeReasoner, type ModelKind, type Reasoner } from "../../src/models/index.js";
import { ascentDirection, logProbGrad } from "../../src/reasoning/index.js";
import { getTask } from "../../src/tasks/index.js";
import { host, randomInput } from "../nn/util.js";

const task = getTask("pointer-chase");
const options = { symbols: 4, maxHops: 2 };
const limits = task.limits(options);
const vocab = task.vocab(options).size;
const DIM = 6;

function setup(model: ModelKind, objective: FlowObjective = "regress", weight = 1) {
  const recipe = flow({ flowSteps: 2, objective, stepSize: 0.5, velocityHidden: 5, velocityWeight: weight });
  const reasoner = makeReasoner({ model, vocab, dim: DIM, layers: 2, heads: 2, maxLen: recipe.sequenceLength(limits) });
  const examples = task.generate(3, "train", 3, options);
  return { recipe, reasoner, examples };
}

for (const model of ["transformer", "gru"] as const) {
  test(`${model}: the velocity target is the unit ∇_z log p(y*|x,z) of finite differences`, async () => {
    await startEngine("cpu");
    const { recipe, reasoner, examples } = setup(model);
    const B = examples.length;
    const params = toFloat64((recipe.init!(reasoner as Reasoner<Tree>, modelKey(2)) as FlowParams).reasoner);
    const batch = () => recipe.frame(examples, limits);
    // z away from the encoder's own latent, so the decoder is not at a special point
    const offset = randomInput(7, [B, DIM]).mul(0.5);
    const zAt = jit((p: Tree, b: Record<string, Array>, off: Array) => {
      const enc = encode(reasoner, p, b.prompt);
      dispose([enc.carry, b.answerIn, b.answerTarget, b.answerMask]);
      return enc.latent.add(off);
    });
    const z = zAt(ref(params), batch(), offset);
    const logProbAt = jit((p: Tree, b: Record<string, Array>, zz: Array) => {
      const enc = encode(reasoner, p, b.prompt.ref);
      const lp = answerLogProb(reasoner, p, enc, zz, b);
      dispose([enc.latent, enc.carry, b]);
      return lp;
    });
    const targetAt = jit((p: Tree, b: Record<string, Array>, zz: Array) => {
      const enc = encode(reasoner, p, b.prompt.ref);
      const f = (x: Array) => answerLogProb(reasoner, p, enc, x, b);
      const t = ascentDirection(f, zz.ref);
      const g = logProbGrad(f, zz);
      dispose([enc.latent, enc.carry, b]);
      return [t.direction, t.logProb, t.gradNorm, g];
    });
    const [direction, lp, norm, g] = (await Promise.all((targetAt(ref(params), batch(), z.ref) as Array[]).map(host)));
    const lp0 = await host(logProbAt(ref(params), batch(), z.ref));
    assert.ok(lp0.every((v, i) => Math.abs(v - lp[i]) < 1e-12), "log p from the target equals log p");
    assert.ok(lp0.every((v) => v < 0), `log p must be negative: ${lp0}`);
    // central differences: coordinate d of every example at once (examples are independent)
    const eps = 1e-6;
    const numeric: number[] = globalThis.Array.from({ length: B * DIM }, () => 0);
    for (let d = 0; d < DIM; d++) {
      const e = np.zeros([B, DIM], { dtype: np.float64 }).add(np.equal(np.arange(DIM), d).astype(np.float64).mul(eps));
      const plus = await host(logProbAt(ref(params), batch(), z.ref.add(e.ref)));
      const minus = await host(logProbAt(ref(params), batch(), z.ref.sub(e)));
      for (let b = 0; b < B; b++) numeric[b * DIM + d] = (plus[b] - minus[b]) / (2 * eps);
    }
    for (let b = 0; b < B; b++) {
      const row = numeric.slice(b * DIM, (b + 1) * DIM);
      const n = Math.hypot(...row);
      assert.ok(n > 1e-3, `example ${b}: gradient too small to test (${n})`);
      assert.ok(Math.abs(norm[b] - n) < 1e-6 * Math.max(1, n), `example ${b}: ‖∇‖ ${norm[b]} vs numeric ${n}`);
      for (let d = 0; d < DIM; d++) {
        const i = b * DIM + d;
        assert.ok(Math.abs(g[i] - numeric[i]) < 1e-6 * Math.max(1, n), `∇[${b},${d}] ${g[i]} vs numeric ${numeric[i]}`);
        assert.ok(Math.abs(direction[i] - numeric[i] / n) < 1e-6, `ĝ[${b},${d}] ${direction[i]} vs numeric ${numeric[i] / n}`);
      }
    }
    dispose([params, z]);
    for (const f of [zAt, logProbAt, targetAt]) f.dispose();
  });
}

for (const objective of ["regress", "improve"] as const) {
  test(`${objective}: the velocity loss moves the velocity only, never the reasoner`, async () => {
    await startEngine("wasm");
    const grads = async (weight: number) => {
      const { recipe, reasoner, examples } = setup("transformer", objective, weight);
      const p = recipe.init!(reasoner as Reasoner<Tree>, modelKey(4)) as FlowParams;
      // a field that moves z (the output layer starts at zero)
      p.velocity.out.w.dispose();
      p.velocity.out.w = randomInput(5, [5, DIM]).astype(np.float32);
      const f = jit((pp: Tree, b: Record<string, Array>) => recipe.lossAndGrad(reasoner, pp, b).grads);
      const g = f(ref(p as Tree), recipe.frame(examples, limits)) as FlowParams;
      const out = { reasoner: await Promise.all(leaves(g.reasoner).map(host)), velocity: await Promise.all(leaves(g.velocity).map(host)) };
      f.dispose();
      dispose(p as Tree);
      return out;
    };
    const [off, on] = [await grads(0), await grads(1)];
    const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((x, i) => x.map((v, j) => Math.abs(v - b[i][j]))));
    assert.ok(maxDiff(off.reasoner, on.reasoner) < 1e-6, `reasoner gradient changed by ${maxDiff(off.reasoner, on.reasoner)}`);
    assert.ok(maxDiff(off.velocity, on.velocity) > 1e-6, "the velocity loss must move the velocity");
  });
}

test("every objective's gradient is finite from init, where the field is exactly zero", async () => {
  await startEngine("wasm");
  for (const objective of ["regress", "improve", "bptt"] as const) {
    const { recipe, reasoner, examples } = setup("transformer", objective);
    const p = recipe.init!(reasoner as Reasoner<Tree>, modelKey(4));
    const f = jit((pp: Tree, b: Record<string, Array>) => recipe.lossAndGrad(reasoner, pp, b).grads);
    const g = await Promise.all(leaves(f(ref(p), recipe.frame(examples, limits))).map(host));
    assert.ok(g.every((leaf) => leaf.every(Number.isFinite)), `${objective}: a non-finite gradient`);
    assert.ok(g.some((leaf) => leaf.some((x) => x !== 0)), `${objective}: an all-zero gradient`);
    f.dispose();
    dispose(p);
  }
});
