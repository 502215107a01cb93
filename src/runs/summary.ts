// summary.json: the run's final numbers, written atomically with a checksum over its content
// (SHA-256 of the compact JSON of every other field, in the order written).
import { readFile } from "node:fs/promises";
import { atomicWriteFile } from "../engine/atomic-file.js";
import { RUN_FORMAT_VERSION, RunDirError } from "./format.js";
import { isPlainObject, sha256, stringifyKeepingNonFinite } from "./json.js";

export type Summary = Record<string, unknown>;

export async function writeSummary(path: string, summary: Summary): Promise<void> {
  if ("checksum" in summary || "formatVersion" in summary) throw new Error('summary fields "checksum" and "formatVersion" are set by writeSummary');
  const body = JSON.parse(stringifyKeepingNonFinite({ formatVersion: RUN_FORMAT_VERSION, ...summary })) as Summary;
  const checksum = sha256(JSON.stringify(body));
  await atomicWriteFile(path, Buffer.from(`${JSON.stringify({ ...body, checksum }, null, 2)}\n`));
}

/** The summary without its checksum and format version, after checking both. */
export async function readSummary(path: string): Promise<Summary> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RunDirError(`cannot read ${path}: ${code === "ENOENT" ? "no such file (the run has not finished)" : (err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RunDirError(`${path} is corrupted: not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(value) || typeof value.checksum !== "string") throw new RunDirError(`${path} is corrupted: no "checksum" field`);
  const { checksum, ...body } = value;
  const actual = sha256(JSON.stringify(body));
  if (actual !== checksum) throw new RunDirError(`${path} is corrupted or was edited: checksum ${checksum} does not match its content (${actual})`);
  if (body.formatVersion !== RUN_FORMAT_VERSION) {
    throw new RunDirError(`${path} has format version ${JSON.stringify(body.formatVersion)}; this neuralese reads version ${RUN_FORMAT_VERSION}`);
  }
  const { formatVersion: _version, ...summary } = body;
  return summary;
}
