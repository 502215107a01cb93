import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { graphSizes, prosqa, type ProsQAMeta, type ProsQAOptions } from "../../src/tasks/prosqa.js";
import { readCoconutProsQA } from "../../src/tasks/prosqa-json.js";
import { SPECIAL } from "../../src/tasks/vocab.js";
import { commonTaskTests, seedArb } from "./common.js";

const stepsArb = fc.integer({ min: 1, max: 2 }).chain((min) => fc.integer({ min: min + 1, max: min + 3 }).map((max) => ({ min, max })));
const optionsArb: fc.Arbitrary<Partial<ProsQAOptions>> = fc.record({
  nodes: fc.integer({ min: 8, max: 20 }),
  trainSteps: stepsArb,
  valSteps: stepsArb,
  testSteps: stepsArb,
});

commonTaskTests(prosqa, optionsArb);

/** Nodes reachable from `start`, by breadth-first search; returns distances. */
function bfs(edges: [number, number][], start: number): Map<number, number> {
  const dist = new Map([[start, 0]]);
  const queue = [start];
  while (queue.length > 0) {
    const u = queue.shift()!;
    for (const [a, b] of edges) {
      if (a === u && !dist.has(b)) {
        dist.set(b, dist.get(u)! + 1);
        queue.push(b);
      }
    }
  }
  return dist;
}

test("prosqa: the gold steps are a shortest path of stated facts from the root to the answer", () => {
  fc.assert(
    fc.property(seedArb, optionsArb, (seed, options) => {
      const v = prosqa.vocab(options);
      for (const e of prosqa.generate(seed, "train", 20, options)) {
        const q = v.decode(e.question);
        const sep = e.question.indexOf(SPECIAL.separator);
        const facts = new Set<string>();
        for (let i = 0; i < sep; i += 2) facts.add(`${q[i]}>${q[i + 1]}`);
        const [root, optionA, optionB] = q.slice(sep + 1);
        let at = root;
        for (const step of e.steps) {
          const [a, b] = v.decode(step);
          assert.equal(a, at, "each step continues from the last");
          assert.ok(facts.has(`${a}>${b}`), `step ${a} > ${b} is a fact of the question`);
          at = b;
        }
        assert.deepEqual(v.decode(e.answer), [at]);
        assert.ok(at === optionA || at === optionB);
        // and no shorter path exists
        const edges = [...facts].map((f) => f.split(">") as [string, string]);
        const names = [...new Set(edges.flat())];
        const dist = bfs(edges.map(([a, b]) => [names.indexOf(a), names.indexOf(b)]), names.indexOf(root));
        assert.equal(dist.get(names.indexOf(at)), e.steps.length);
        assert.equal(e.difficulty, e.steps.length);
      }
    }),
    { numRuns: 20 },
  );
});

test("prosqa: the answer recomputed from meta alone (the one option the root reaches), and meta matches the question", () => {
  fc.assert(
    fc.property(seedArb, optionsArb, (seed, options) => {
      const v = prosqa.vocab(options);
      for (const e of prosqa.generate(seed, "val", 20, options)) {
        const m: ProsQAMeta = e.meta;
        const reach = bfs(m.edges, m.root);
        const reachable = [m.target, m.neg_target].filter((x) => reach.has(x));
        assert.equal(reachable.length, 1, "exactly one option is reachable");
        assert.deepEqual(v.decode(e.answer), [m.idx_to_symbol[reachable[0]]]);
        const q = v.decode(e.question);
        const sep = e.question.indexOf(SPECIAL.separator);
        const stated: string[] = [];
        for (let i = 0; i < sep; i += 2) stated.push(`${q[i]}>${q[i + 1]}`);
        assert.deepEqual(stated.sort(), m.edges.map(([a, b]) => `${m.idx_to_symbol[a]}>${m.idx_to_symbol[b]}`).sort());
        assert.equal(q[sep + 1], m.idx_to_symbol[m.root]);
        assert.deepEqual(q.slice(sep + 2).sort(), [m.idx_to_symbol[m.target], m.idx_to_symbol[m.neg_target]].sort());
      }
    }),
    { numRuns: 20 },
  );
});

test("prosqa: graphs have Coconut's shape: persons are exactly the parentless nodes, edges go forward, no isolated nodes", () => {
  for (const e of prosqa.generate(5, "train", 300, { nodes: 26, trainSteps: { min: 3, max: 6 } })) {
    const m = e.meta;
    const hasParent = new Set(m.edges.map(([, b]) => b));
    const used = new Set(m.edges.flat());
    m.idx_to_symbol.forEach((name, i) => {
      assert.equal(/pus$/.test(name), hasParent.has(i), `${name} is a person iff it has no parent`);
      assert.ok(used.has(i), `node ${i} has an edge`);
    });
    assert.ok(m.edges.every(([a, b]) => a < b));
    assert.ok(m.root === 0 || m.root === 1);
    assert.ok(e.difficulty >= 3 && e.difficulty <= 6);
  }
});

test("prosqa: defaults and bad options", () => {
  assert.deepEqual(prosqa.resolveOptions(), { graphs: "algorithm1", nodes: 12, trainSteps: { min: 2, max: 4 }, valSteps: { min: 2, max: 4 }, testSteps: { min: 2, max: 4 } });
  assert.equal(prosqa.vocab().size, 8 + 17 + 38);
  assert.throws(() => prosqa.generate(0, "train", 1, { nodes: 41 }), /--nodes must be an integer in 6\.\.40, got 41/);
  assert.throws(() => prosqa.generate(0, "train", 1, { testSteps: { min: 2, max: 11 } }), /--test-steps 2-11 is outside the allowed 1\.\.10 \(.*raise --nodes/);
  // possible in principle but far too rare to draw: fails after a bounded number of draws
  assert.throws(() => prosqa.generate(0, "train", 5, { nodes: 8, trainSteps: { min: 6, max: 6 } }), /too rare to draw/);
});

/** Means of nodes, edges and question length, the step mix (fractions), and the ranges, of a set of ProsQA examples. */
function statistics(examples: { question: number[]; difficulty: number; meta: ProsQAMeta }[]) {
  const sizes = examples.map((e) => ({ ...graphSizes(e.meta), question: e.question.length }));
  const mean = (k: "nodes" | "edges" | "question") => sizes.reduce((s, x) => s + x[k], 0) / sizes.length;
  const range = (k: "nodes" | "edges" | "question") => [Math.min(...sizes.map((x) => x[k])), Math.max(...sizes.map((x) => x[k]))];
  const mix = (d: number) => examples.filter((e) => e.difficulty === d).length / examples.length;
  return { nodes: mean("nodes"), edges: mean("edges"), question: mean("question"), mix: [3, 4, 5, 6].map(mix), ranges: { nodes: range("nodes"), edges: range("edges"), question: range("question") } };
}

// the shared data sit beside the repository (../shared), or two levels up from a worktree under wt/
const validPath = ["../../../shared", "../../../../shared"]
  .map((dir) => fileURLToPath(new URL(`${dir}/data/prosqa/prosqa_valid.json`, import.meta.url)))
  .find((p) => existsSync(p)) ?? "";

test("prosqa --graphs coconut: 400 generated questions match the statistics of Coconut's validation file", { skip: !validPath && "Coconut's ProsQA file is not in ../shared/data/prosqa" }, () => {
  const real = statistics(readCoconutProsQA(readFileSync(validPath, "utf8")));
  const options = { graphs: "coconut" as const };
  const generated = statistics(prosqa.generate(3, "test", 400, options));
  for (const k of ["nodes", "edges", "question"] as const) {
    assert.ok(Math.abs(generated[k] / real[k] - 1) < 0.04, `mean ${k}: generated ${generated[k].toFixed(2)}, real ${real[k].toFixed(2)}`);
  }
  generated.mix.forEach((p, i) => assert.ok(Math.abs(p - real.mix[i]) < 0.05, `${i + 3}-step share: generated ${p.toFixed(3)}, real ${real.mix[i].toFixed(3)}`));
  // every size within the released files' ranges (test and validation: 14–28 nodes, 16–54 edges, 36–112 tokens)
  assert.ok(generated.ranges.nodes[0] >= 14 && generated.ranges.nodes[1] <= 28, `nodes ${generated.ranges.nodes}`);
  assert.ok(generated.ranges.edges[0] >= 16 && generated.ranges.edges[1] <= 54, `edges ${generated.ranges.edges}`);
  assert.deepEqual(prosqa.limits(options), { maxQuestionLength: 112, maxAnswerLength: 1, maxSteps: 6, maxStepLength: 2 });
  // the algorithm as written stays the default, and --nodes cannot be mixed with the preset
  assert.equal(prosqa.resolveOptions().graphs, "algorithm1");
  assert.throws(() => prosqa.resolveOptions({ graphs: "coconut", nodes: 20 }), /--nodes does not apply with --graphs coconut/);
});
