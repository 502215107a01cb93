import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { safetensors as loaders } from "@jax-js/loaders";
import { np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { dispose, flattenNamed, leafPaths, restoreLike, type Tree } from "../../src/engine/tree.js";
import { arrayFromBytes, decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from "../../src/engine/safetensors.js";

await startEngine("wasm");

const dir = mkdtempSync(join(tmpdir(), "neuralese-safetensors-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const bits32 = (...u: number[]) => new Float32Array(Uint32Array.from(u).buffer);
const bits64 = (...u: bigint[]) => new Float64Array(BigUint64Array.from(u).buffer);
const bytesOf = (t: ArrayBufferView) => Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString("hex");

/** Leaf contents by name, with the awkward values: NaN payloads, -0, denormals, infinities. */
const CONTENTS: Record<string, { data: Float32Array | Float64Array | Int32Array | Uint32Array; shape: number[] }> = {
  embed: { data: bits32(0x7fc00123, 0xffc00000, 0x80000000, 0x00000001, 0x007fffff, 0x7f800000, 0xff800000, 0x3fc00000), shape: [2, 4] },
  "blocks.0.w": { data: bits64(0x7ff8000000000123n, 0x8000000000000000n, 1n, 0x000fffffffffffffn, 0x3fd5555555555555n), shape: [5] },
  "blocks.0.step": { data: Int32Array.of(1234), shape: [] },
  "blocks.1.ids": { data: Uint32Array.of(0, 0xffffffff, 123), shape: [3] },
  "blocks.1.odd": { data: Float32Array.of(1, -2, 3.5), shape: [3] }, // 12 bytes: would misalign what follows
  "head.b": { data: Int32Array.of(-2147483648, -1, 0, 2147483647), shape: [2, 2] },
  "head.snan": { data: bits32(0x7f800001), shape: [] }, // a signaling NaN scalar: see jax-bugs.test.ts
  "head.empty": { data: new Float32Array(0), shape: [0, 3] },
};
const DTYPE = { Float32Array: np.float32, Float64Array: np.float64, Int32Array: np.int32, Uint32Array: np.uint32 } as const;
const KIND = { Float32Array: "F32", Float64Array: "F64", Int32Array: "I32", Uint32Array: "U32" } as const;
// plain np.array would quiet the scalar sNaN and reject the empty leaf (jax-bugs.test.ts);
// assertSameLeaves(original) checks that these leaves really hold the intended bytes
const leaf = (name: string): Array => {
  const { data, shape } = CONTENTS[name];
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return arrayFromBytes(bytes, KIND[data.constructor.name as keyof typeof KIND], shape);
};
const sampleTree = (): Tree => ({
  embed: leaf("embed"),
  blocks: [{ w: leaf("blocks.0.w"), step: leaf("blocks.0.step") }, { ids: leaf("blocks.1.ids"), odd: leaf("blocks.1.odd") }],
  head: { b: leaf("head.b"), snan: leaf("head.snan"), empty: leaf("head.empty") },
});
const META = { run: "test", "config.json": '{"dim": 32}', empty: "", unicode: "λ→✓" };

async function assertSameLeaves(tree: Tree): Promise<void> {
  assert.deepEqual(leafPaths(tree), Object.keys(CONTENTS));
  for (const [name, a] of Object.entries(flattenNamed(tree))) {
    const { data, shape } = CONTENTS[name];
    assert.deepEqual(a.shape, shape, name);
    assert.equal(a.dtype, DTYPE[data.constructor.name as keyof typeof DTYPE], name);
    assert.equal(bytesOf((await a.ref.data()) as Float32Array), bytesOf(data), `${name} bytes`);
  }
}

test("encode → decode is bit-identical and keeps the tree structure (lists stay lists) and metadata", async () => {
  const tree = sampleTree();
  await assertSameLeaves(tree); // the leaves hold exactly the intended bytes
  const bytes = await encodeSafetensors(tree, META);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, META);
  assert.ok(globalThis.Array.isArray((back.tree as Record<string, Tree>).blocks));
  await assertSameLeaves(back.tree);
  await assertSameLeaves(tree); // saving did not consume the tree
  dispose(tree);
  dispose(back.tree);
});

test("the layout follows the spec: u64 LE header length, space padding to 8 bytes, contiguous aligned tensors", async () => {
  const tree = sampleTree();
  const bytes = await encodeSafetensors(tree, META);
  dispose(tree);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  const text = Buffer.from(bytes.subarray(8, 8 + n)).toString("utf8");
  assert.match(text, /^\{.*\} *$/s);
  const header = JSON.parse(text) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  assert.deepEqual(Object.keys(header), ["__metadata__", ...Object.keys(CONTENTS)]);
  const spans = Object.entries(header).filter(([k]) => k !== "__metadata__").map(([, e]) => e);
  const sorted = spans.map((e) => e.data_offsets).sort((a, b) => a[0] - b[0]);
  sorted.forEach(([b], i) => assert.equal(b, i === 0 ? 0 : sorted[i - 1][1]));
  assert.equal(sorted[sorted.length - 1][1], bytes.byteLength - 8 - n);
  for (const e of spans) assert.equal(e.data_offsets[0] % (e.dtype === "F64" ? 8 : 4), 0);
});

test("files are readable by @jax-js/loaders' parser", async () => {
  const tree = sampleTree();
  const bytes = await encodeSafetensors(tree, META);
  dispose(tree);
  const parsed = loaders.parse(bytes);
  assert.deepEqual(parsed.metadata, META);
  assert.deepEqual(Object.keys(parsed.tensors), Object.keys(CONTENTS));
  for (const [name, t] of Object.entries(parsed.tensors)) {
    assert.deepEqual(t.shape, CONTENTS[name].shape);
    assert.equal(bytesOf(t.data as Float32Array), bytesOf(CONTENTS[name].data), name);
  }
});

const python = spawnSync("python3", ["--version"]).status === 0;
test("files are readable by an independent Python reader (struct + json)", { skip: !python && "python3 not found" }, async () => {
  const tree = sampleTree();
  const path = join(dir, "python.safetensors");
  await saveSafetensors(path, tree, META);
  dispose(tree);
  const script = fileURLToPath(new URL("./read_safetensors.py", import.meta.url));
  const run = spawnSync("python3", [script, path], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { metadata: object; tensors: { name: string; shape: number[]; hex: string; values: string[] }[] };
  assert.deepEqual(out.metadata, META);
  assert.deepEqual(out.tensors.map((t) => t.name), Object.keys(CONTENTS));
  for (const t of out.tensors) {
    assert.deepEqual(t.shape, CONTENTS[t.name].shape);
    assert.equal(t.hex, bytesOf(CONTENTS[t.name].data), t.name);
  }
  const values = Object.fromEntries(out.tensors.map((t) => [t.name, t.values]));
  assert.deepEqual(values["blocks.1.odd"], ["1.0", "-2.0", "3.5"]);
  assert.deepEqual(values["head.b"], ["-2147483648", "-1", "0", "2147483647"]);
  assert.deepEqual(values["blocks.0.w"].slice(0, 3), ["nan", "-0.0", "5e-324"]);
  assert.deepEqual(values.embed.slice(2, 7), ["-0.0", "1.401298464324817e-45", "1.1754942106924411e-38", "inf", "-inf"]);
});

test("save → load through a file round-trips", async () => {
  const tree = sampleTree();
  const path = join(dir, "roundtrip.safetensors");
  await saveSafetensors(path, tree, META);
  const back = await loadSafetensors(path);
  assert.deepEqual(back.metadata, META);
  await assertSameLeaves(back.tree);
  dispose(tree);
  dispose(back.tree);
});

/** Bytes of a file with this header object and data section (header padded unless told not to). */
function fileWith(header: object, data: Uint8Array): Uint8Array {
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(Buffer.from(json), 8);
  out.set(data, 8 + json.length);
  return out;
}
const t = (dtype: string, shape: number[], data_offsets: number[]) => ({ dtype, shape, data_offsets });
const good = { a: t("F32", [2], [0, 8]), b: t("I32", [2], [8, 16]) };

const corrupt: [string, Uint8Array, RegExp][] = [
  ["shorter than 8 bytes", Uint8Array.of(1, 2, 3, 4, 5), /5 bytes is too short for the 8-byte header length/],
  ["header length beyond the file", (() => { const b = fileWith(good, new Uint8Array(16)); b[5] = 1; return b; })(), /header length \d+ runs past the end of the file/],
  ["invalid JSON", (() => { const b = fileWith(good, new Uint8Array(16)); b[8] = "[".charCodeAt(0); b[9] = "x".charCodeAt(0); return b; })(), /header is not valid UTF-8 JSON/],
  ["header not an object", fileWith([1, 2] as never, new Uint8Array(0)), /header is not a JSON object/],
  ["unknown dtype", fileWith({ a: t("BF16", [2], [0, 4]) }, new Uint8Array(4)), /tensor "a": unknown dtype "BF16"/],
  ["bad shape", fileWith({ a: t("F32", [-1], [0, 4]) }, new Uint8Array(4)), /tensor "a": shape \[-1\] is not a list of non-negative integers/],
  ["offsets reversed", fileWith({ a: t("F32", [1], [8, 4]) }, new Uint8Array(8)), /tensor "a": data_offsets \[8,4\] out of range/],
  ["offsets beyond the data", fileWith({ a: t("F32", [2], [0, 8]), b: t("I32", [2], [1000, 1008]) }, new Uint8Array(16)), /tensor "b": data_offsets \[1000,1008\] out of range: the data section has 16 bytes/],
  ["overlapping tensors", fileWith({ a: t("F32", [2], [0, 8]), b: t("I32", [2], [4, 12]) }, new Uint8Array(12)), /tensors "a" and "b" overlap/],
  ["size not shape × dtype", fileWith({ a: t("F32", [3], [0, 8]) }, new Uint8Array(8)), /tensor "a": data_offsets \[0, 8\] span 8 bytes, but F32\[3\] needs 12/],
  ["truncated data", fileWith(good, new Uint8Array(12)), /truncated: the header describes 16 bytes of tensor data but only 12 follow it/],
  ["gap between tensors", fileWith({ a: t("F32", [2], [0, 8]), b: t("I32", [2], [12, 20]) }, new Uint8Array(20)), /bytes \[8, 12\) before tensor "b" belong to no tensor/],
  ["trailing bytes", fileWith(good, new Uint8Array(24)), /8 bytes after the last tensor belong to no tensor/],
  ["non-string metadata", fileWith({ __metadata__: { step: 3 }, ...good }, new Uint8Array(16)), /__metadata__: value of "step" must be a string, got number/],
  ["conflicting names", fileWith({ a: t("F32", [2], [0, 8]), "a.b": t("I32", [2], [8, 16]) }, new Uint8Array(16)), /tensor names "a" and "a.b" conflict/],
];
for (const [what, bytes, message] of corrupt) {
  test(`a corrupt file is rejected with a clear error naming it: ${what}`, async () => {
    const path = join(dir, `corrupt-${what.replace(/\W+/g, "-")}.safetensors`);
    writeFileSync(path, bytes);
    await assert.rejects(loadSafetensors(path), (err: Error) => {
      assert.ok(err.message.startsWith(`${path}: `), err.message);
      assert.match(err.message, message);
      return true;
    });
  });
}

test("a well-formed hand-made file loads (the corrupt cases above are corrupt only where intended)", () => {
  const f = new Float32Array([1.5, -2]);
  const i = new Int32Array([7, -8]);
  const data = new Uint8Array([...new Uint8Array(f.buffer), ...new Uint8Array(i.buffer)]);
  const { tree } = decodeSafetensors(fileWith(good, data));
  const leaves = flattenNamed(tree);
  assert.deepEqual([...(leaves.a.ref.dataSync() as Float32Array)], [1.5, -2]);
  assert.deepEqual([...(leaves.b.ref.dataSync() as Int32Array)], [7, -8]);
  dispose(tree);
});

test("encoding rejects non-string metadata and trees whose names would not load back the same", async () => {
  const x = () => np.zeros([2]);
  await assert.rejects(encodeSafetensors({ a: x() }, { step: 3 } as never), /metadata: value of "step" must be a string/);
  await assert.rejects(encodeSafetensors({ "a.b": x() }), /key "a.b" under "" is empty or contains "."/);
  await assert.rejects(encodeSafetensors({ m: { 0: x(), 1: x() } }), /object "m" has keys 0..1 and would load back as a list/);
  await assert.rejects(encodeSafetensors(x()), /must be an object or a list of arrays/);
  await assert.rejects(encodeSafetensors({ a: np.zeros([2], { dtype: np.bool }) }), /leaf "a" has dtype bool/);
});

test("a failed save leaves the existing file intact and no temp file behind", async () => {
  const path = join(dir, "atomic.safetensors");
  const first = sampleTree();
  await saveSafetensors(path, first, { version: "1" });
  dispose(first);
  const before = readFileSync(path);
  const second = { other: np.ones([4]) };
  await assert.rejects(
    saveSafetensors(path, second, { version: "2" }, {
      beforeRename: (temp) => {
        // the new bytes are complete in the temp file, and the target still holds the old ones
        assert.ok(temp !== path && readFileSync(temp).length > 0);
        assert.deepEqual(readFileSync(path), before);
        throw new Error("simulated crash before rename");
      },
    }),
    /simulated crash before rename/,
  );
  assert.deepEqual(readFileSync(path), before);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes("atomic") && f !== "atomic.safetensors"), []);
  // a save that fails while encoding never touches the file either
  await assert.rejects(saveSafetensors(path, second, { version: 2 } as never), /must be a string/);
  assert.deepEqual(readFileSync(path), before);
  assert.equal((await loadSafetensors(path)).metadata.version, "1");
  dispose(second);
});

test("restoreLike rebuilds a template's exact structure (empty subtrees, key order) from a loaded file", async () => {
  // an optimizer-like state: [clip state {}, adam state]: the empty {} is not stored in the file
  const make = (v: number): Tree => [{}, { count: np.array(v, { dtype: np.int32 }), mu: { w: np.full([2], v) } }];
  const state = make(5);
  const { tree } = decodeSafetensors(await encodeSafetensors(state));
  dispose(state);
  assert.deepEqual(leafPaths(tree), ["1.count", "1.mu.w"]);
  const template = make(0);
  const restored = restoreLike(template, tree);
  assert.ok(globalThis.Array.isArray(restored));
  assert.deepEqual((restored as Tree[])[0], {});
  assert.deepEqual([...((await flattenNamed(restored)["1.mu.w"].ref.data()) as Float32Array)], [5, 5]);
  assert.throws(() => restoreLike(template, { 1: { count: np.zeros([]) } } as never), /missing \[1\.mu\.w\]/);
  dispose(template);
  dispose(restored);
});
