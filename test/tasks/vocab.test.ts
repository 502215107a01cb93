import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { TASKS, getTask, splitOfKey, SPECIAL, SPECIAL_TOKENS, Vocab } from "../../src/tasks/index.js";

test("vocab: the special tokens have the same ids in every task", () => {
  assert.deepEqual(SPECIAL_TOKENS, ["<pad>", "<bos>", "<sep>", "<bot>", "<eot>", "<latent>", "<ans>", "<eos>"]);
  assert.deepEqual(Object.values(SPECIAL), [0, 1, 2, 3, 4, 5, 6, 7]);
  for (const task of Object.values(TASKS)) {
    const v = task.vocab();
    SPECIAL_TOKENS.forEach((t, i) => assert.equal(v.id(t), i, `${task.name}: ${t}`));
  }
});

test("vocab: sizes per default configuration, stable across calls", () => {
  const sizes = Object.fromEntries(Object.values(TASKS).map((t) => [t.name, t.vocab().size]));
  assert.deepEqual(sizes, { "pointer-chase": 24, parity: 13, prosqa: 63, prontoqa: 84, multiply: 21, compose: 48, digest: 22 });
  for (const task of Object.values(TASKS)) assert.deepEqual(task.vocab().tokens, task.vocab().tokens);
});

test("vocab: encode and decode are inverse; unknown tokens and ids are refused", () => {
  const v = new Vocab(["a", "b", "c"]);
  assert.equal(v.size, 11);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: v.size - 1 })), (ids) => {
      assert.deepEqual(v.encode(v.decode(ids)), ids);
      assert.deepEqual(v.encodeText(v.decodeText(ids)), ids);
    }),
  );
  assert.throws(() => v.id("d"), /token "d" is not in the vocabulary/);
  assert.throws(() => v.token(11), /outside the vocabulary/);
  assert.throws(() => new Vocab(["a", "a"]), /duplicate token "a"/);
  assert.throws(() => new Vocab(["<pad>"]), /duplicate token "<pad>"/);
  assert.throws(() => new Vocab(["a b"]), /whitespace/);
});

test("registry: every task by name; an unknown name lists the tasks", () => {
  assert.deepEqual(Object.keys(TASKS), ["pointer-chase", "parity", "prosqa", "prontoqa", "multiply", "compose", "digest"]);
  for (const [name, task] of Object.entries(TASKS)) assert.equal(task.name, name);
  assert.throws(() => getTask("sudoku"), /unknown task "sudoku"; the tasks are pointer-chase, parity, prosqa, prontoqa, multiply, compose, digest/);
});

test("splits: keys hash 80/10/10 into train/val/test", () => {
  const counts = { train: 0, val: 0, test: 0 };
  for (let i = 0; i < 20_000; i++) counts[splitOfKey(`problem ${i}`)]++;
  assert.ok(Math.abs(counts.train / 20_000 - 0.8) < 0.02, JSON.stringify(counts));
  assert.ok(Math.abs(counts.val / 20_000 - 0.1) < 0.01, JSON.stringify(counts));
  assert.ok(Math.abs(counts.test / 20_000 - 0.1) < 0.01, JSON.stringify(counts));
});
