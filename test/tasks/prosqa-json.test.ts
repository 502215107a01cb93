import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { fromCoconut, readCoconutProsQA, toCoconut, writeCoconutProsQA, type CoconutProsQAItem } from "../../src/tasks/prosqa-json.js";
import { prosqa } from "../../src/tasks/prosqa.js";
import { seedArb } from "./common.js";

// Coconut's released validation split, kept beside the clone (../shared), not in the repository
const validPath = fileURLToPath(new URL("../../../shared/data/prosqa/prosqa_valid.json", import.meta.url));
const haveValid = existsSync(validPath);

test(
  "prosqa-json: Coconut's prosqa_valid.json reads into examples and writes back identical",
  { skip: haveValid ? false : `${validPath} is absent (it lives in ../shared beside the clone)` },
  () => {
    const text = readFileSync(validPath, "utf8");
    const original = JSON.parse(text) as CoconutProsQAItem[];
    const examples = readCoconutProsQA(text);
    assert.equal(examples.length, 300);
    assert.deepEqual(JSON.parse(writeCoconutProsQA(examples)), original);
    for (const [i, e] of examples.entries()) {
      assert.equal(prosqa.grade(e, e.answer), 1);
      assert.equal(e.difficulty, original[i].steps.length);
      assert.equal(prosqa.vocab().token(e.answer[0]), original[i].idx_to_symbol[original[i].target]);
    }
    const steps = examples.map((e) => e.steps.length);
    assert.deepEqual([Math.min(...steps), Math.max(...steps)], [3, 6]);
  },
);

test("prosqa-json: generated examples survive writing to Coconut's format and reading back", () => {
  fc.assert(
    fc.property(seedArb, fc.integer({ min: 8, max: 30 }), (seed, nodes) => {
      const examples = prosqa.generate(seed, "test", 10, { nodes, testSteps: { min: 1, max: 5 } });
      const back = readCoconutProsQA(writeCoconutProsQA(examples));
      assert.deepEqual(back, examples);
    }),
    { numRuns: 15 },
  );
});

test("prosqa-json: inconsistent items are refused with the reason", () => {
  const [e] = prosqa.generate(1, "train", 1);
  const good = toCoconut(e);
  const bad = (change: Partial<CoconutProsQAItem>) => () => fromCoconut({ ...good, ...change });
  assert.throws(bad({ answer: "Nobody is a wumpus." }), /answer/);
  assert.throws(bad({ steps: good.steps.slice(1) }), /step 0 does not continue the path/);
  assert.throws(bad({ edges: good.edges.slice(1) }), /is not one of the edges|facts for/);
  assert.throws(bad({ question: good.question.replace(/\?$/, ".") }), /Is X a A or B/);
  assert.throws(() => readCoconutProsQA(JSON.stringify([good, { ...good, root: 1 - good.root }])), /item 1:/);
});
