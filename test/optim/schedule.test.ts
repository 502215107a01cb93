import { test } from "node:test";
import assert from "node:assert/strict";
import { np, jit, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { constant, linearWarmupCosineDecay, type Schedule } from "../../src/optim/index.js";

await startEngine("cpu");

const peak = 1e-3;
const end = 1e-5;
const schedule = linearWarmupCosineDecay({ peak, warmupSteps: 10, totalSteps: 110, end });

async function traced(s: Schedule, steps: number[], jitted = false): Promise<number[]> {
  const f = (step: Array) => s(step);
  const run = jitted ? jit(f) : f;
  const out: number[] = [];
  for (const step of steps) out.push((await run(np.array(step, { dtype: np.int32 })).data())[0]);
  if (jitted) (run as ReturnType<typeof jit>).dispose();
  return out;
}

const close = (a: number, b: number, rtol = 1e-6) => Math.abs(a - b) <= rtol * Math.abs(b) + 1e-12;

test("warm-up starts at 0 and reaches the peak linearly", () => {
  assert.equal(schedule.at(0), 0);
  assert.ok(close(schedule.at(5), peak / 2));
  assert.ok(close(schedule.at(10), peak));
});

test("cosine decay is halfway at its midpoint and holds `end` from totalSteps on", () => {
  assert.ok(close(schedule.at(60), (peak + end) / 2));
  assert.ok(close(schedule.at(35), end + (peak - end) * 0.5 * (1 + Math.cos(Math.PI / 4))));
  assert.ok(close(schedule.at(110), end));
  assert.ok(close(schedule.at(1000), end));
});

test("the traced schedule (eager and under jit) matches the plain-number one", async () => {
  const steps = [0, 1, 5, 9, 10, 11, 35, 60, 109, 110, 111, 5000];
  const want = steps.map((s) => schedule.at(s));
  for (const jitted of [false, true]) {
    const got = await traced(schedule, steps, jitted);
    got.forEach((g, i) => assert.ok(close(g, want[i], 1e-6), `step ${steps[i]} jit=${jitted}: ${g} vs ${want[i]}`));
  }
});

test("without warm-up the schedule starts at the peak", async () => {
  const s = linearWarmupCosineDecay({ peak: 2, warmupSteps: 0, totalSteps: 4 });
  assert.equal(s.at(0), 2);
  assert.deepEqual(await traced(s, [0, 2, 4]), [2, 1, 0]);
});

test("constant is constant, traced or not", async () => {
  const c = constant(0.25);
  assert.equal(c.at(123), 0.25);
  assert.deepEqual(await traced(c, [0, 7], true), [0.25, 0.25]);
});

test("bad schedule arguments are rejected with a clear message", () => {
  assert.throws(() => linearWarmupCosineDecay({ peak: 1, warmupSteps: 10, totalSteps: 10 }), /0 <= warmupSteps < totalSteps/);
  assert.throws(() => linearWarmupCosineDecay({ peak: 1, warmupSteps: -1, totalSteps: 10 }), /warmupSteps/);
});
