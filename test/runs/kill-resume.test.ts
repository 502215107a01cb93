// SIGKILL a training process at a random moment (twice), resume it, and compare with a run
// that was never interrupted: same final parameters, every metrics step exactly once.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SeededRng } from "../../src/common/seeded-rng.js";

const script = fileURLToPath(new URL("./train-in-run-dir.ts", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "neuralese-kill-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** Run the script on `dir` (in this one process: tsx's own CLI would fork a child that outlives a kill); with `killAtStep`, SIGKILL it `delayMs` after it reports that step. */
function train(dir: string, killAtStep?: number, delayMs = 0): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const stepMs = killAtStep === undefined ? "0" : "40";
    const child = spawn(process.execPath, ["--import", "tsx", script, dir, stepMs], { stdio: ["ignore", "pipe", "pipe"] });
    let [stdout, stderr] = ["", ""];
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (killAtStep !== undefined && stdout.includes(`step ${killAtStep}\n`)) setTimeout(() => child.kill("SIGKILL"), delayMs);
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const hashOf = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!).sha256 as string;

test("killed twice at random moments and resumed: same parameters as an uninterrupted run", { timeout: 180_000 }, async (t) => {
  const [straightDir, killedDir] = [join(root, "straight"), join(root, "killed")];
  // random kill points, reproducible: rerun with KILL_SEED=<the logged seed>
  const seed = Number(process.env.KILL_SEED ?? Date.now() % 1_000_000);
  const rng = SeededRng.of(seed);
  const kills = [rng.int(1, 5), rng.int(6, 9)];
  const delays = kills.map(() => rng.int(0, 39)); // steps take ~40 ms: anywhere in the next step
  t.diagnostic(`KILL_SEED=${seed}: SIGKILL ${delays[0]} ms after step ${kills[0]}, then ${delays[1]} ms after step ${kills[1]}`);
  const killedRun = async (i: number) => {
    const killed = await train(killedDir, kills[i], delays[i]);
    assert.equal(killed.code, null, `killed at step ${kills[i]} + ${delays[i]} ms (exit ${killed.code}): ${killed.stderr}`);
  };
  const [straight] = await Promise.all([train(straightDir), killedRun(0)]); // independent directories
  assert.equal(straight.code, 0, straight.stderr);
  await killedRun(1);
  const resumed = await train(killedDir);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(hashOf(resumed.stdout), hashOf(straight.stdout), `KILL_SEED=${seed}: kills at steps ${kills}`);

  const steps = (dir: string) => readFileSync(join(dir, "metrics.jsonl"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l).step);
  assert.deepEqual(steps(killedDir), steps(straightDir));
  assert.deepEqual(steps(straightDir), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const losses = (dir: string) => readFileSync(join(dir, "metrics.jsonl"), "utf8");
  assert.equal(losses(killedDir), losses(straightDir), "the metrics are the same, line for line");
});
