// `neuralese inspect`: the monitorability readout of one trained run, written to DIR/inspect.json
// (format INSPECT_FORMAT) and rendered as text for the terminal.
import { join } from "node:path";
import { atomicWriteFile } from "../../engine/atomic-file.js";
import { dispose, type Tree } from "../../engine/tree.js";
import { evaluate, makePredictor } from "../../runs/evaluate.js";
import { recipeFor } from "../../trainers/index.js";
import { loadTrainedModel, readEvalData, RunDir, type RunConfig } from "../../runs/index.js";
import { RUN_METHOD_SPECS } from "../../runs/train-run.js";
import { getTask, type Split } from "../../tasks/index.js";
import { analyseLatentChain, INSPECT_FORMAT, readLatentChain, type LatentMonitor } from "./monitorability.js";
import { analyseCot, type CotMonitor } from "./cot-faithfulness.js";

export const INSPECT_FILE = "inspect.json";

/**
 * Tasks whose gold step k ends in the variable the chain should hold after k steps (pointer-chase:
 * f^k(s); prosqa: the node reached; parity: the running parity; prontoqa: the category reached).
 * Others (multiply's partial products, compose's free text) have no one-token variable to probe for.
 */
const READABLE_TASKS = new Set(["pointer-chase", "prosqa", "parity", "prontoqa"]);

/** Whether `inspect` has a chain to read in a run of this config: a latent chain, a token CoT or a fixed token chain, on a task with known intermediates. */
export function inspectable(cfg: RunConfig): boolean {
  if (!READABLE_TASKS.has(cfg.task.name)) return false;
  const recipe = recipeFor(cfg.method.name, cfg.model.latentSteps, cfg.method.options);
  return recipe.trace !== undefined || recipe.name === "cot" || recipe.name === "fixed-chain";
}

export interface InspectReport {
  format: number;
  run: string;
  method: string;
  methodOptions: Record<string, unknown>;
  task: string;
  model: string;
  latentSteps: number;
  /** Training step of the model inspected. */
  step: number;
  /** A generated split, or (with --data) the name of the file's examples. */
  split: string;
  /** The data file inspected, when not a generated split. */
  data?: { file: string; sha256: string };
  seed: number;
  n: number;
  /** Answer accuracy on the inspected examples. */
  accuracy: number;
  /** Latent chain (probes, lens) or token chain (faithfulness); null when the recipe has neither. */
  monitor: LatentMonitor | CotMonitor | null;
}

export interface InspectOptions {
  /** Examples (default 1000 generated; with `data`, the whole file). */
  n?: number;
  split: Split;
  seed?: number;
  /** Examples shown per-example. */
  show: number;
  /** Inspect this file's examples (its first n) instead of a generated split. */
  data?: string;
  /** What the report calls the file's examples (default: the file's name). */
  splitName?: string;
}

/** Inspect the run in `dir` and write DIR/inspect.json. */
export async function inspectRun(dir: string, opts: InspectOptions): Promise<InspectReport> {
  const run = await RunDir.open(dir, { methods: RUN_METHOD_SPECS });
  const cfg = run.config;
  const task = getTask(cfg.task.name);
  const vocab = task.vocab(cfg.task.options);
  const { limits, reasoner, recipe, params, info } = await loadTrainedModel(run, task);
  const seed = opts.seed ?? cfg.seed;
  const data = opts.data === undefined ? undefined : await readEvalData(cfg, opts.data, { n: opts.n, splitName: opts.splitName });
  const examples = data?.examples ?? task.generate(seed, opts.split, opts.n ?? 1000, cfg.task.options);
  const predictor = makePredictor(recipe, reasoner, limits);
  const evaluation = await evaluate(predictor, recipe, data?.task ?? task, params as Tree, examples, limits, cfg.batchSize);
  predictor.dispose();
  let monitor: LatentMonitor | CotMonitor | null = null;
  if (recipe.trace) {
    const readout = await readLatentChain(recipe, reasoner, params as Tree, examples, limits, cfg.batchSize);
    monitor = analyseLatentChain(readout, examples, task, vocab, { seed, show: opts.show });
  } else if (recipe.name === "cot" || recipe.name === "fixed-chain") {
    monitor = await analyseCot(recipe, reasoner, params as Tree, task, vocab, examples, limits, cfg.batchSize, { seed, show: opts.show, chainTokens: cfg.model.latentSteps });
  }
  dispose(params as Tree);
  const report: InspectReport = {
    format: INSPECT_FORMAT,
    run: run.path,
    method: cfg.method.name,
    methodOptions: cfg.method.options as Record<string, unknown>,
    task: cfg.task.name,
    model: cfg.model.kind,
    latentSteps: cfg.model.latentSteps,
    step: info.step,
    split: data?.splitName ?? opts.split,
    ...(data ? { data: { file: data.file.path, sha256: data.file.sha256 } } : {}),
    seed,
    n: examples.length,
    accuracy: evaluation.accuracy,
    monitor,
  };
  await atomicWriteFile(join(run.path, INSPECT_FILE), new TextEncoder().encode(JSON.stringify(report, null, 1) + "\n"));
  return report;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "-");

/** The report as terminal text: per-example view, then the tables. */
export function renderInspect(r: InspectReport): string {
  const out: string[] = [];
  const opts = Object.entries(r.methodOptions).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ");
  out.push(`run ${r.run}: ${r.method}${opts ? ` (${opts})` : ""} on ${r.task}, ${r.model}, K=${r.latentSteps}, step ${r.step}`);
  out.push(`${r.n} ${r.split} examples (${r.data ? `file ${r.data.file}` : `seed ${r.seed}`}), answer accuracy ${pct(r.accuracy)}`);
  const m = r.monitor;
  if (!m) {
    out.push("this recipe has neither a latent chain nor a token chain to read");
    return out.join("\n");
  }
  if (m.kind === "latent") {
    for (const e of m.examples) {
      out.push("", `#${e.index}  ${e.text.replace(/\n/g, " | ")}`);
      e.thoughts.forEach((t, k) => {
        const lens = t.lens.map(([tok, p]) => `${tok} ${p.toFixed(2)}`).join(", ");
        out.push(`  thought ${k + 1}: gold ${e.gold[k] ?? "-"}  lens [${lens}]  probe ${t.probe ?? "-"}`);
      });
    }
    out.push("", "probes on each thought's own hop and on the answer (held-out accuracy; control = fitted on shuffled labels; majority = most frequent label)");
    out.push("  step  layer    target  n_test  accuracy  control  majority");
    for (const p of m.probes.filter((p) => p.target === "answer" || p.hop === p.step)) {
      out.push(`  ${String(p.step).padEnd(5)} ${p.layer.padEnd(8)} ${p.target.padEnd(7)} ${String(p.nTest).padEnd(7)} ${pct(p.accuracy).padEnd(9)} ${pct(p.control).padEnd(8)} ${pct(p.majority)}`);
    }
    const hops = [...new Set(m.probes.filter((p) => p.target === "hop").map((p) => p.hop!))].sort((a, b) => a - b);
    out.push("", "latent probe accuracy, thought (rows) × gold hop (columns)");
    out.push(`  thought  ${hops.map((h) => `hop ${h}`.padEnd(8)).join(" ")}`);
    for (let k = 1; k <= m.latentSteps; k++) {
      const cell = (h: number) => m.probes.find((p) => p.layer === "latent" && p.target === "hop" && p.step === k && p.hop === h);
      out.push(`  ${String(k).padEnd(8)} ${hops.map((h) => pct(cell(h)?.accuracy ?? NaN).padEnd(8)).join(" ")}`);
    }
    out.push("", "logit lens (output head on each latent)");
    out.push("  step  target  n      top1    top3    mean rank  mean p");
    for (const l of m.lens) {
      out.push(`  ${String(l.step).padEnd(5)} ${l.target.padEnd(7)} ${String(l.n).padEnd(6)} ${pct(l.top1).padEnd(7)} ${pct(l.top3).padEnd(7)} ${l.meanRank.toFixed(2).padEnd(10)} ${l.meanProb.toFixed(3)}`);
    }
    if (m.frontier) {
      out.push("", "frontier (lens probability mass on nodes at distance = step from the root vs the graph's other nodes)");
      for (const f of m.frontier) {
        out.push(`  step ${f.step}: frontier ${f.frontierMass.toFixed(3)} over ${f.frontierNodes.toFixed(1)} nodes, other ${f.otherNodeMass.toFixed(3)} over ${f.otherNodes.toFixed(1)} nodes (n ${f.n})`);
      }
    }
  } else {
    for (const e of m.examples) {
      out.push("", `#${e.index}  ${e.text.replace(/\n/g, " | ")}`, `  written:   ${e.written}`, `  corrupted: ${e.corrupted}`);
    }
    out.push("", `token chain: well-formed ${pct(m.wellFormed)}, chain exactly gold ${pct(m.chainExact)}, answer = last written step ${pct(m.answerFollowsChain)}`);
    for (const s of m.writtenSteps) out.push(`  written step ${s.step} is the true variable: ${pct(s.accuracy)} (n ${s.n})`);
    const c = m.corruption;
    out.push(`step 1 corrupted: answer changed ${pct(c.changed)}, answer follows the corrupted step ${c.followsCorrupted === null ? "-" : pct(c.followsCorrupted)} (n ${c.n})`);
    for (const [d, s] of Object.entries(c.byDifficulty)) {
      out.push(`  difficulty ${d}: changed ${pct(s.changed)}, follows ${s.followsCorrupted === null ? "-" : pct(s.followsCorrupted)} (n ${s.n})`);
    }
  }
  return out.join("\n");
}
