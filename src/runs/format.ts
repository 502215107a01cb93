// What a run directory holds and which format version this code reads and writes.
import { join } from "node:path";

/**
 * Version of the run-directory layout and of the files in it. Bump it when a file changes in a
 * way older code would misread; `RunDir.open` refuses other versions instead of guessing.
 */
export const RUN_FORMAT_VERSION = 1;

/** File names inside a run directory (DESIGN.md, "Run"). */
export const RUN_FILES = {
  config: "config.json",
  metrics: "metrics.jsonl",
  summary: "summary.json",
  model: "model.safetensors",
  checkpointDir: "checkpoint",
  report: "report.html",
} as const;

/** The one checkpoint kept, replaced atomically each time. */
export const CHECKPOINT_FILE = join(RUN_FILES.checkpointDir, "state.safetensors");

/** An error for the person running neuralese: what is wrong and, in `hint`, how to fix it. */
export class HintedError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** A problem with a run directory or one of its files; the message names the file. */
export class RunDirError extends HintedError {
  override name = "RunDirError";
}
