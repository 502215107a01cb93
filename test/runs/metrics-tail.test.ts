// Following a metrics.jsonl that is being written: only whole lines are read, a rewritten file is
// read again, and repeated steps after a restart resolve to the latest.
import assert from "node:assert/strict";
import { appendFile, mkdtemp, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { MetricsTail, latestRecords } from "../../src/runs/metrics-tail.js";

const line = (step: number, extra: Record<string, unknown> = {}) => `${JSON.stringify({ step, loss: 1 / step, ...extra })}\n`;

test("a half-written last line waits for its newline; appended lines are read incrementally", async () => {
  const file = join(await mkdtemp(join(tmpdir(), "tail-")), "metrics.jsonl");
  const tail = new MetricsTail(file);
  assert.equal(await tail.update(), false, "no file yet");
  const third = line(3);
  await writeFile(file, line(1) + line(2) + third.slice(0, 7));
  assert.equal(await tail.update(), true);
  assert.deepEqual(tail.records.map((r) => r.step), [1, 2]);
  assert.equal(tail.pendingBytes, 7);
  assert.equal(await tail.update(), false, "nothing new");
  await appendFile(file, third.slice(7) + line(4));
  assert.equal(await tail.update(), true);
  assert.deepEqual(tail.records.map((r) => r.step), [1, 2, 3, 4]);
  assert.equal(tail.pendingBytes, 0);
});

test("a file cut and written again (resume, rollback) is read again from the start", async () => {
  const file = join(await mkdtemp(join(tmpdir(), "tail-")), "metrics.jsonl");
  const tail = new MetricsTail(file);
  await writeFile(file, line(1) + line(2) + line(3, { wallMs: 30 }));
  await tail.update();
  // cut back to step 1, then steps 2 and 3 again with other values and a longer file than before
  await truncate(file, line(1).length);
  await appendFile(file, line(2, { wallMs: 99 }) + line(3, { wallMs: 100 }) + line(4));
  assert.equal(await tail.update(), true);
  assert.deepEqual(tail.records.map((r) => [r.step, r.wallMs]), [[1, undefined], [2, 99], [3, 100], [4, undefined]]);
});

test("latestRecords: a restart at step s drops what came after s before it; repeated evaluations replace; events dropped", () => {
  const recs = [
    { step: 1, loss: 3 },
    { step: 2, loss: 2 },
    { step: 2, split: "val", accuracy: 0.1 },
    { step: 3, loss: 1 },
    { step: 4, loss: 0.5 },
    { step: 2, event: "rollback" },
    { step: 3, loss: 1.5 },
    { step: 3, split: "val", accuracy: 0.2 },
    { step: 3, split: "val", accuracy: 0.3 },
  ];
  assert.deepEqual(latestRecords(recs), [
    { step: 1, loss: 3 },
    { step: 2, loss: 2 },
    { step: 2, split: "val", accuracy: 0.1 },
    { step: 3, loss: 1.5 },
    { step: 3, split: "val", accuracy: 0.3 },
  ]);
});
