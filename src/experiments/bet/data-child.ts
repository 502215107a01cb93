// Scores one finished run of a bet on data files, in a child process of its own (forked by
// data-eval.ts: the engine and its memory go when it exits): argv[2] is the run directory,
// argv[3] the files as JSON [{name, path}]; each score goes to DIR/data-NAME.json.
import { startEngine } from "../../engine/backend.js";
import { atomicWriteFile } from "../../engine/atomic-file.js";
import { RunDir, scoreRunOnFile } from "../../runs/index.js";
import { RUN_METHOD_SPECS } from "../../runs/train-run.js";
import { dataScoreFile, type EvalDataSpec } from "./spec.js";

const [dir, filesJson] = process.argv.slice(2);
try {
  const run = await RunDir.open(dir, { methods: RUN_METHOD_SPECS });
  await startEngine(run.config.backend);
  for (const f of JSON.parse(filesJson) as EvalDataSpec[]) {
    const score = await scoreRunOnFile(run, f.path, { splitName: f.name });
    await atomicWriteFile(dataScoreFile(dir, f.name), Buffer.from(`${JSON.stringify(score, null, 1)}\n`));
  }
  process.exit(0);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
