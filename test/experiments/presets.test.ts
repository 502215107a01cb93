import assert from "node:assert/strict";
import { test } from "node:test";
import { checkEvalData } from "../../src/experiments/bet/data-eval.js";
import { planBet } from "../../src/experiments/bet/plan.js";
import { PRESETS, preset } from "../../src/experiments/bet/presets.js";
import { TASK_NAMES, TASKS } from "../../src/tasks/index.js";

test("every preset plans: each run's config resolves, ids are unique", () => {
  for (const name of PRESETS) {
    const spec = preset(name);
    const runs = planBet(spec);
    assert.equal(runs.length, spec.tasks.length * spec.arms.length * spec.budgets.length * spec.seeds.length, name);
    assert.equal(new Set(runs.map((r) => r.id)).size, runs.length, `${name}: unique run ids`);
  }
});

test("quick is the issue's line-up on pointer-chase with 2 seeds; standard is quick's bet at scale; full every exactly graded task and 5 seeds", () => {
  const quick = preset("quick");
  assert.deepEqual(quick.arms, ["direct", "cot", "neuralese", "neuralese-gradnorm", "grpo-loglik", "es"]);
  assert.deepEqual(quick.seeds, [0, 1]);
  assert.deepEqual(quick.tasks.map((t) => t.name), ["pointer-chase"]);
  const standard = planBet(preset("standard"));
  assert.deepEqual(preset("standard").arms, quick.arms);
  // the same model and tuned settings as quick's runs, arm by arm
  for (const r of planBet(quick)) {
    const s = standard.find((x) => x.arm.id === r.arm.id && x.budget === "n1024")!;
    assert.deepEqual([s.config.model, s.config.optimizer, s.config.method, s.config.batchSize], [r.config.model, r.config.optimizer, r.config.method, r.config.batchSize], r.arm.id);
  }
  assert.deepEqual([...new Set(standard.map((r) => r.config.trainExamples ?? "stream"))], [256, 1024, 4096, "stream"]);
  const hacking = preset("hacking");
  assert.deepEqual(hacking.tasks.map((t) => t.name), ["compose", "digest"]);
  assert.ok(hacking.arms.includes("grpo-model") && hacking.arms.includes("grpo-model-clean") && hacking.arms.includes("neuralese"));
  assert.equal(preset("standard").seeds.length, 3);
  assert.ok(preset("standard").budgets.some((b) => "trainExamples" in b.config), "a training-set-size sweep");
  assert.ok(preset("standard").budgets.some((b) => JSON.stringify(b.config).includes("maxFlops")), "a compute sweep");
  const full = preset("full").tasks.map((t) => t.name);
  assert.deepEqual(full, TASK_NAMES.filter((t) => !TASKS[t].inexact));
  assert.ok(full.includes("pointer-chase") && full.includes("prosqa") && !full.includes("compose"));
  assert.equal(preset("full").seeds.length, 5);
});

test("an unknown arm is refused with the list of arms", () => {
  assert.throws(() => planBet({ ...preset("quick"), arms: ["neuralese", "oracle"] }), /unknown arm oracle/);
});

test("hacking: every grpo arm starts from the cot-init run of its own task, seed and budget; an init arm outside the bet is refused", () => {
  const runs = planBet(preset("hacking"));
  const grpo = runs.filter((r) => r.arm.method === "grpo");
  assert.equal(grpo.length, 6 * 3 * 2, "6 grpo arms × 3 seeds × 2 tasks");
  for (const r of grpo) assert.equal(r.initFrom, `${r.task}/cot-init/${r.budget}/s${r.seed}`);
  assert.ok(runs.filter((r) => r.arm.method !== "grpo").every((r) => r.initFrom === undefined));
  const views = new Set(grpo.map((r) => JSON.stringify((r.config.method.options as { rewardModel: unknown }).rewardModel)));
  assert.equal(views.size, 4, "flawed and clean labels × answer and chain views");
  assert.throws(() => planBet({ ...preset("hacking"), arms: ["neuralese", "grpo-model"] }), /grpo-model starts from arm cot-init's runs, which this bet does not run/);
});

test("halting: fixed K against PonderNet and ACT on pointer-chase (hops 1–6 in every split, K 6) and parity's extrapolation split (its own GRU, K 4)", () => {
  const runs = planBet(preset("halting"));
  assert.equal(runs.length, 2 * 3 * 3, "2 tasks × 3 arms × 3 seeds");
  const chase = runs.filter((r) => r.task === "pointer-chase");
  for (const r of chase) {
    const o = r.config.task.options as { trainHops: unknown; testHops: unknown };
    assert.deepEqual(o.trainHops, { min: 1, max: 6 });
    assert.deepEqual(o.testHops, { min: 1, max: 6 });
    assert.equal(r.config.model.kind, "transformer");
    assert.equal(r.config.model.latentSteps, 6);
    assert.equal(r.config.budget.maxSteps, 3000);
  }
  const parity = runs.filter((r) => r.task === "parity");
  for (const r of parity) {
    assert.equal(r.config.model.kind, "gru");
    assert.equal(r.config.model.latentSteps, 4);
    assert.equal(r.config.budget.maxSteps, 4000);
    assert.equal(r.config.eval.testExamples, 480);
    assert.deepEqual((r.config.task.options as { testNonzero: unknown }).testNonzero, { min: 5, max: 8 });
  }
  const rules = new Set(runs.filter((r) => r.arm.method === "halting").map((r) => (r.config.method.options as { rule: string }).rule));
  assert.deepEqual([...rules].sort(), ["act", "pondernet"]);
  // a task's config does not leak into another task's runs
  assert.ok(chase.every((r) => r.config.trainExamples === null && r.config.eval.testExamples === 600));
});

test("prosqa: Coconut's five recipes on --graphs coconut questions (K 6; the curricula 6 stages of one thought a step), every run also scored on Coconut's real validation file, which fits them", async () => {
  const spec = preset("prosqa");
  const runs = planBet(spec);
  assert.deepEqual(spec.arms, ["direct", "cot", "pause-curriculum", "neuralese", "neuralese-curriculum"]);
  assert.equal(runs.length, 5 * 3);
  for (const r of runs) {
    assert.equal((r.config.task.options as { graphs: string }).graphs, "coconut");
    assert.equal(r.config.model.latentSteps, 6);
    const c = (r.config.method.options as { curriculum?: { stages: number; latentPerStep: number } }).curriculum;
    if (r.arm.id.endsWith("-curriculum")) assert.deepEqual([c?.stages, c?.latentPerStep], [6, 1]);
    else assert.ok(!c, r.arm.id);
  }
  assert.deepEqual(spec.evalData?.map((f) => [f.name, f.task, f.path.endsWith("shared/data/prosqa/prosqa_valid.json")]), [["coconut-valid", "prosqa", true]]);
  await checkEvalData(spec.evalData!, runs);
});
