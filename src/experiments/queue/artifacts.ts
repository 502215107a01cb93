// A run's files in Redis (no shared filesystem is assumed): one hash per run and kind, holding a
// manifest (name → bytes, sha256) and each file as a binary field, written in one MULTI so a
// reader never sees half a set. "checkpoint" is the latest resumable state of a running run
// (replaced at each checkpoint); "final" is the finished run directory the bet collects.
// Names and contents read back are checked: a name must be a plain relative file name (at most
// one folder deep), and every file must match its manifest's hash.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Redis } from "ioredis";
import { ARTIFACT_PREFIX, QUEUE_NAME } from "./job.js";

export type ArtifactKind = "checkpoint" | "final";
export type Files = Map<string, Buffer>;

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/;
/** Temporary files of interrupted atomic writes are not part of a run. */
const TEMPORARY = /^\..*\.tmp$/;

/** A file name a run directory may hold: "name" or "folder/name", no "..", nothing absolute. */
export function safeFileName(name: string): boolean {
  const parts = name.split("/");
  return parts.length <= 2 && parts.every((p) => SEGMENT.test(p));
}

export class ArtifactStore {
  constructor(
    private readonly redis: Redis,
    private readonly queue = QUEUE_NAME,
  ) {}

  private key(jobId: string, kind: ArtifactKind): string {
    return `${ARTIFACT_PREFIX}:${this.queue}:${kind}:${jobId}`;
  }

  /** Replace the run's `kind` files with `files`; with `dropCheckpoint`, its checkpoint goes in the same transaction. */
  async put(jobId: string, kind: ArtifactKind, files: Files, opts: { dropCheckpoint?: boolean } = {}): Promise<void> {
    const manifest: Record<string, { bytes: number; sha256: string }> = {};
    const fields: (string | Buffer)[] = [];
    for (const [name, bytes] of files) {
      if (!safeFileName(name)) throw new Error(`refusing to store file ${JSON.stringify(name)}: not a plain run file name`);
      manifest[name] = { bytes: bytes.length, sha256: hash(bytes) };
      fields.push(`f:${name}`, bytes);
    }
    const key = this.key(jobId, kind);
    const tx = this.redis.multi().del(key).hset(key, "manifest", JSON.stringify(manifest), ...fields);
    if (opts.dropCheckpoint) tx.del(this.key(jobId, "checkpoint"));
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new Error(`storing ${kind} files of ${jobId} in Redis failed: ${failed?.[0]?.message ?? "transaction aborted"}`);
  }

  /** The run's `kind` files, checked against their manifest; undefined when there are none. */
  async get(jobId: string, kind: ArtifactKind): Promise<Files | undefined> {
    const raw = await this.redis.hgetallBuffer(this.key(jobId, kind));
    if (!raw.manifest) return undefined;
    const where = `${kind} files of ${jobId} in Redis`;
    let manifest: Record<string, { bytes: number; sha256: string }>;
    try {
      manifest = JSON.parse(raw.manifest.toString("utf8"));
    } catch {
      throw new Error(`the manifest of the ${where} is not JSON`);
    }
    const files: Files = new Map();
    for (const [name, entry] of Object.entries(manifest)) {
      if (!safeFileName(name)) throw new Error(`the ${where} name a file ${JSON.stringify(name).slice(0, 80)}, which is not a plain run file name; refusing it`);
      const bytes = raw[`f:${name}`];
      if (!bytes || hash(bytes) !== entry?.sha256) throw new Error(`file ${name} of the ${where} is missing or does not match its sha256`);
      files.set(name, bytes);
    }
    return files;
  }

  async has(jobId: string, kind: ArtifactKind): Promise<boolean> {
    return (await this.redis.hexists(this.key(jobId, kind), "manifest")) === 1;
  }

  /** One file of the run's final files (e.g. the model a dependent run starts from), checked. */
  async getFinalFile(jobId: string, name: string): Promise<Buffer | undefined> {
    const [manifest, bytes] = await Promise.all([this.redis.hget(this.key(jobId, "final"), "manifest"), this.redis.hgetBuffer(this.key(jobId, "final"), `f:${name}`)]);
    if (!manifest || !bytes) return undefined;
    const entry = (JSON.parse(manifest) as Record<string, { sha256: string }>)[name];
    if (entry?.sha256 !== hash(bytes)) throw new Error(`file ${name} of run ${jobId} in Redis does not match its sha256`);
    return bytes;
  }

  async delete(jobId: string, kinds: ArtifactKind[] = ["checkpoint", "final"]): Promise<void> {
    await this.redis.del(...kinds.map((k) => this.key(jobId, k)));
  }
}

const hash = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Every file of a run directory (one folder deep, as run directories are), temporary files aside. */
export async function readRunFiles(dir: string): Promise<Files> {
  const files: Files = new Map();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (TEMPORARY.test(entry.name)) continue;
    if (entry.isFile()) files.set(entry.name, await readFile(join(dir, entry.name)));
    else if (entry.isDirectory()) {
      for (const inner of await readdir(join(dir, entry.name), { withFileTypes: true })) {
        if (inner.isFile() && !TEMPORARY.test(inner.name)) files.set(`${entry.name}/${inner.name}`, await readFile(join(dir, entry.name, inner.name)));
      }
    }
  }
  return files;
}

/**
 * Write `files` as the directory `dir`, replacing it whole: they are written to a sibling folder
 * first and renamed into place, so an interrupted write leaves no half run. Names are checked
 * again here (the last line of defence against a path from Redis).
 */
export async function writeRunFiles(dir: string, files: Files): Promise<void> {
  for (const name of files.keys()) if (!safeFileName(name)) throw new Error(`refusing to write ${JSON.stringify(name)}: not a plain run file name`);
  const temp = `${dir}.incoming-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  for (const [name, bytes] of files) {
    await mkdir(dirname(join(temp, name)), { recursive: true });
    await writeFile(join(temp, name), bytes);
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  await rename(temp, dir);
}
