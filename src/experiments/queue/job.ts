// A run as a queue job: its deterministic id (so a resumed bet finds its jobs again, and adding
// one twice is a no-op), its payload, and the worker's check of a payload before anything runs.
// Whoever can write to Redis can add jobs, so nothing in a payload is trusted: the config goes
// through the run config's own schema, and no path in it is ever opened.
import { z } from "zod";
import { canonicalJson, ConfigError, resolveRunConfig, type RunConfig } from "../../runs/index.js";
import { sha256 } from "../../runs/json.js";
import { RUN_METHOD_SPECS } from "../../runs/train-run.js";
import type { MonitorSpec } from "../bet/spec.js";

/** The BullMQ queue a bet's runs go through (names may not hold ":"). */
export const QUEUE_NAME = "neuralese-runs";
/** Prefix of the artifact store's keys (BullMQ keeps "bull:"). */
export const ARTIFACT_PREFIX = "neuralese";
/** A run that fails this many times is failed for the bet. */
export const ATTEMPTS = 3;

const JOB_ID = /^run-[0-9a-f]{40}$/;
/** "<task>/<arm>/<budget>/s<seed>": segments of letters, digits, ".", "_", "-", none starting with ".". */
const RUN_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*){3}$/;

export interface RunJob {
  format: "neuralese-run";
  /** The run's id in its bet (shown in progress; never a path on the worker). */
  run: string;
  config: RunConfig;
  monitor: MonitorSpec | null;
  /** The job whose final model this run starts from (its config's `init`), or null. */
  init: string | null;
}

const payloadSchema = z.strictObject({
  format: z.literal("neuralese-run"),
  run: z.string().max(400),
  config: z.unknown(),
  monitor: z.strictObject({ n: z.number().int().min(40), split: z.enum(["val", "test"]) }).nullable(),
  init: z.string().nullable(),
});

/** The job id of a bet's run: a hash of the bet directory, the run's id and its resolved config. */
export function jobIdOf(betDir: string, runId: string, config: RunConfig): string {
  return `run-${sha256(canonicalJson({ bet: betDir, run: runId, config })).slice("sha256:".length, "sha256:".length + 40)}`;
}

export class BadJobError extends Error {
  constructor(jobId: string, why: string) {
    super(`job ${JSON.stringify(jobId).slice(0, 80)} rejected: ${why}`);
    this.name = "BadJobError";
  }
}

/** The job's payload, checked; a BadJobError saying what is wrong otherwise. */
export function parseRunJob(jobId: string | undefined, data: unknown): RunJob {
  const id = jobId ?? "";
  if (!JOB_ID.test(id)) throw new BadJobError(id, `its id is not a neuralese run id (run-<40 hex digits>); it was not added by \`neuralese bet --queue\``);
  const parsed = payloadSchema.safeParse(data);
  if (!parsed.success) {
    throw new BadJobError(id, `its payload is not a neuralese run: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ")}`);
  }
  const p = parsed.data;
  if (!RUN_ID.test(p.run) || p.run.split("/").some((s) => s === "." || s === "..")) {
    throw new BadJobError(id, `run ${JSON.stringify(p.run).slice(0, 120)} is not a run id (<task>/<arm>/<budget>/s<seed>, letters, digits, ".", "_", "-"); a path in a job is never used`);
  }
  let config: RunConfig;
  try {
    config = resolveRunConfig(p.config, { methods: RUN_METHOD_SPECS });
  } catch (err) {
    if (err instanceof ConfigError) throw new BadJobError(id, `run ${p.run} has a bad config: ${err.message}`);
    throw err;
  }
  if (config.trainData !== null) {
    throw new BadJobError(id, `run ${p.run} trains on a data file (trainData ${JSON.stringify(config.trainData)}), which a worker cannot read: queued runs train on generated data`);
  }
  if (p.init !== null && !JOB_ID.test(p.init)) throw new BadJobError(id, `init ${JSON.stringify(p.init).slice(0, 80)} is not a run's job id`);
  if ((p.init === null) !== (config.init === null)) throw new BadJobError(id, `config.init and init must be given together (config.init ${JSON.stringify(config.init)}, init ${JSON.stringify(p.init)})`);
  return { format: p.format, run: p.run, config, monitor: p.monitor, init: p.init };
}
