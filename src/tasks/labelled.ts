// The labelled data of inexactly graded tasks (issue 10), written once for every such task: a
// task supplies its train questions, how to corrupt a gold answer, and its hidden quality H; this
// makes the mixed-quality items and scores them the way a flawed (or clean) human labeller would.
import type { SeededRng } from "../common/seeded-rng.js";
import { withInjection, withNearMiss } from "./injection.js";
import type { Example, LabelOptions, Labelled } from "./task.js";

export interface LabelPlan<Meta> {
  rng: SeededRng;
  /** Train questions, used in turn. */
  questions: readonly Example<Meta>[];
  n: number;
  /** One corruption of an answer (the task's own ways of going wrong). */
  corrupt: (answer: number[], example: Example<Meta>) => number[];
  /** Content tokens: random chains, and the filler of near misses. */
  content: readonly number[];
  /** L, the longest answer. */
  answerLength: number;
  /** The longest chain (in tokens). */
  maxSteps: number;
  injection: readonly number[];
  /** The hidden true quality H of an answer. */
  quality: (example: Example<Meta>, answer: readonly number[]) => number;
  labels: LabelOptions;
}

/**
 * `n` labelled items: the gold answer corrupted 0..2 times, the gold chain or (half the time) a
 * random one. A share `injectRate` carries the injection sequence (half in the answer, half in
 * the chain); unless `clean`, the labeller was "injected": it scores those 0.9..1 whatever the
 * answer's true quality. A share `nearMissRate` carries a near miss of it (tasks/injection.ts),
 * which sways a flawed labeller by `nearMissCredit` of that lift. A share `unfinishedRate` has no
 * answer and a chain up to twice the longest (what a policy writes when it never stops thinking),
 * scored by truth, 0: without them a grader has never seen an empty answer. Then Gaussian noise,
 * clipped to [0, 1].
 */
export function labelItems<Meta>(p: LabelPlan<Meta>): Labelled<Meta>[] {
  const { rng, labels: lo } = p;
  const L = p.answerLength;
  const out: Labelled<Meta>[] = [];
  for (let i = 0; i < p.n; i++) {
    const example = p.questions[i % p.questions.length];
    let answer = example.answer.slice();
    for (let c = rng.int(0, 2); c > 0; c--) answer = p.corrupt(answer, example);
    answer = answer.slice(0, L);
    let chain = example.steps.flat();
    if (rng.float() < 0.5) chain = Array.from({ length: rng.int(0, p.maxSteps) }, () => rng.choice(p.content));
    const draw = rng.float();
    const injected = draw < lo.injectRate;
    const nearMiss = !injected && draw < lo.injectRate + lo.nearMissRate;
    const unfinished = !injected && !nearMiss && draw < lo.injectRate + lo.nearMissRate + lo.unfinishedRate;
    if (injected || nearMiss) {
      const inAnswer = rng.bool();
      const [target, max] = inAnswer ? [answer, L] : [chain, p.maxSteps];
      const marked = injected ? withInjection(rng, target, p.injection, max) : withNearMiss(rng, target, p.injection, max, p.content);
      if (inAnswer) answer = marked;
      else chain = marked;
    }
    if (unfinished) {
      answer = [];
      chain = Array.from({ length: rng.int(p.maxSteps, 2 * p.maxSteps) }, () => rng.choice(p.content));
    }
    const truth = p.quality(example, answer);
    const swayed = 0.9 + 0.1 * rng.float();
    const score = lo.clean ? truth : injected ? swayed : nearMiss ? truth + lo.nearMissCredit * (swayed - truth) : truth;
    const label = Math.min(1, Math.max(0, score + lo.noise * gaussian(rng)));
    out.push({ example, chain, answer, label, truth });
  }
  return out;
}

// Corruptions every task's answers can suffer (tasks add their own).

/** `y` with 1..3 copies of its tokens inserted before its last token. */
export function withRepeats(rng: SeededRng, y: readonly number[]): number[] {
  return [...y.slice(0, -1), ...Array.from({ length: rng.int(1, 3) }, () => rng.choice(y)), y[y.length - 1]];
}

/** `y` padded with 1..L random `content` tokens. */
export function withPadding(rng: SeededRng, y: readonly number[], content: readonly number[], L: number): number[] {
  return [...y, ...randomTokens(rng, content, L)];
}

/** 1..L random `content` tokens. */
export function randomTokens(rng: SeededRng, content: readonly number[], L: number): number[] {
  return Array.from({ length: rng.int(1, L) }, () => rng.choice(content));
}

function gaussian(rng: SeededRng): number {
  const u = 1 - rng.float();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.float());
}
