// neuralese's feedback option at the recipe level: the mlp operator's parameters are added by the
// recipe's init and trained (they get a gradient), soft-token adds none; both are charged FLOPs.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { jit } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { modelKey } from "../../src/engine/rng.js";
import { dispose, flattenNamed, ref, type Tree } from "../../src/engine/tree.js";
import { initParams, METHODS, recipeFor } from "../../src/trainers/index.js";
import { forwardFlopsPerExample } from "../../src/trainers/supervised-trainer.js";
import { makeReasoner } from "../../src/models/index.js";
import { getTask } from "../../src/tasks/index.js";

before(async () => {
  await startEngine("wasm");
});

const task = getTask("pointer-chase");
const options = { symbols: 4, maxHops: 2, trainHops: { min: 1, max: 2 } };
const limits = task.limits(options);

for (const feedback of ["mlp", "soft-token"] as const) {
  test(`neuralese feedback ${feedback}: parameters, gradients and FLOPs`, async () => {
    const recipe = recipeFor("neuralese", 2, METHODS.neuralese.options.parse({ feedback }));
    const plain = recipeFor("neuralese", 2, METHODS.neuralese.options.parse({}));
    const reasoner = makeReasoner({ model: "transformer", vocab: task.vocab(options).size, dim: 16, layers: 1, heads: 2, maxLen: recipe.sequenceLength(limits) });
    const params = initParams(recipe, reasoner, modelKey(0));
    const names = Object.keys(flattenNamed(params));
    const added = names.filter((n) => n.startsWith("feedback."));
    assert.deepEqual(added.sort(), feedback === "mlp" ? ["feedback.fc1.b", "feedback.fc1.w", "feedback.fc2.b", "feedback.fc2.w", "feedback.norm.bias", "feedback.norm.gain"] : []);
    const step = jit((p: Tree, batch: Record<string, never>) => {
      const out = recipe.lossAndGrad(reasoner, p, batch);
      return [out.loss, out.grads];
    });
    const [loss, grads] = step(ref(params), recipe.frame(task.generate(0, "train", 8, options), limits) as never) as unknown as [{ data(): Promise<Float32Array> }, Tree];
    assert.ok(Number.isFinite((await loss.data())[0]));
    const g = flattenNamed(grads);
    for (const [name, x] of Object.entries(g)) {
      const values = globalThis.Array.from(await x.ref.data(), Number);
      assert.ok(values.every(Number.isFinite), `${name} finite`);
      if (name.startsWith("feedback.fc")) assert.ok(values.some((v) => v !== 0), `${name} gets a gradient`);
    }
    const flops = (r: typeof recipe) => forwardFlopsPerExample({ recipe: r, reasoner, limits });
    assert.ok(flops(recipe) > flops(plain), "the operator's FLOPs are charged");
    step.dispose();
    dispose([params, grads]);
  });
}
