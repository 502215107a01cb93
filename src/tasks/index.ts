// The task registry: every task by name. pointer-chase is the default task.
import { compose } from "./compose.js";
import { digest } from "./digest.js";
import { multiply } from "./multiply.js";
import { parity } from "./parity.js";
import { pointerChase } from "./pointer-chase.js";
import { prontoqa } from "./prontoqa.js";
import { prosqa } from "./prosqa.js";
import { TaskOptionError, type Task } from "./task.js";

export const TASKS: Readonly<Record<string, Task>> = {
  [pointerChase.name]: pointerChase,
  [parity.name]: parity,
  [prosqa.name]: prosqa,
  [prontoqa.name]: prontoqa,
  [multiply.name]: multiply,
  [compose.name]: compose,
  [digest.name]: digest,
};

export const TASK_NAMES = Object.keys(TASKS);
export const DEFAULT_TASK = pointerChase.name;

/** The task called `name`; throws a TaskOptionError listing the tasks otherwise. */
export function getTask(name: string): Task {
  const task = TASKS[name];
  if (!task) throw new TaskOptionError("task", `unknown task "${name}"; the tasks are ${TASK_NAMES.join(", ")}`);
  return task;
}

export { SPLITS, TaskOptionError, containsSequence, type Example, type InexactGrading, type LabelOptions, type Labelled, type Limits, type Split, type Task } from "./task.js";
export { SPECIAL, SPECIAL_TOKENS, Vocab } from "./vocab.js";
export { splitOfKey } from "./splits.js";
export { readCoconutProsQA, writeCoconutProsQA, gradeLikeCoconut, namesAnOption } from "./prosqa-json.js";
export { prosqaVocab } from "./prosqa.js";
