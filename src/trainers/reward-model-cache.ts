// The reward model's fits cached on disk (NEURALESE_CACHE_DIR, default the system's temp dir): a
// fit is deterministic, so its parameters are kept under a digest of its data and options and a
// later process with the same inputs loads them in place of refitting.
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { atomicWriteFile } from "../engine/atomic-file.js";
import { np, type Array } from "../engine/jax.js";
import type { Linear } from "../nn/index.js";

/** The reward model's parameters: a hidden layer and the output unit. */
export type RewardModelParams = { hidden: Linear; out: Linear };

/** The parameters of the fit `key` names (D features, H hidden units): cached, or `fit()` and cached. */
export async function cachedFit(key: unknown[], D: number, H: number, fit: () => RewardModelParams): Promise<RewardModelParams> {
  const file = join(cacheDir(), `${createHash("sha256").update(JSON.stringify([FIT_VERSION, ...key])).digest("hex").slice(0, 32)}.json`);
  const cached = await loadParams(file, D, H);
  const params = cached ?? fit();
  if (!cached) await saveParams(file, params);
  return params;
}

/** Bump when the fit itself (model, optimizer, minibatches) changes: cached fits are then refitted. */
const FIT_VERSION = 1;

const cacheDir = () => process.env.NEURALESE_CACHE_DIR ?? join(tmpdir(), "neuralese-cache", "reward-models");

async function loadParams(file: string, D: number, H: number): Promise<RewardModelParams | null> {
  let saved: { hidden: { w: number[]; b: number[] }; out: { w: number[]; b: number[] } };
  try {
    saved = JSON.parse(await readFile(file, "utf8"));
  } catch {
    return null;
  }
  if (saved.hidden?.w?.length !== D * H || saved.out?.w?.length !== H) return null;
  return {
    hidden: { w: np.array(Float32Array.from(saved.hidden.w)).reshape([D, H]), b: np.array(Float32Array.from(saved.hidden.b)) },
    out: { w: np.array(Float32Array.from(saved.out.w)).reshape([H, 1]), b: np.array(Float32Array.from(saved.out.b)) },
  };
}

async function saveParams(file: string, p: RewardModelParams): Promise<void> {
  const list = async (a: Array) => [...(await a.ref.data())];
  const body = { hidden: { w: await list(p.hidden.w), b: await list(p.hidden.b) }, out: { w: await list(p.out.w), b: await list(p.out.b) } };
  try {
    await mkdir(dirname(file), { recursive: true });
    await atomicWriteFile(file, Buffer.from(JSON.stringify(body)));
  } catch {
    // a cache that cannot be written only costs the next process a refit
  }
}
