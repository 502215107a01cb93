// Crash-safe file replacement: readers see the old file or the new one, never a partial write.
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";

export interface AtomicWriteOptions {
  /** Test seam: runs after the temp file is complete and synced, before the rename. */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

/**
 * Write `bytes` to a temp file in `path`'s directory, fsync it, rename it over `path`, then
 * fsync the directory so the rename itself survives a crash. On any failure the temp file is
 * removed and an existing `path` is left untouched.
 */
export async function atomicWriteFile(path: string, bytes: Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const file = await open(temp, "wx");
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await opts.beforeRename?.(temp);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; its rename is already durable enough there.
  if (process.platform === "win32") return;
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
