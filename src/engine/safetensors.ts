// Parameter trees as safetensors files (https://github.com/huggingface/safetensors, format v0.x):
//   [u64 little-endian N][N bytes of UTF-8 JSON header, space-padded][tensor data]
// Tensor names are dotted leaf paths ("blocks.0.attn.q.w"); the header keeps tree order.
import { readFile } from "node:fs/promises";
import { np, type Array, type DType } from "./jax.js";
import { leafPaths, leaves, unflattenNamed, type Tree } from "./tree.js";
import { atomicWriteFile, type AtomicWriteOptions } from "./atomic-file.js";

type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array;
type TypedArrayOf = new (buffer: ArrayBuffer) => TypedArray;

const DTYPES = {
  F64: { dtype: np.float64, bytes: 8, typed: Float64Array as TypedArrayOf },
  F32: { dtype: np.float32, bytes: 4, typed: Float32Array as TypedArrayOf },
  I32: { dtype: np.int32, bytes: 4, typed: Int32Array as TypedArrayOf },
  U32: { dtype: np.uint32, bytes: 4, typed: Uint32Array as TypedArrayOf },
} as const;
export type SafetensorsDType = keyof typeof DTYPES;

export interface Safetensors {
  tree: Tree;
  metadata: Record<string, string>;
}

interface HeaderEntry {
  dtype: SafetensorsDType;
  shape: number[];
  data_offsets: [number, number];
}

const METADATA_KEY = "__metadata__";

/**
 * Serialise a tree (does not consume it). Tensors are laid out widest dtype first, so every
 * tensor starts aligned to its element size; the header lists them in tree order.
 */
export async function encodeSafetensors(tree: Tree, metadata: Record<string, string> = {}): Promise<Uint8Array<ArrayBuffer>> {
  assertLittleEndianHost();
  checkMetadata(metadata, "metadata");
  checkTreeKeys(tree);
  const names = leafPaths(tree);
  const arrays = leaves(tree);
  const kinds = arrays.map((a, i) => safetensorsDType(a.dtype, names[i]));
  const blobs: Uint8Array[] = [];
  for (const a of arrays) {
    const data = (await a.ref.data()) as TypedArray;
    blobs.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  const order = names.map((_, i) => i).sort((a, b) => DTYPES[kinds[b]].bytes - DTYPES[kinds[a]].bytes);
  const offsets: [number, number][] = [];
  let end = 0;
  for (const i of order) offsets[i] = [end, (end += blobs[i].byteLength)];

  const header: Record<string, unknown> = { [METADATA_KEY]: metadata };
  names.forEach((name, i) => {
    header[name] = { dtype: kinds[i], shape: arrays[i].shape, data_offsets: offsets[i] };
  });
  let json = JSON.stringify(header);
  const headerBytes = () => Buffer.byteLength(json, "utf8");
  json += " ".repeat((8 - (headerBytes() % 8)) % 8); // data starts 8-byte aligned

  const out = new Uint8Array(8 + headerBytes() + end);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes()), true);
  out.set(Buffer.from(json, "utf8"), 8);
  const dataStart = 8 + headerBytes();
  order.forEach((i) => out.set(blobs[i], dataStart + offsets[i][0]));
  return out;
}

/** Parse and validate safetensors bytes; `source` names the file in error messages. */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors data"): Safetensors {
  assertLittleEndianHost();
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (bytes.byteLength < 8) fail(`${bytes.byteLength} bytes is too short for the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.byteLength - 8)) {
    fail(`header length ${n} runs past the end of the file (${bytes.byteLength} bytes)`);
  }
  const headerLength = Number(n);
  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
    header = JSON.parse(text);
  } catch (err) {
    fail(`header is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (!isRecord(header)) return fail("header is not a JSON object");

  const metadata = header[METADATA_KEY] ?? {};
  checkMetadata(metadata, `${source}: __metadata__`);
  const entries = Object.entries(header).filter(([k]) => k !== METADATA_KEY);
  const checked = entries.map(([name, entry]) => [name, checkEntry(name, entry, fail)] as const);
  checkNames(checked.map(([name]) => name), fail);

  const data = bytes.subarray(8 + headerLength);
  checkLayout(checked, data.byteLength, fail);

  const named: Record<string, Array> = {};
  for (const [name, { dtype, shape, data_offsets: [begin, end] }] of checked) {
    named[name] = arrayFromBytes(data.subarray(begin, end), dtype, shape);
  }
  return { tree: unflattenNamed(named), metadata: metadata as Record<string, string> };
}

/** Write a tree atomically (never a half-written file under `path`); does not consume it. */
export async function saveSafetensors(
  path: string,
  tree: Tree,
  metadata: Record<string, string> = {},
  opts: AtomicWriteOptions = {},
): Promise<void> {
  await atomicWriteFile(path, await encodeSafetensors(tree, metadata), opts);
}

export async function loadSafetensors(path: string): Promise<Safetensors> {
  return decodeSafetensors(await readFile(path), path);
}

/**
 * A device array holding exactly these little-endian bytes. Works around two jax-js 0.1.25 bugs
 * (test/engine/jax-bugs.test.ts): np.array of an empty typed array throws, and a one-element
 * float32 array becomes a JS-number constant, which turns a signaling NaN into a quiet one.
 */
export function arrayFromBytes(bytes: Uint8Array, kind: SafetensorsDType, shape: number[]): Array {
  const { typed, dtype, bytes: width } = DTYPES[kind];
  if (bytes.byteLength === 0) return np.zeros(shape, { dtype });
  const signalingNaN = kind === "F32" && bytes.byteLength === 4 && isSignalingNaN32(bytes);
  // a fresh, aligned copy (a Buffer's subarray shares and may be unaligned); the sNaN case gets a
  // second element so the array is backed by a real buffer, and is sliced back to one
  const copy = new Uint8Array(signalingNaN ? 2 * width : bytes.byteLength);
  copy.set(bytes);
  const array = np.array(new typed(copy.buffer) as Float32Array<ArrayBuffer>, { dtype });
  return (signalingNaN ? array.slice([0, 1]) : array).reshape(shape);
}

function isSignalingNaN32(bytes: Uint8Array): boolean {
  const bits = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  return (bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0 && (bits & 0x00400000) === 0;
}

function safetensorsDType(dtype: DType, name: string): SafetensorsDType {
  const found = (Object.keys(DTYPES) as SafetensorsDType[]).find((k) => DTYPES[k].dtype === dtype);
  if (!found) throw new Error(`safetensors: leaf "${name}" has dtype ${dtype}; supported: float32, float64, int32, uint32`);
  return found;
}

function checkEntry(name: string, entry: unknown, fail: (msg: string) => never): HeaderEntry {
  if (!isRecord(entry)) return fail(`tensor "${name}": header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== "string" || !(dtype in DTYPES)) {
    fail(`tensor "${name}": unknown dtype ${JSON.stringify(dtype)} (this reader supports ${Object.keys(DTYPES).join(", ")})`);
  }
  if (!globalThis.Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  const ok = globalThis.Array.isArray(offsets) && offsets.length === 2 && offsets.every((o) => Number.isSafeInteger(o) && o >= 0);
  if (!ok || offsets[0] > offsets[1]) {
    fail(`tensor "${name}": data_offsets ${JSON.stringify(offsets)} out of range (need [begin, end], 0 <= begin <= end)`);
  }
  const e = entry as unknown as HeaderEntry;
  const need = e.shape.reduce((a, b) => a * b, 1) * DTYPES[e.dtype].bytes;
  const [begin, end] = e.data_offsets;
  if (end - begin !== need) {
    fail(`tensor "${name}": data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${e.dtype}[${e.shape}] needs ${need}`);
  }
  return e;
}

/** Names must rebuild a tree: non-empty dotted segments, no name that is also a prefix of another. */
function checkNames(names: string[], fail: (msg: string) => never): void {
  const all = new Set(names);
  for (const name of names) {
    const parts = name.split(".");
    if (parts.some((p) => p === "")) fail(`tensor name "${name}" has an empty path segment`);
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join(".");
      if (all.has(prefix)) fail(`tensor names "${prefix}" and "${name}" conflict (a leaf cannot also be a subtree)`);
    }
  }
}

/** Tensors must tile the data section exactly: no overlap, no gap, nothing missing or left over. */
function checkLayout(entries: (readonly [string, HeaderEntry])[], dataLength: number, fail: (msg: string) => never): void {
  const sorted = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  let end = 0;
  let gap: string | undefined;
  sorted.forEach(([name, { data_offsets: [b, e] }], i) => {
    if (b < end) fail(`tensors "${sorted[i - 1][0]}" and "${name}" overlap (data_offsets ${b} < ${end})`);
    if (b > end && gap === undefined) gap = `bytes [${end}, ${b}) before tensor "${name}" belong to no tensor`;
    end = e;
  });
  if (end > dataLength) {
    if (gap === undefined) fail(`truncated: the header describes ${end} bytes of tensor data but only ${dataLength} follow it`);
    const [name, { data_offsets: offsets }] = sorted[sorted.length - 1];
    fail(`tensor "${name}": data_offsets [${offsets}] out of range: the data section has ${dataLength} bytes`);
  }
  if (gap !== undefined) fail(gap);
  if (end < dataLength) fail(`${dataLength - end} bytes after the last tensor belong to no tensor`);
}

function checkMetadata(metadata: unknown, what: string): void {
  if (!isRecord(metadata)) throw new Error(`${what} must be an object of string values`);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== "string") throw new Error(`${what}: value of "${k}" must be a string, got ${typeof v}`);
  }
}

/** Reject trees whose dotted names would not load back as the same structure. */
function checkTreeKeys(tree: Tree): void {
  if (!isRecord(tree) && !globalThis.Array.isArray(tree)) {
    throw new Error("safetensors: the tree must be an object or a list of arrays, not a bare array");
  }
  const walk = (node: Tree, path: string): void => {
    if (globalThis.Array.isArray(node)) return node.forEach((c, i) => walk(c, path ? `${path}.${i}` : String(i)));
    if (!isRecord(node)) return;
    const keys = Object.keys(node);
    for (const k of keys) {
      if (k === "" || k.includes(".")) throw new Error(`safetensors: key "${k}" under "${path}" is empty or contains "."`);
      if (!path && k === METADATA_KEY) throw new Error(`safetensors: a top-level key may not be "${METADATA_KEY}"`);
      walk(node[k], path ? `${path}.${k}` : k);
    }
    if (keys.length > 0 && keys.every((k, i) => k === String(i))) {
      throw new Error(`safetensors: object "${path}" has keys 0..${keys.length - 1} and would load back as a list`);
    }
  };
  walk(tree, "");
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype;
}

function assertLittleEndianHost(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error("safetensors: big-endian hosts are not supported");
}
