// Safetensors files that carry a SHA-256 of themselves in their metadata ("checksum"), so a
// flipped bit or a truncated file is caught before anything is loaded. The hash covers the whole
// file with the checksum's own hex digits read as zeros; it stays a plain safetensors file that
// any reader (Python's safetensors included) can load.
import { readFile } from "node:fs/promises";
import { np } from "../engine/jax.js";
import { atomicWriteFile, type AtomicWriteOptions } from "../engine/atomic-file.js";
import { decodeSafetensors, encodeSafetensors, type Safetensors } from "../engine/safetensors.js";
import { flattenNamed, type Tree } from "../engine/tree.js";
import { RunDirError } from "./format.js";
import { sha256 } from "./json.js";

const CHECKSUM_KEY = "checksum";
const PLACEHOLDER = "0".repeat(64);

/** Write `tree` atomically with `metadata` and a checksum; refuses non-finite values (does not consume the tree). */
export async function saveChecksummed(
  path: string,
  tree: Tree,
  metadata: Record<string, string>,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  await assertFinite(tree, path);
  const bytes = await encodeSafetensors(tree, { ...metadata, [CHECKSUM_KEY]: `sha256:${PLACEHOLDER}` });
  const at = checksumOffset(bytes, path);
  const digest = sha256(bytes).slice("sha256:".length);
  bytes.set(Buffer.from(digest, "ascii"), at);
  await atomicWriteFile(path, bytes, opts);
}

/** Read, verify the checksum, then decode. Every failure is a RunDirError naming the file. */
export async function loadChecksummed(path: string, what: string): Promise<Safetensors> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RunDirError(`cannot read ${what} ${path}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  const damaged = (why: string) =>
    new RunDirError(`${what} ${path} is truncated or corrupted (${why}); it was left as it is`, "restore it from a backup or start the run again with --force");
  let at: number;
  try {
    at = checksumOffset(bytes, path);
  } catch (err) {
    throw damaged((err as Error).message);
  }
  const stored = bytes.subarray(at, at + 64).toString("ascii");
  const zeroed = Buffer.from(bytes);
  zeroed.write(PLACEHOLDER, at, "ascii");
  const actual = sha256(zeroed).slice("sha256:".length);
  if (stored !== actual) throw damaged(shortfall(bytes) ?? `checksum mismatch: stored sha256:${stored.slice(0, 16)}…, computed sha256:${actual.slice(0, 16)}…`);
  try {
    const decoded = decodeSafetensors(bytes, path);
    delete decoded.metadata[CHECKSUM_KEY];
    return decoded;
  } catch (err) {
    throw damaged((err as Error).message);
  }
}

/** "truncated: ..." when the header describes more bytes than the file has. */
function shortfall(bytes: Uint8Array): string | undefined {
  try {
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    const header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString("utf8")) as Record<string, { data_offsets?: number[] }>;
    const end = Math.max(0, ...Object.values(header).map((e) => e.data_offsets?.[1] ?? 0));
    const want = 8 + n + end;
    return want > bytes.byteLength ? `truncated: ${bytes.byteLength} bytes, its header describes ${want}` : undefined;
  } catch {
    return undefined;
  }
}

/** Byte offset of the checksum's 64 hex digits inside the header. */
function checksumOffset(bytes: Uint8Array, path: string): number {
  if (bytes.byteLength < 8) throw new Error(`${bytes.byteLength} bytes, too short for a safetensors header`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.byteLength - 8) throw new Error(`header length ${n} runs past the end of the file (${bytes.byteLength} bytes)`);
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString("latin1");
  // JSON escapes every quote inside a string, so this text can only be the metadata entry itself
  const marker = `"${CHECKSUM_KEY}":"sha256:`;
  const first = header.indexOf(marker);
  if (first < 0 || header.indexOf(marker, first + 1) >= 0) throw new Error(`${path}: no single "${CHECKSUM_KEY}" entry in the safetensors metadata`);
  const at = first + marker.length;
  if (!/^[0-9a-f]{64}"/.test(header.slice(at, at + 65))) throw new Error(`${path}: the "${CHECKSUM_KEY}" entry is not 64 hex digits`);
  return 8 + at;
}

/** Non-finite parameters are never written: the run would resume into garbage. */
async function assertFinite(tree: Tree, path: string): Promise<void> {
  for (const [name, leaf] of Object.entries(flattenNamed(tree))) {
    if (leaf.dtype !== np.float32 && leaf.dtype !== np.float64) continue;
    const data = (await leaf.ref.data()) as Float32Array | Float64Array;
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new RunDirError(`refusing to write ${path}: "${name}" holds a non-finite value (${data[bad]} at flat index ${bad})`);
  }
}
