// Generation at training scale: every task serves 10,000 train examples with its default
// options, all distinct problems. (How fast is a benchmark question, not a test assertion.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { TASKS } from "../../src/tasks/index.js";

test("every task generates 10,000 distinct train problems with its default options", () => {
  for (const task of Object.values(TASKS)) {
    const examples = task.generate(1, "train", 10_000);
    assert.equal(examples.length, 10_000, task.name);
    assert.equal(new Set(examples.map((e) => task.problemKey(e.meta as never))).size, 10_000, `${task.name}: distinct problems`);
  }
});
