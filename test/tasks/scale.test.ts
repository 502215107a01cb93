// Generation at training scale: every task serves 10,000 distinct train problems with its
// default options, or (a task with fewer problems in all, like compose's topic sets) refuses
// with an error that says how many exist and still serves a smaller set of distinct ones.
// (How fast generation is belongs to a benchmark, not a test assertion.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { TASKS, TaskOptionError } from "../../src/tasks/index.js";

test("every task generates 10,000 distinct train problems with its default options, or says how many exist", () => {
  for (const task of Object.values(TASKS)) {
    let n = 10_000;
    try {
      task.generate(1, "train", n);
    } catch (err) {
      assert.ok(err instanceof TaskOptionError, `${task.name}: ${String(err)}`);
      assert.match(err.message, /not enough distinct .* allow \d+ distinct questions/, task.name);
      n = 1000;
    }
    const examples = task.generate(1, "train", n);
    assert.equal(examples.length, n, task.name);
    assert.equal(new Set(examples.map((e) => task.problemKey(e.meta as never))).size, n, `${task.name}: distinct problems`);
  }
});
