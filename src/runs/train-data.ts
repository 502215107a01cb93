// Examples read from a file (`neuralese train --data FILE`, `neuralese eval --data FILE`): JSON
// lines as `neuralese data <task> --jsonl` writes them, or a Coconut ProsQA JSON list (task
// prosqa). Every example is checked against the task's vocabulary, and its sizes (the file's
// limits) against the run's, before anything is trained or written; each problem is a
// DataFileError naming the file and the line (or item).
import { readFile } from "node:fs/promises";
import { readCoconutProsQA, type Example, type Limits, type Vocab } from "../tasks/index.js";
import { HintedError } from "./format.js";
import { isPlainObject, jsonErrorLocation, sha256 } from "./json.js";

export class DataFileError extends HintedError {
  override name = "DataFileError";
}

export interface TrainData {
  examples: Example[];
  /** sha256 of the file's bytes: a resumed run checks that the file did not change. */
  sha256: string;
}

export interface DataFile extends TrainData {
  path: string;
  /** Where each example sits in the file ("line 3", "item 0"), for error messages. */
  where: string[];
  /** The largest sizes in the file: what a run needs to pad to. */
  limits: Limits;
  /** Coconut's ProsQA JSON (graded as Coconut grades it), or JSON lines. */
  format: "coconut-prosqa" | "jsonl";
}

/** Read and check `path` for `taskName` with this vocabulary and these limits (the run's, which must cover the file). */
export async function readTrainData(path: string, taskName: string, vocab: Vocab, limits: Limits): Promise<TrainData> {
  const file = await readDataFile(path, taskName, vocab);
  checkDataFits(file, limits, "configure the run with `neuralese train --data FILE`, which sizes it to the file (config task.limits)");
  return { examples: file.examples, sha256: file.sha256 };
}

/** Read `path` for `taskName`: every example parsed and checked against the vocabulary; its sizes measured. */
export async function readDataFile(path: string, taskName: string, vocab: Vocab): Promise<DataFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (err as Error).message;
    throw new DataFileError(`cannot read data file ${path}: ${why}`);
  }
  const text = bytes.toString("utf8");
  const hint = `write one with: neuralese data ${taskName} --jsonl --n 1000 > FILE`;
  const format = text.trimStart().startsWith("[") ? "coconut-prosqa" : "jsonl";
  const examples = format === "coconut-prosqa" ? readJsonList(path, text, taskName, vocab) : readJsonLines(path, text);
  if (examples.length === 0) throw new DataFileError(`data file ${path} holds no examples`, hint);
  examples.forEach(({ example, where }) => checkExample(example, vocab, `data file ${path} ${where}`));
  const list = examples.map((e) => e.example);
  return { path, examples: list, where: examples.map((e) => e.where), sha256: sha256(bytes), limits: limitsOf(list), format };
}

/** The largest question, answer, chain and step in `examples`. */
export function limitsOf(examples: readonly Example[]): Limits {
  const max = (xs: number[]) => xs.reduce((m, x) => Math.max(m, x), 0);
  return {
    maxQuestionLength: max(examples.map((e) => e.question.length)),
    maxAnswerLength: max(examples.map((e) => e.answer.length)),
    maxSteps: max(examples.map((e) => e.steps.length)),
    maxStepLength: max(examples.flatMap((e) => e.steps.map((s) => s.length))),
  };
}

/** Throw for the first example larger than `limits`, naming it, the size, the limit and `hint` (how to make room). */
export function checkDataFits(file: DataFile, limits: Limits, hint: string): void {
  file.examples.forEach((e, i) => {
    const over = (what: string, n: number, max: number) => {
      if (n > max) throw new DataFileError(`data file ${file.path} ${file.where[i]}: ${what} ${n} exceeds the run's limit ${max}`, hint);
    };
    over("question length", e.question.length, limits.maxQuestionLength);
    over("answer length", e.answer.length, limits.maxAnswerLength);
    over("number of steps", e.steps.length, limits.maxSteps);
    for (const s of e.steps) over("step length", s.length, limits.maxStepLength);
  });
}

interface Located {
  example: Example;
  where: string;
}

function readJsonLines(path: string, text: string): Located[] {
  const out: Located[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    const where = `line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new DataFileError(`data file ${path} ${where} is not valid JSON (${jsonErrorLocation(line, err).replace(/^line 1 /, "")})`);
    }
    out.push({ example: exampleOf(value, `data file ${path} ${where}`), where });
  });
  return out;
}

function readJsonList(path: string, text: string, taskName: string, vocab: Vocab): Located[] {
  if (taskName !== "prosqa") {
    throw new DataFileError(`data file ${path} is a JSON list (Coconut ProsQA format), which only task prosqa reads; task ${taskName} reads JSON lines`);
  }
  try {
    return readCoconutProsQA(text, vocab).map((example, i) => ({ example, where: `item ${i}` }));
  } catch (err) {
    const why = err instanceof SyntaxError ? `is not valid JSON (${jsonErrorLocation(text, err)})` : `is not a readable ProsQA file: ${(err as Error).message}`;
    throw new DataFileError(`data file ${path} ${why}`);
  }
}

/** A JSON line → example: question, answer and steps as token ids; difficulty a number. */
function exampleOf(value: unknown, where: string): Example {
  if (!isPlainObject(value)) throw new DataFileError(`${where} must be a JSON object with question, answer and steps`);
  const ids = (key: string, x: unknown): number[] => {
    if (!Array.isArray(x) || !x.every((t) => Number.isInteger(t))) throw new DataFileError(`${where}: "${key}" must be a list of integer token ids, got ${short(x)}`);
    return x as number[];
  };
  const question = ids("question", value.question);
  const answer = ids("answer", value.answer);
  if (value.steps !== undefined && !Array.isArray(value.steps)) throw new DataFileError(`${where}: "steps" must be a list of token-id lists, got ${short(value.steps)}`);
  const steps = ((value.steps as unknown[] | undefined) ?? []).map((s, k) => ids(`steps[${k}]`, s));
  const difficulty = value.difficulty ?? 0;
  if (typeof difficulty !== "number" || !Number.isFinite(difficulty)) throw new DataFileError(`${where}: "difficulty" must be a number, got ${short(difficulty)}`);
  return { question, answer, steps, difficulty, text: typeof value.text === "string" ? value.text : "", meta: value.meta ?? null };
}

function checkExample(e: Example, vocab: Vocab, where: string): void {
  if (e.question.length === 0) throw new DataFileError(`${where}: the question is empty`);
  if (e.answer.length === 0) throw new DataFileError(`${where}: the answer is empty`);
  for (const [key, tokens] of [["question", e.question], ["answer", e.answer], ...e.steps.map((s, k) => [`steps[${k}]`, s] as const)] as const) {
    const bad = tokens.find((t) => t < 0 || t >= vocab.size);
    if (bad !== undefined) {
      throw new DataFileError(`${where}: "${key}" holds token id ${bad}, outside the task's vocabulary (ids 0..${vocab.size - 1})`, "the file was written for another task, or for options with another vocabulary (e.g. --symbols): pass the options it was generated with");
    }
  }
}

function short(x: unknown): string {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
