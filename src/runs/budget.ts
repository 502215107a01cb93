// The Budget every method charges the same way (DESIGN.md, "Method"), so that methods can be
// compared at equal examples and at equal FLOPs. Counters only grow; a snapshot restores them
// exactly on resume.
import type { BudgetCharge } from "../engine/flops.js";

export type { BudgetCharge };

export interface BudgetLimits {
  /** Optimizer steps (null or absent: no limit). */
  maxSteps?: number | null;
  /** (x, y*) pairs drawn for training. */
  maxExamples?: number | null;
  /** Forward + backward FLOPs. */
  maxFlops?: number | null;
}

export interface BudgetCounters {
  steps: number;
  /** (x, y*) pairs drawn for training (a sampled group of G rollouts of one question counts 1). */
  examples: number;
  /** Token positions run forward (a latent step counts as a position). */
  forwardTokens: number;
  /** Token positions backpropagated through. */
  backwardTokens: number;
  forwardFlops: number;
  backwardFlops: number;
  wallMs: number;
}

/** The JSON form kept in checkpoints. */
export interface BudgetSnapshot {
  limits: { maxSteps: number | null; maxExamples: number | null; maxFlops: number | null };
  counters: BudgetCounters;
}

export type BudgetLimitName = "maxSteps" | "maxExamples" | "maxFlops";

const ZERO: BudgetCounters = { steps: 0, examples: 0, forwardTokens: 0, backwardTokens: 0, forwardFlops: 0, backwardFlops: 0, wallMs: 0 };

export class Budget {
  readonly limits: BudgetSnapshot["limits"];
  private c: BudgetCounters;

  constructor(limits: BudgetLimits = {}, counters: Partial<BudgetCounters> = {}) {
    this.limits = {
      maxSteps: checkLimit("maxSteps", limits.maxSteps),
      maxExamples: checkLimit("maxExamples", limits.maxExamples),
      maxFlops: checkLimit("maxFlops", limits.maxFlops),
    };
    this.c = { ...ZERO };
    for (const key of Object.keys(ZERO) as (keyof BudgetCounters)[]) {
      if (counters[key] !== undefined) this.c[key] = checkAmount(key, counters[key]);
    }
  }

  /** Add to the counters. Amounts must be finite and >= 0; nothing is added if one is not. */
  charge(charge: BudgetCharge): void {
    const add: Partial<BudgetCounters> = {
      steps: charge.steps,
      examples: charge.examples,
      forwardTokens: charge.forwardTokens,
      backwardTokens: charge.backwardTokens,
      forwardFlops: charge.flops?.forward,
      backwardFlops: charge.flops?.backward,
      wallMs: charge.wallMs,
    };
    for (const [key, v] of Object.entries(add)) if (v !== undefined) checkAmount(key, v);
    for (const [key, v] of Object.entries(add)) if (v !== undefined) this.c[key as keyof BudgetCounters] += v;
  }

  /** Run `fn` and charge its wall-clock time (also when it throws). */
  async timed<T>(fn: () => Promise<T> | T): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.charge({ wallMs: performance.now() - start });
    }
  }

  get counters(): Readonly<BudgetCounters> {
    return { ...this.c };
  }

  get flops(): number {
    return this.c.forwardFlops + this.c.backwardFlops;
  }

  /** Which limit is reached, if any (steps, then examples, then FLOPs). */
  exhaustedBy(): BudgetLimitName | undefined {
    const { maxSteps, maxExamples, maxFlops } = this.limits;
    if (maxSteps !== null && this.c.steps >= maxSteps) return "maxSteps";
    if (maxExamples !== null && this.c.examples >= maxExamples) return "maxExamples";
    if (maxFlops !== null && this.flops >= maxFlops) return "maxFlops";
    return undefined;
  }

  exhausted(): boolean {
    return this.exhaustedBy() !== undefined;
  }

  /** Examples still allowed (Infinity without an example limit); a method can shrink its last batch to fit. */
  remainingExamples(): number {
    return this.limits.maxExamples === null ? Infinity : Math.max(0, this.limits.maxExamples - this.c.examples);
  }

  /** How far through the budget, 0..1: the largest fraction used of any limit (0 with no limits). For ETAs and progress bars. */
  fractionUsed(): number {
    const { maxSteps, maxExamples, maxFlops } = this.limits;
    const used = [
      maxSteps === null ? 0 : this.c.steps / maxSteps,
      maxExamples === null ? 0 : this.c.examples / maxExamples,
      maxFlops === null ? 0 : this.flops / maxFlops,
    ];
    return Math.min(1, Math.max(...used));
  }

  snapshot(): BudgetSnapshot {
    return { limits: { ...this.limits }, counters: { ...this.c } };
  }

  static restore(snapshot: BudgetSnapshot): Budget {
    if (typeof snapshot !== "object" || snapshot === null || typeof snapshot.counters !== "object" || snapshot.counters === null) {
      throw new Error("Budget.restore: not a budget snapshot (need {limits, counters})");
    }
    for (const key of Object.keys(ZERO)) {
      if (!(key in snapshot.counters)) throw new Error(`Budget.restore: counter "${key}" is missing`);
    }
    return new Budget(snapshot.limits ?? {}, snapshot.counters);
  }
}

function checkAmount(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new Error(`Budget: ${name} must be a finite number >= 0, got ${String(v)}`);
  }
  return v;
}

function checkLimit(name: string, v: number | null | undefined): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !(v > 0)) throw new Error(`Budget: ${name} must be > 0 or null, got ${String(v)}`);
  return v;
}
