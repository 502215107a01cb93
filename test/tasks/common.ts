// Property tests every task must pass, run with each task's own option generator.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SPLITS, type Example, type Split, type Task } from "../../src/tasks/task.js";
import { splitOfKey } from "../../src/tasks/splits.js";

export const seedArb = fc.integer({ min: 0, max: 0xffffffff });
export const rangeArb = (lo: number, hi: number) =>
  fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi })).map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) }));

export function commonTaskTests<O>(task: Task<O>, optionsArb: fc.Arbitrary<Partial<O>>, n = 20, numRuns = 15): void {
  const name = task.name;

  test(`${name}: the same seed gives the same examples; a prefix of n is the first n of more`, () => {
    fc.assert(
      fc.property(seedArb, optionsArb, fc.constantFrom(...SPLITS), (seed, options, split) => {
        const a = task.generate(seed, split, n, options);
        assert.deepEqual(task.generate(seed, split, n, options), a);
        assert.deepEqual(task.generate(seed, split, 2 * n, options).slice(0, n), a);
      }),
      { numRuns },
    );
  });

  test(`${name}: splits never share a question, whatever the seeds`, () => {
    fc.assert(
      fc.property(fc.tuple(seedArb, seedArb, seedArb), optionsArb, (seeds, options) => {
        const owner = new Map<string, Split>();
        const questions = new Map<string, Split>();
        SPLITS.forEach((split, i) => {
          for (const e of task.generate(seeds[i], split, n, options)) {
            const key = task.problemKey(e.meta);
            assert.equal(splitOfKey(key), split);
            assert.ok(![...SPLITS].some((s) => s !== split && owner.get(key) === s), `problem ${key} in two splits`);
            const q = e.question.join(",");
            assert.ok(questions.get(q) === undefined || questions.get(q) === split, `question ${q} in two splits`);
            owner.set(key, split);
            questions.set(q, split);
          }
        });
      }),
      { numRuns },
    );
  });

  test(`${name}: the n examples of one call are distinct problems`, () => {
    fc.assert(
      fc.property(seedArb, optionsArb, fc.constantFrom(...SPLITS), (seed, options, split) => {
        const keys = task.generate(seed, split, n, options).map((e) => task.problemKey(e.meta));
        assert.equal(new Set(keys).size, n);
      }),
      { numRuns },
    );
  });

  test(`${name}: the grader accepts the gold answer and rejects every single-token corruption`, () => {
    fc.assert(
      fc.property(seedArb, optionsArb, fc.constantFrom(...SPLITS), (seed, options, split) => {
        const size = task.vocab(options).size;
        for (const e of task.generate(seed, split, 5, options)) {
          assert.equal(task.grade(e, e.answer), 1);
          assert.equal(task.grade(e, [...e.answer]), 1, "a copy of the gold answer");
          e.answer.forEach((gold, i) => {
            for (let t = 0; t < size; t++) {
              if (t === gold) continue;
              const corrupted = e.answer.slice();
              corrupted[i] = t;
              assert.equal(task.grade(e, corrupted), 0, `token ${i} -> ${t}`);
            }
          });
          assert.equal(task.grade(e, e.answer.slice(0, -1)), 0, "truncated");
          assert.equal(task.grade(e, [...e.answer, e.answer[0]]), 0, "extended");
        }
      }),
      { numRuns },
    );
  });

  test(`${name}: examples stay within the configuration's limits and vocabulary`, () => {
    fc.assert(
      fc.property(seedArb, optionsArb, fc.constantFrom(...SPLITS), (seed, options, split) => {
        const limits = task.limits(options);
        const size = task.vocab(options).size;
        for (const e of task.generate(seed, split, n, options)) {
          checkShape(e, size);
          assert.ok(e.question.length <= limits.maxQuestionLength, "question too long");
          assert.ok(e.answer.length <= limits.maxAnswerLength, "answer too long");
          assert.ok(e.steps.length <= limits.maxSteps, "too many steps");
          for (const s of e.steps) assert.ok(s.length <= limits.maxStepLength, "step too long");
        }
      }),
      { numRuns },
    );
  });
}

function checkShape(e: Example, vocabSize: number): void {
  const ids = [...e.question, ...e.answer, ...e.steps.flat()];
  for (const id of ids) assert.ok(Number.isInteger(id) && id >= 0 && id < vocabSize, `token id ${id}`);
  assert.ok(e.answer.length > 0 && e.steps.length > 0);
  assert.ok(Number.isFinite(e.difficulty));
  assert.ok(e.text.length > 0);
  assert.deepEqual(JSON.parse(JSON.stringify(e.meta)), e.meta, "meta survives JSON");
}
