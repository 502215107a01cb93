import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../bin/neuralese.mjs", import.meta.url));
const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

test("--version prints the package version", () => {
  const r = cli("--version");
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test("--help lists the commands", () => {
  const r = cli("--help");
  assert.equal(r.status, 0);
  assert.match(r.stdout, /bench/);
});

test("bad input: non-zero exit, names the option and the fix, no stack trace", () => {
  for (const [args, pattern] of [
    [["bench", "--steps", "abc"], /--steps must be a positive integer, got "abc"/],
    [["bench", "--steps", "5"], /--steps must be at least 20/],
    [["bench", "--backend", "tpu"], /--backend "tpu" is not one of: wasm, cpu, webgpu/],
    [["bench", "--only", "nope"], /unknown configuration "nope"[\s\S]*choose from/],
    [["bench", "--backend", "webgpu"], /--backend webgpu needs navigator.gpu/],
    [["bench", "--bogus"], /unknown option '--bogus'/],
    [["frobnicate"], /unknown command 'frobnicate'/],
  ] as const) {
    const r = cli(...args);
    assert.notEqual(r.status, 0, `${args.join(" ")} should fail`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace for ${args.join(" ")}`);
  }
});

test("--debug adds the stack trace", () => {
  const r = cli("--debug", "bench", "--only", "nope");
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /\n\s+at /);
});

test("bench prints one JSON line per configuration with the documented fields", () => {
  const r = cli("bench", "--only", "gru-h128-b64-t32", "--steps", "20", "--warmup", "1");
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1);
  const row = JSON.parse(lines[0]);
  assert.equal(row.name, "gru-h128-b64-t32");
  assert.equal(row.backend, "wasm");
  assert.equal(row.steps, 20);
  for (const field of ["ms_per_step", "gflops_per_s"]) assert.ok(row[field] > 0, `${field} = ${row[field]}`);
  assert.ok(row.ms_min <= row.ms_per_step && row.ms_per_step <= row.ms_max);
});
