import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../fixtures/train-tiny.ts", import.meta.url));
const run = (seed: number) =>
  JSON.parse(execFileSync(process.execPath, ["--import", "tsx", script, String(seed), "20"], { encoding: "utf8" })) as {
    sha256: string;
    losses: number[];
  };

test("the same seed gives bit-identical parameters after 20 steps in two separate processes", () => {
  const a = run(7);
  const b = run(7);
  assert.equal(a.sha256, b.sha256);
  assert.deepEqual(a.losses, b.losses);
  // and the run really trained (otherwise identical hashes would prove nothing)
  assert.ok(a.losses[19] < a.losses[0], `loss did not fall: ${a.losses[0]} -> ${a.losses[19]}`);
});

test("a different seed gives different parameters", () => {
  assert.notEqual(run(7).sha256, run(8).sha256);
});
