// Training data read from a file: JSON lines as `neuralese data --jsonl` writes them, or Coconut
// ProsQA JSON. Each bad input is a DataFileError naming the file and the line or item.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { getTask, writeCoconutProsQA } from "../../src/tasks/index.js";
import { DataFileError, readTrainData } from "../../src/runs/index.js";

const root = mkdtempSync(join(tmpdir(), "neuralese-data-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const file = (text: string) => {
  const path = join(root, `data-${n++}`);
  writeFileSync(path, text);
  return path;
};

const chase = getTask("pointer-chase");
const options = { symbols: 4, maxHops: 2, trainHops: { min: 1, max: 2 } };
const [vocab, limits] = [chase.vocab(options), chase.limits(options)];
const examples = chase.generate(0, "train", 5, options);
const jsonl = examples.map(({ text, question, answer, steps, difficulty, meta }) => JSON.stringify({ text, question, answer, steps, difficulty, meta })).join("\n") + "\n";
const read = (text: string, task = "pointer-chase") => readTrainData(file(text), task, task === "prosqa" ? getTask("prosqa").vocab({}) : vocab, task === "prosqa" ? getTask("prosqa").limits({}) : limits);
const rejects = (text: string, pattern: RegExp, task?: string) =>
  assert.rejects(read(text, task), (err: Error) => err instanceof DataFileError && pattern.test(err.message), `expected ${pattern}`);

test("JSON lines from `neuralese data --jsonl` read back as the same examples", async () => {
  const data = await read(jsonl);
  assert.deepEqual(
    data.examples.map(({ question, answer, steps, difficulty }) => ({ question, answer, steps, difficulty })),
    examples.map(({ question, answer, steps, difficulty }) => ({ question, answer, steps, difficulty })),
  );
  assert.match(data.sha256, /^sha256:[0-9a-f]{64}$/);
  assert.equal((await read(`\n${jsonl}\n\n`)).examples.length, 5, "blank lines are skipped");
});

test("malformed JSON lines, tokens outside the vocabulary, bad fields and an empty file are clear errors", async () => {
  const lines = jsonl.trimEnd().split("\n");
  await rejects([lines[0], lines[1], '{"question": [8, 9', lines[2]].join("\n"), /data-\d+ line 3 is not valid JSON/);
  await rejects([lines[0], "[1, 2]"].join("\n"), /line 2 must be a JSON object with question, answer and steps/);
  await rejects(JSON.stringify({ ...JSON.parse(lines[0]), question: [8, vocab.size] }), new RegExp(`line 1: "question" holds token id ${vocab.size}, outside the task's vocabulary \\(ids 0\\.\\.${vocab.size - 1}\\)`));
  await rejects(JSON.stringify({ ...JSON.parse(lines[0]), answer: [-1] }), /"answer" holds token id -1/);
  await rejects(JSON.stringify({ ...JSON.parse(lines[0]), answer: ["a"] }), /"answer" must be a list of integer token ids, got \["a"\]/);
  await rejects(JSON.stringify({ ...JSON.parse(lines[0]), answer: [] }), /the answer is empty/);
  await rejects(JSON.stringify({ ...JSON.parse(lines[0]), question: Array(limits.maxQuestionLength + 1).fill(8) }), /question length \d+ exceeds the run's limit/);
  await rejects(JSON.stringify({ ...JSON.parse(lines[0]), difficulty: "hard" }), /"difficulty" must be a number/);
  await rejects("", /holds no examples/);
  await rejects("\n\n  \n", /holds no examples/);
  await rejects("[]", /JSON list \(Coconut ProsQA format\), which only task prosqa reads/);
  await assert.rejects(readTrainData(join(root, "missing"), "pointer-chase", vocab, limits), /cannot read data file .*missing: no such file/);
});

test("Coconut ProsQA JSON reads for task prosqa; damaged items name the item", async () => {
  const prosqa = getTask("prosqa");
  const items = prosqa.generate(0, "train", 3, {});
  const text = writeCoconutProsQA(items);
  const data = await read(text, "prosqa");
  assert.deepEqual(data.examples.map((e) => e.answer), items.map((e) => e.answer));
  await rejects(text.slice(0, -5), /is not valid JSON \(line \d+ column \d+/, "prosqa");
  const parsed = JSON.parse(text);
  parsed[1].idx_to_symbol[parsed[1].root] = "zzz-unknown";
  await rejects(JSON.stringify(parsed), /item 1: /, "prosqa");
  await rejects("[]", /holds no examples/, "prosqa");
  await rejects('[{"question": 3}]', /item 0: /, "prosqa");
});

test("fuzz: any file content either reads or is a DataFileError (never another exception)", async () => {
  const line = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.record({ question: fc.array(fc.integer({ min: -2, max: 30 })), answer: fc.array(fc.integer({ min: -2, max: 30 })), steps: fc.anything() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.string(),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(line, { maxLength: 4 }), fc.constantFrom("pointer-chase", "prosqa"), async (lines, task) => {
      try {
        await read(lines.join("\n"), task);
      } catch (err) {
        if (!(err instanceof DataFileError)) throw err;
      }
    }),
    { numRuns: 300, seed: 11 },
  );
});
