// A task written as functions of resolved options, made into the Task contract: every method
// resolves the options it is given first, `generate` draws distinct problems of the split
// (splits.ts), and answers are graded by exact match unless the task grades them itself.
import { checkDraw, drawDistinct, type Sampler } from "./splits.js";
import { exactMatch, type Limits, type Split, type Task } from "./task.js";
import type { Vocab } from "./vocab.js";

export interface TaskDefinition<Options, Meta, Problem> extends Omit<Task<Options, Meta>, "vocab" | "limits" | "generate" | "grade"> {
  vocab(o: Options): Vocab;
  limits(o: Options): Limits;
  /** How the problems of `split` are drawn. */
  sampler(o: Options, split: Split): Sampler<Problem, Meta>;
  /** Default: exact match of the answer tokens. */
  grade?: Task<Options, Meta>["grade"];
}

export function defineTask<Options, Meta, Problem = Meta>(d: TaskDefinition<Options, Meta, Problem>): Task<Options, Meta> {
  const { sampler, ...task } = d;
  return {
    ...task,
    vocab: (o) => d.vocab(d.resolveOptions(o)),
    limits: (o) => d.limits(d.resolveOptions(o)),
    generate(seed, split, n, options) {
      const o = d.resolveOptions(options);
      checkDraw(seed, split, n);
      return drawDistinct(d.name, seed, split, n, sampler(o, split));
    },
    grade: d.grade ?? ((example, predicted) => exactMatch(example.answer, predicted)),
  };
}
