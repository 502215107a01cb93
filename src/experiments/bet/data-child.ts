// Scores one finished run of a bet on data files, in a child process of its own (forked by
// data-eval.ts: the engine and its memory go when it exits): argv[2] is the run directory,
// argv[3] the files as JSON [{name, path}]; each score goes to DIR/data-NAME.json.
import { startEngine } from "../../engine/backend.js";
import { atomicWriteFile } from "../../engine/atomic-file.js";
import { RunDir, scoreRunOnFiles } from "../../runs/index.js";
import { RUN_METHOD_SPECS } from "../../runs/train-run.js";
import { dataScoreFile, type EvalDataSpec } from "./spec.js";

const [dir, filesJson] = process.argv.slice(2);
try {
  const run = await RunDir.open(dir, { methods: RUN_METHOD_SPECS });
  await startEngine(run.config.backend);
  const files = JSON.parse(filesJson) as EvalDataSpec[];
  const scores = await scoreRunOnFiles(run, files.map((f) => ({ path: f.path, splitName: f.name })));
  for (const [i, f] of files.entries()) await atomicWriteFile(dataScoreFile(dir, f.name), Buffer.from(`${JSON.stringify(scores[i], null, 1)}\n`));
  process.exit(0);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
