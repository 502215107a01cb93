// The final reward-hacking evaluation of any method on an inexact task (issue 10): its greedy
// test outputs scored by the task's hidden true quality H and by the learned reward models a
// policy could game (flawed labels, answer-only and chain+answer views, each fitted with the
// default reward-model options, i.e. exactly the proxy grpo's `model` reward trains against by
// default; the clean-label models are left out: each fit costs CPU seconds), plus the injection rates. Methods without a readable token chain
// (neuralese, direct) show the chain grader an empty chain.
import { mean } from "../common/mean.js";
import type { Example, Limits, Task } from "../tasks/index.js";
import { hackingDiagnostics, type HackingDiagnostics } from "../trainers/hacking-metrics.js";
import { GRADER_VIEWS, rewardModelOptions, trainRewardModel, type GraderView } from "../trainers/reward-model.js";

export interface HackingEvaluation extends Pick<HackingDiagnostics, "trueQuality" | "injectionAnswer" | "injectionChain" | "injectionTokens" | "diversity"> {
  n: number;
  /** Mean proxy reward by grader view, of the flawed-label reward model. */
  proxy: Record<GraderView, { flawed: number }>;
}

export async function hackingEvaluation(
  task: Task,
  taskOptions: Record<string, unknown>,
  limits: Limits,
  examples: readonly Example[],
  answers: readonly number[][],
  chains: readonly number[][],
): Promise<HackingEvaluation> {
  if (!task.inexact) throw new Error(`hacking evaluation: task "${task.name}" is exactly graded`);
  const truth = examples.map((e, i) => task.grade(e, answers[i]));
  const injection = task.inexact.injection(taskOptions);
  const proxy = {} as HackingEvaluation["proxy"];
  for (const view of GRADER_VIEWS) {
    const rm = await trainRewardModel(task, taskOptions, limits, rewardModelOptions.parse({ view }));
    try {
      proxy[view] = { flawed: mean(await rm.score(examples, chains, answers)) };
    } finally {
      rm.dispose();
    }
  }
  const { trueQuality, injectionAnswer, injectionChain, injectionTokens, diversity } = hackingDiagnostics(injection, chains, answers, truth, truth);
  return { n: examples.length, trueQuality, injectionAnswer, injectionChain, injectionTokens, diversity, proxy };
}

