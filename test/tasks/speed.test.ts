import { test } from "node:test";
import assert from "node:assert/strict";
import { TASKS } from "../../src/tasks/index.js";

test("every task generates 10,000 examples (default options) in under 3 s", () => {
  for (const task of Object.values(TASKS)) {
    const t0 = performance.now();
    assert.equal(task.generate(1, "train", 10_000).length, 10_000);
    const ms = performance.now() - t0;
    assert.ok(ms < 3000, `${task.name}: ${ms.toFixed(0)} ms`);
  }
});
