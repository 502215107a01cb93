import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { prontoqa, type ProntoQAOptions, type Rule } from "../../src/tasks/prontoqa.js";
import { SPECIAL } from "../../src/tasks/vocab.js";
import { commonTaskTests, rangeArb, seedArb } from "./common.js";

const optionsArb: fc.Arbitrary<Partial<ProntoQAOptions>> = fc.record({
  trainHops: rangeArb(1, 8),
  valHops: rangeArb(1, 8),
  testHops: rangeArb(1, 8),
  distractors: fc.integer({ min: 0, max: 6 }),
});

commonTaskTests(prontoqa, optionsArb);

test("prontoqa: applying the gold rules from the queried person's class reaches the answer", () => {
  fc.assert(
    fc.property(seedArb, optionsArb, (seed, options) => {
      const v = prontoqa.vocab(options);
      for (const e of prontoqa.generate(seed, "train", 20, options)) {
        const q = v.decode(e.question);
        const sep = e.question.indexOf(SPECIAL.separator);
        const rules = new Set<string>();
        for (let i = 0; i < sep; i += 3) rules.add(q.slice(i, i + 3).join(" "));
        const [entity, relation, property] = q.slice(sep + 1);
        // the class the question gives the person, then one rule per step
        let at = [...rules].map((r) => r.split(" ")).find(([s, rel]) => s === entity && rel === "is-a")![2];
        let conclusion = "";
        for (const step of e.steps) {
          const [s, rel, o] = v.decode(step);
          assert.ok(rules.has(`${s} ${rel} ${o}`), "each step is a stated rule");
          assert.equal(s, at, "each step applies to the class reached so far");
          if (rel === "is-a") at = o;
          else {
            assert.equal(o, property);
            conclusion = rel;
          }
        }
        assert.notEqual(conclusion, "", "the last step concludes about the property");
        assert.deepEqual(v.decode(e.answer), [conclusion === relation ? "true" : "false"]);
        assert.equal(e.difficulty, e.steps.length);
      }
    }),
    { numRuns: 20 },
  );
});

test("prontoqa: the answer recomputed from meta alone by closing the person's classes", () => {
  fc.assert(
    fc.property(seedArb, optionsArb, (seed, options) => {
      const v = prontoqa.vocab(options);
      for (const e of prontoqa.generate(seed, "test", 20, options)) {
        const { rules, query } = e.meta;
        const classes = new Set([query.entity]);
        for (let grew = true; grew; ) {
          grew = false;
          for (const [s, rel, o] of rules) {
            if (rel === "is-a" && classes.has(s) && !classes.has(o)) {
              classes.add(o);
              grew = true;
            }
          }
        }
        const verdicts = rules.filter(([s, rel, o]) => rel !== "is-a" && o === query.property && classes.has(s)).map(([, rel]) => rel);
        assert.equal(verdicts.length, 1, "exactly one rule decides the property");
        const truth = (verdicts[0] === "is") !== query.negated;
        assert.deepEqual(v.decode(e.answer), [truth ? "true" : "false"]);
        // meta is what the question states
        const q = v.decode(e.question);
        const sep = e.question.indexOf(SPECIAL.separator);
        const stated: Rule[] = [];
        for (let i = 0; i < sep; i += 3) stated.push(q.slice(i, i + 3) as Rule);
        assert.deepEqual(stated, rules);
        assert.deepEqual(q.slice(sep + 1), [query.entity, query.negated ? "is-not" : "is", query.property]);
      }
    }),
    { numRuns: 20 },
  );
});

test("prontoqa: answers are balanced and a decoy chain holds the opposite property", () => {
  const examples = prontoqa.generate(2, "train", 1000);
  const trues = examples.filter((e) => prontoqa.vocab().token(e.answer[0]) === "true").length;
  assert.ok(trues > 400 && trues < 600, `${trues} of 1000 true`);
  for (const e of examples.slice(0, 50)) {
    const about = e.meta.rules.filter(([, rel, o]) => rel !== "is-a" && o === e.meta.query.property);
    assert.deepEqual(about.map(([, rel]) => rel).sort(), ["is", "is-not"]);
  }
});

test("prontoqa: defaults and bad options", () => {
  const o = prontoqa.resolveOptions();
  assert.deepEqual([o.trainHops, o.distractors], [{ min: 1, max: 5 }, 2]);
  assert.deepEqual(prontoqa.limits(), { maxQuestionLength: 3 * (2 * 6 + 2) + 4, maxAnswerLength: 1, maxSteps: 5, maxStepLength: 3 });
  assert.throws(() => prontoqa.generate(0, "train", 1, { trainHops: { min: 1, max: 20 } }), /--train-hops 1-20 is outside the allowed 1\.\.19/);
  assert.throws(() => prontoqa.generate(0, "train", 1, { distractors: 16 }), /--distractors must be an integer in 0\.\.15, got 16/);
});
