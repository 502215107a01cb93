// flow learns a small task, and the field it learns raises log p(y* | x, z_t) along the flow on
// held-out questions; its trainer charges what a flow step runs (fixed seeds, tiny transformer).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { startEngine } from "../../src/engine/backend.js";
import { flow, flowProfile, type FlowObjective, type FlowRecipe } from "../../src/recipes/flow.js";
import { recipeFor } from "../../src/trainers/index.js";
import { forwardFlopsPerExample } from "../../src/trainers/supervised-trainer.js";
import { learnOneHop, limits, task, tinyReasoner as reasonerFor } from "./one-hop.js";

before(async () => {
  await startEngine("wasm");
});

const T = 2;

async function learn(objective: FlowObjective) {
  const recipe = recipeFor("flow", T, { objective, stepSize: 1, velocityHidden: null, velocityWeight: 1 }) as FlowRecipe;
  const r = await learnOneHop(recipe, { inspect: (params, reasoner, val) => flowProfile(recipe, reasoner, task, params, val, limits, 32) });
  return { first: r.first, last: r.last, before: r.before.accuracy, after: r.after.accuracy, profile: r.extra };
}

test("flow (regress) learns one-hop pointer-chase; log p(y*|x,z_t) rises along the flow on held-out questions", async () => {
  const r = await learn("regress");
  assert.ok(r.last < r.first / 2, `loss ${r.first.toFixed(3)} -> ${r.last.toFixed(3)}`);
  assert.ok(r.after >= 0.5 && r.after >= r.before + 0.3, `val accuracy ${r.before} -> ${r.after} (chance 0.25)`);
  const p = r.profile;
  assert.equal(p.n, 64);
  assert.equal(p.logProbAlong.length, T + 1);
  // the profile's last decode is the recipe's own answer
  assert.equal(p.accuracyAlong[T], r.after);
  for (let t = 0; t < T; t++) assert.ok(p.logProbAlong[t + 1] > p.logProbAlong[t], `log p along the flow: ${p.logProbAlong}`);
  assert.ok(p.rising > 0.5, `only ${p.rising} of the questions gain log p from z_0 to z_T`);
});

test("flowTrainer's charge: T = 0 bptt is one plain pass; each flow step adds its decoder passes", () => {
  const charge = (objective: FlowObjective, flowSteps: number) => {
    const recipe = flow({ flowSteps, objective, stepSize: 1, velocityHidden: null, velocityWeight: 1 });
    return { recipe, reasoner: reasonerFor(recipe), c: recipe.trainingCharge(reasonerFor(recipe), limits, 4) };
  };
  const base = charge("bptt", 0);
  const fwd = 4 * forwardFlopsPerExample({ recipe: base.recipe, reasoner: base.reasoner, limits });
  const pos = base.recipe.positions(limits);
  assert.equal(base.c.flops!.forward, fwd);
  assert.equal(base.c.flops!.backward, 2 * fwd);
  assert.equal(base.c.forwardTokens, 4 * (pos.read + pos.think + pos.decode));
  const c = (o: FlowObjective, t: number) => charge(o, t).c;
  const [r1, r2] = [c("regress", 1), c("regress", 2)];
  const decoderTokens = 4 * (2 + limits.maxAnswerLength + 1);
  assert.equal(r2.forwardTokens! - r1.forwardTokens!, decoderTokens); // one more target pass per step
  assert.ok(r2.flops!.forward > r1.flops!.forward && c("bptt", 2).flops!.forward < r2.flops!.forward);
  assert.ok(c("improve", 2).forwardTokens! > r2.forwardTokens!);
});
