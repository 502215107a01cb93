import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createProgress } from "../../src/cli/progress.js";

/** A stream that keeps what is written; `isTTY` as asked. */
function capture(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    { isTTY, columns: 120 },
  );
  return { stream, text: () => chunks.join("") };
}

test("off a terminal: JSON lines with step, total, loss, accuracy, elapsed and ETA, throttled in time", () => {
  const out = capture(false);
  let clock = 0;
  const progress = createProgress({ label: "train", total: 100, stream: out.stream, everyMs: 1000, now: () => clock });
  for (let step = 1; step <= 50; step++) {
    clock = step * 100; // 0.1 s per step
    progress.update({ step, loss: 2 / step, accuracy: step / 100 });
  }
  progress.log({ split: "val", accuracy: 0.5, step: 50 });
  progress.update({ step: 51, loss: NaN });
  progress.stop();
  const lines = out.text().trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(lines.every((l) => l.label === "train"));
  const progressLines = lines.filter((l) => l.event === "progress");
  // first update at once, then one per second of clock (every 10 steps), then the final one
  assert.deepEqual(progressLines.map((l) => l.step), [1, 11, 21, 31, 41, 51]);
  assert.deepEqual(progressLines[1], { event: "progress", label: "train", step: 11, total: 100, loss: 2 / 11, accuracy: 0.11, elapsedSeconds: 1.1, etaSeconds: 8.9 });
  assert.equal(progressLines.at(-1)!.loss, "NaN", "a non-finite loss stays visible");
  assert.deepEqual(lines.find((l) => l.event === "log"), { event: "log", label: "train", split: "val", accuracy: 0.5, step: 50 });
});

test("off a terminal: the ETA counts from the resumed step; stop() writes the last update once", () => {
  const out = capture(false);
  let clock = 0;
  const progress = createProgress({ label: "train", total: 1000, startStep: 500, stream: out.stream, now: () => clock });
  clock = 10_000;
  progress.update({ step: 600 });
  progress.stop();
  progress.stop({ step: 600 });
  const lines = out.text().trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.equal(lines[0].etaSeconds, 40, "100 steps in 10 s, 400 to go");
  assert.equal(lines[0].loss, undefined);
});

test("on a terminal: a bar with step/total, loss, accuracy and ETA", async () => {
  const out = capture(true);
  const progress = createProgress({ label: "train", total: 200, stream: out.stream });
  progress.update({ step: 50, loss: 0.12345, accuracy: 0.875 });
  progress.stop({ step: 60, loss: 0.1, accuracy: 0.9 });
  const text = out.text();
  assert.match(text, /train █+░+ 60\/200 \| loss 0\.1000 \| acc 90\.0% \| ETA /);
  assert.doesNotMatch(text, /"event"/);
});
