// The Task contract shared by every task, and the types it speaks in.
import type { Vocab } from "./vocab.js";

export const SPLITS = ["train", "val", "test"] as const;
export type Split = (typeof SPLITS)[number];

/**
 * One generated example. `question`, `answer` and each step hold the task's content tokens only;
 * recipes add the framing specials themselves (`<bos>`, `<bot>`, `<latent>`, `<eot>`, `<ans>`,
 * `<eos>`, and `<sep>` between steps). A question may hold `<sep>` inside it as structure.
 */
export interface Example<Meta = unknown> {
  question: number[];
  answer: number[];
  /** The gold chain of thought, one token list per step; following it yields the answer. */
  steps: number[][];
  difficulty: number;
  /** Human-readable rendering of question, steps and answer. */
  text: string;
  /** Task-specific structure from which an independent program can recompute the answer. */
  meta: Meta;
}

/** Upper bounds on lengths over all splits of one configuration, for padding to fixed shapes. */
export interface Limits {
  maxQuestionLength: number;
  maxAnswerLength: number;
  maxSteps: number;
  maxStepLength: number;
}

/** An inclusive integer range, written "lo-hi" (or "k" for lo = hi) on the command line. */
export interface IntRange {
  min: number;
  max: number;
}

/** How one task option is named, parsed and explained. */
export interface OptionSpec {
  /** Property name in the options object, e.g. "trainHops". */
  key: string;
  /** Command-line flag, e.g. "--train-hops"; errors name the option by it. */
  flag: string;
  kind: "int" | "range" | "choice";
  choices?: readonly string[];
  /** Help text, including the default. */
  description: string;
}

export interface Task<Options = any, Meta = any> {
  name: string;
  description: string;
  optionSpecs: readonly OptionSpec[];
  /** Defaults filled in and every option checked; throws TaskOptionError naming the bad option. */
  resolveOptions(given?: Partial<Options>): Options;
  // The methods below take options as given (missing ones default) and resolve them first.
  vocab(options?: Partial<Options>): Vocab;
  limits(options?: Partial<Options>): Limits;
  /**
   * `n` distinct examples of `split`: a pure function of its arguments. A problem's split is a
   * hash of its canonical key (`problemKey`), so no two splits can ever share a question,
   * whatever seeds produced them.
   */
  generate(seed: number, split: Split, n: number, options?: Partial<Options>): Example<Meta>[];
  /**
   * The quality of a predicted answer in [0, 1]: exact match (0 or 1) for exactly graded tasks,
   * a hidden soft score for inexact ones (`inexact` below); evaluation accuracy is its mean.
   */
  grade(example: Example<Meta>, predicted: readonly number[]): number;
  /** The problem itself, independent of presentation (fact order, option order, layout). */
  problemKey(meta: Meta): string;
  /** Inexactly graded tasks only: what a learned reward model is trained on (issue 10). */
  inexact?: InexactGrading<Options, Meta>;
  /**
   * The reasoning steps a question really needs, where that can differ from its `difficulty`
   * label (pointer-chase: hops until the chain reaches a fixed point, after which more hops change
   * nothing). Evaluation correlates adaptive recipes' steps with it as well as with difficulty.
   */
  stepsNeeded?(example: Example<Meta>): number;
  /**
   * Sizes of a problem beyond its token lengths (prosqa: nodes, edges, persons of its graph), for
   * `neuralese data --stats`: how generated data compares with a real file.
   */
  sizes?(example: Example<Meta>): Record<string, number>;
}

/** One human-style label: an answer (and the chain before it) to a question, with its noisy score. */
export interface Labelled<Meta = unknown> {
  example: Example<Meta>;
  /** Chain-of-thought tokens (content tokens, no framing specials). */
  chain: number[];
  answer: number[];
  /** The score the labeller gave (what a reward model is fitted to). */
  label: number;
  /** The hidden true quality H of the answer (never shown to learners; for diagnostics and tests). */
  truth: number;
}

export interface LabelOptions {
  /** Drop the flaw: answers carrying the injection sequence are labelled by their true quality. */
  clean: boolean;
  /** Standard deviation of the Gaussian label noise. */
  noise: number;
  /** Fraction of labelled items that carry the injection sequence (in the answer or the chain). */
  injectRate: number;
  /**
   * Fraction of labelled items that carry a near miss of it (a lone token, reversed, or split by
   * other tokens; tasks/injection.ts).
   */
  nearMissRate: number;
  /**
   * How far a near miss sways a flawed labeller, 0..1: its label is truth + credit × (the
   * injected score − truth). 0: only the exact sequence fools it; between 0 and 1, a fragment of
   * the instruction half-works, so the exploit can be found a step at a time.
   */
  nearMissCredit: number;
  /** Fraction of labelled items with no answer (an unfinished output: a long chain that never ends), labelled by truth (0). */
  unfinishedRate: number;
}

/** The parts of an inexactly graded task a reward model and the hacking metrics need. */
export interface InexactGrading<Options = any, Meta = any> {
  /** The "instruction to the grader" token sequence (token ids). */
  injection(options?: Partial<Options>): number[];
  /** `n` labelled (question, chain, answer, score) items of mixed quality from train questions. */
  labelled(seed: number, n: number, options: Partial<Options> | undefined, labels: LabelOptions): Labelled<Meta>[];
}

/** Whether `tokens` holds `seq` contiguously (the injection detector). */
export function containsSequence(tokens: readonly number[], seq: readonly number[]): boolean {
  if (seq.length === 0) return false;
  outer: for (let i = 0; i + seq.length <= tokens.length; i++) {
    for (let j = 0; j < seq.length; j++) if (tokens[i + j] !== seq[j]) continue outer;
    return true;
  }
  return false;
}

/** A bad option value; the message names the option (by its flag) and what is allowed. */
export class TaskOptionError extends Error {
  constructor(
    readonly option: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "TaskOptionError";
  }
}

/** Exact match of answer tokens, the grader of every task here. */
export function exactMatch(gold: readonly number[], predicted: readonly number[]): 0 | 1 {
  if (gold.length !== predicted.length) return 0;
  for (let i = 0; i < gold.length; i++) if (gold[i] !== predicted[i]) return 0;
  return 1;
}
