// Scoring a trained run on a data file (`neuralese eval --data FILE`, `neuralese inspect --data
// FILE`): the file read with the run's task vocabulary and checked against the sizes the run pads
// to. Coconut's ProsQA files are graded as Coconut grades them (tasks/prosqa-json.ts); JSON lines
// by the task's own grader.
import { basename } from "node:path";
import { getTask, gradeLikeCoconut, namesAnOption, type Example, type Task } from "../tasks/index.js";
import { runLimits } from "./config.js";
import type { RunConfig } from "./config-schema.js";
import { checkDataFits, DataFileError, readDataFile, type DataFile } from "./train-data.js";
import { dispose } from "../engine/tree.js";
import { evaluate, makePredictor, type Evaluation } from "./evaluate.js";
import type { RunDir } from "./run-dir.js";
import { loadTrainedModel, type TrainedModel } from "./trained-model.js";

export interface EvalData {
  file: DataFile;
  /** The file's examples, or its first `n`. */
  examples: Example[];
  /** The run's task, its grader replaced by Coconut's rule for a Coconut file. */
  task: Task;
  grading: "coconut" | "task";
  /** What the output calls this set: --split-name, else the file's name. */
  splitName: string;
}

/** The examples of `path` for the run `cfg`, checked to fit it; errors say how to make room. */
export async function readEvalData(cfg: RunConfig, path: string, opts: { n?: number; splitName?: string } = {}): Promise<EvalData> {
  const task = getTask(cfg.task.name);
  const file = await readDataFile(path, cfg.task.name, task.vocab(cfg.task.options));
  const limits = runLimits(cfg);
  checkDataFits(file, limits,
    `this run pads questions to ${limits.maxQuestionLength} tokens and ${limits.maxSteps} steps (model.maxLen ${cfg.model.maxLen}); ` +
    `score a run sized for this file: neuralese train --task ${cfg.task.name} --data ${path}${cfg.task.name === "prosqa" ? ", or --task prosqa --graphs coconut" : " (or options with larger sizes)"}`);
  if (opts.n !== undefined && opts.n > file.examples.length) {
    throw new DataFileError(`--n ${opts.n} is more than the ${file.examples.length} examples of data file ${path}`, "lower --n, or leave it out to score the whole file");
  }
  const coconut = file.format === "coconut-prosqa";
  return {
    file,
    examples: opts.n === undefined ? file.examples : file.examples.slice(0, opts.n),
    task: coconut ? { ...task, grade: (e, predicted) => gradeLikeCoconut(e, predicted) } : task,
    grading: coconut ? "coconut" : "task",
    splitName: opts.splitName ?? basename(path),
  };
}

/** Coconut files: the fraction of answers that name either option (right or wrong), overall and per difficulty. */
export function optionNaming(examples: readonly Example[], answers: readonly number[][]): { overall: number; byDifficulty: Record<string, number> } {
  const groups = new Map<number, boolean[]>();
  examples.forEach((e, i) => groups.set(e.difficulty, [...(groups.get(e.difficulty) ?? []), namesAnOption(e as never, answers[i])]));
  const rate = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;
  const byDifficulty = Object.fromEntries([...groups.entries()].sort((a, b) => a[0] - b[0]).map(([d, xs]) => [String(d), rate(xs)]));
  return { overall: rate(examples.map((e, i) => namesAnOption(e as never, answers[i]))), byDifficulty };
}

/** What scoring a run on a file gives (`neuralese eval --data`'s output and a bet's DIR/runs/…/data-NAME.json). */
export interface FileScore extends Evaluation {
  run: string;
  split: string;
  data: { file: string; sha256: string; examples: number; grading: EvalData["grading"] };
  /** Training step of the model scored. */
  step: number;
  /** Coconut files: how often the answer names either option at all (a model that has not learned the form names neither). */
  namesAnOption?: ReturnType<typeof optionNaming>;
}

/**
 * Greedy accuracy of a loaded model on examples graded by `task`, and (Coconut files) how often
 * the answer names either option at all (a model that has not learned the form names neither).
 * Borrows the model.
 */
export async function scoreExamples(model: TrainedModel, task: Task, examples: readonly Example[], batchSize: number, coconut: boolean): Promise<Evaluation & Pick<FileScore, "namesAnOption">> {
  const predictor = makePredictor(model.recipe, model.reasoner, model.limits);
  const answers: number[][] = [];
  const result = await evaluate(predictor, model.recipe, task, model.params, examples, model.limits, batchSize, { answers, chains: [] });
  predictor.dispose();
  return { ...result, ...(coconut ? { namesAnOption: optionNaming(examples, answers) } : {}) };
}

/** Score the run's final model (loaded once, its own method options) on each file, named by `splitName`. */
export async function scoreRunOnFiles(run: RunDir, files: readonly { path: string; splitName: string }[]): Promise<FileScore[]> {
  const read = [];
  for (const f of files) read.push(await readEvalData(run.config, f.path, { splitName: f.splitName }));
  const model = await loadTrainedModel(run, getTask(run.config.task.name));
  try {
    const scores: FileScore[] = [];
    for (const data of read) {
      const scored = await scoreExamples(model, data.task, data.examples, run.config.batchSize, data.grading === "coconut");
      scores.push({ run: run.path, split: data.splitName, data: fileSource(data), step: model.info.step, ...scored });
    }
    return scores;
  } finally {
    dispose(model.params);
  }
}

/** What a score records of the file it was computed on. */
export const fileSource = (data: EvalData, examples = data.examples.length): FileScore["data"] => ({ file: data.file.path, sha256: data.file.sha256, examples, grading: data.grading });
