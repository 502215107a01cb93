// Reaching the Redis that holds a bet's queue: the URL checked and shown with its password
// hidden, connection options for BullMQ and for the artifact client, and a start-up check that
// fails fast with the URL and the fix (BullMQ alone would retry a wrong password forever).
import { Redis } from "ioredis";

/** Where Redis is (what both ioredis and BullMQ take). */
export interface RedisAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls?: { servername: string };
}

export class QueueError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "QueueError";
  }
}

/** The URL with any password replaced by ***, safe to print. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}

const URL_FORMS = "redis://[:password@]host:port[/db] or rediss://... for TLS, e.g. redis://:secret@10.0.0.5:6379/0";

/** ioredis options for `url` (redis:// or rediss://), checked. */
export function connectionOptions(url: string): RedisAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueError(`--queue ${redactUrl(url)} is not a URL`, `give ${URL_FORMS}`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new QueueError(`--queue ${redactUrl(url)}: the scheme must be redis: or rediss:, not ${u.protocol}`, `give ${URL_FORMS}`);
  if (!u.hostname) throw new QueueError(`--queue ${redactUrl(url)} names no host`, `give ${URL_FORMS}`);
  const db = u.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d{1,2}$/.test(db)) throw new QueueError(`--queue ${redactUrl(url)}: the database "${db}" is not a number`, `give ${URL_FORMS}`);
  const port = u.port === "" ? 6379 : Number(u.port);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: db === "" ? 0 : Number(db),
    ...(u.protocol === "rediss:" ? { tls: { servername: u.hostname } } : {}),
  };
}

/** Why Redis at `url` cannot be used, as a user error: the URL (password hidden) and the fix. */
export function explainRedisError(url: string, err: unknown): QueueError {
  const why = err instanceof Error ? err.message : String(err);
  const shown = redactUrl(url);
  if (/NOAUTH/i.test(why)) return new QueueError(`Redis at ${shown} wants a password (${why})`, "put it in the URL: redis://:PASSWORD@host:port");
  if (/WRONGPASS|invalid password|invalid username/i.test(why)) {
    return new QueueError(`Redis at ${shown} refused the password (${why})`, "give the password Redis was started with (requirepass) in the URL: redis://:PASSWORD@host:port");
  }
  if (/certificate|CERT_|SSL|TLS/i.test(why)) {
    return new QueueError(`cannot reach Redis at ${shown}: TLS failed (${why})`, "a server certificate from a private CA: give that CA to Node with NODE_EXTRA_CA_CERTS=/path/to/ca.crt; check the host name matches the certificate");
  }
  return new QueueError(`cannot reach Redis at ${shown} (${why})`, "start redis-server there (see README, \"Many machines\"), or check the host, port and firewall");
}

/**
 * A plain client (the artifact store's) for Redis at `url`, once a first connection (no retries)
 * has answered PING within `timeoutMs`; a QueueError naming the URL otherwise. The client
 * returned retries for ever (a bet outlives a Redis restart).
 */
export async function connectChecked(url: string, timeoutMs = 10_000): Promise<Redis> {
  const address = connectionOptions(url);
  const probe = new Redis({ ...address, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  let first: unknown;
  probe.on("error", (err) => (first ??= err));
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw explainRedisError(url, first ?? err);
  } finally {
    probe.disconnect();
  }
  return new Redis({ ...address, maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(200 * n, 2000) });
}

/** A QueueError when Redis at `url` cannot be used now. */
export async function checkRedis(url: string): Promise<void> {
  const client = await connectChecked(url);
  await client.quit().catch(() => {});
}

/** Prints Redis connection trouble once per outage (not once per retry), and its end. */
export function outageReporter(url: string, what: string, log: (line: string) => void = (l) => console.error(l)) {
  let down = false;
  return {
    error(err: unknown) {
      if (down) return;
      down = true;
      const e = explainRedisError(url, err);
      log(`${what}: ${e.message}; waiting for it to come back (${e.hint})`);
    },
    ok() {
      if (!down) return;
      down = false;
      log(`${what}: Redis at ${redactUrl(url)} is back`);
    },
  };
}
