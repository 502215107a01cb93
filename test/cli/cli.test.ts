import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveRunConfig } from "../../src/runs/index.js";
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
    [["bench", "--bogus"], /unknown option '--bogus'/],
    [["frobnicate"], /unknown command 'frobnicate'/],
  ] as const) {
    const r = cli(...args);
    assert.notEqual(r.status, 0, `${args.join(" ")} should fail`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace for ${args.join(" ")}`);
  }
});

test("--backend webgpu with no GPU adapter: one error that says what to install", { skip: process.platform !== "linux" && "the Vulkan loader's VK_ICD_FILENAMES hides drivers on Linux only" }, () => {
  // a Vulkan driver list naming no real file: Dawn finds no adapter, as on a machine without a driver
  const r = spawnSync(process.execPath, [bin, "bench", "--backend", "webgpu", "--only", "gru-h128-b64-t32"], { encoding: "utf8", env: { ...process.env, VK_ICD_FILENAMES: "/nonexistent/icd.json" } });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--backend webgpu: WebGPU found no GPU adapter/);
  assert.match(r.stderr, /mesa-vulkan-drivers/);
  assert.match(r.stderr, /--backend wasm/);
  assert.doesNotMatch(r.stderr, /\n\s+at .*\.(?:ts|js|mjs):\d+/, "no JavaScript stack trace (Dawn's own warnings name C++ files)");
  assert.equal(r.stdout, "", "no bench line");
});

test("the backend is a run-config field: --backend sets it, a bad one names the flag, --resume keeps the run's", () => {
  const bad = cli("train", "--backend", "tpu", "--max-steps", "1");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /backend \(--backend\): got "tpu"; allowed: "wasm", "cpu", "webgpu"/);
  const dir = mkdtempSync(join(tmpdir(), "neuralese-backend-"));
  try {
    writeFileSync(join(dir, "config.json"), JSON.stringify(resolveRunConfig({ backend: "wasm" })));
    const r = cli("train", "--resume", dir, "--backend", "webgpu");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--backend webgpu: run .* trains on wasm \(its config\.json\), and --resume keeps it/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
