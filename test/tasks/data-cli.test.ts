import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../bin/neuralese.mjs", import.meta.url));
const cli = (...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });

const badCases = [
  [["data", "sudoku"], /unknown task "sudoku"[\s\S]*pointer-chase, parity, prosqa, prontoqa, multiply/],
  [["data", "pointer-chase", "--n", "0"], /--n must be a positive integer, got "0"/],
  [["data", "pointer-chase", "--test-hops", "1-12"], /--test-hops 1-12 is outside the allowed 1\.\.8.*--max-hops/],
  [["data", "pointer-chase", "--train-hops", "two"], /--train-hops must be a range like 1-4/],
  [["data", "multiply", "--train-digits", "1", "--n", "100"], /--n 100: not enough distinct multiply questions/],
  [["data", "parity", "--seed", "-1"], /--seed must be an integer in 0\.\.4294967295, got "-1"/],
] as const;

// every run starts now, so that the process start-ups overlap
const runs = {
  jsonl: cli("data", "pointer-chase", "--jsonl", "--n", "5", "--seed", "3"),
  vocab: cli("data", "pointer-chase", "--vocab"),
  stats: cli("data", "prosqa", "--stats", "--n", "200"),
  statsJson: cli("data", "parity", "--stats", "--jsonl", "--split", "test", "--n", "100"),
  bad: Promise.all(badCases.map(([args]) => cli(...args))),
};

test("neuralese data pointer-chase --jsonl --n 5: five JSON lines with the documented fields", async () => {
  const r = await runs.jsonl;
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 5);
  for (const line of lines) {
    const row = JSON.parse(line);
    assert.deepEqual(Object.keys(row), ["text", "question", "answer", "steps", "difficulty", "meta"]);
    assert.equal(typeof row.text, "string");
    assert.ok(row.question.every(Number.isInteger) && row.answer.every(Number.isInteger));
    assert.ok(row.steps.every((s: number[]) => s.every(Number.isInteger)));
    let x = row.meta.start;
    for (let i = 0; i < row.meta.hops; i++) x = row.meta.table[x];
    assert.equal(row.answer[0], 8 + x, "symbol ids follow the 8 special tokens");
    assert.equal(row.difficulty, row.meta.hops);
  }
});

test("neuralese data <task> --vocab: the tokens as a JSON list, ids by position", async () => {
  const r = await runs.vocab;
  assert.equal(r.status, 0, r.stderr);
  const tokens = JSON.parse(r.stdout) as string[];
  assert.equal(tokens.length, 24);
  assert.deepEqual(tokens.slice(0, 9), ["<pad>", "<bos>", "<sep>", "<bot>", "<eot>", "<latent>", "<ans>", "<eos>", "0"]);
  // with it, an outside program reads the answers of the --jsonl lines
  for (const line of (await runs.jsonl).stdout.trim().split("\n")) {
    const row = JSON.parse(line);
    assert.match(row.text, new RegExp(`answer: ${tokens[row.answer[0]]}$`));
  }
});

test("neuralese data <task> --stats: sizes, lengths and the difficulty histogram", async () => {
  const r = await runs.stats;
  assert.equal(r.status, 0, r.stderr);
  for (const pattern of [/200 examples/, /vocabulary\s+63 tokens/, /question length\s+min \d+/, /answer length/, /difficulty\n\s+2:/]) {
    assert.match(r.stdout, pattern);
  }
  const j = await runs.statsJson;
  assert.equal(j.status, 0, j.stderr);
  const stats = JSON.parse(j.stdout);
  assert.equal(stats.n, 100);
  assert.equal(Object.values(stats.difficulty as Record<string, number>).reduce((a, b) => a + b, 0), 100);
  assert.ok(Object.keys(stats.difficulty).every((d) => Number(d) >= 9), "test split extrapolates to 9..16 non-zero entries");
});

test("neuralese data: bad options exit non-zero naming the option and what is allowed", async () => {
  const results = await runs.bad;
  for (const [i, [args, pattern]] of badCases.entries()) {
    const r = results[i];
    assert.notEqual(r.status, 0, `${args.join(" ")} should fail`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace for ${args.join(" ")}`);
  }
});
