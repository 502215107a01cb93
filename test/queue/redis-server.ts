// A real redis-server (Debian's) for the queue tests: on a free loopback port, with a password,
// no persistence, stopped by its pid. `restart` stops it and starts it again on the same port
// (everything in it is lost, as after a crash of a Redis without persistence).
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";

export const PASSWORD = "test-secret";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function answers(port: number): Promise<boolean> {
  const client = new Redis({ port, host: "127.0.0.1", password: PASSWORD, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export interface TestRedis {
  port: number;
  /** redis://:password@127.0.0.1:port/db */
  url(db?: number): string;
  stop(): Promise<void>;
  restart(downMs: number): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  let server: ChildProcess | undefined;
  const launch = async (port: number) => {
    const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", PASSWORD], { stdio: "ignore" });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) break;
      if (await answers(port)) return { child, exited };
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    await exited;
    return undefined;
  };
  let port = 0;
  let exited: Promise<void> = Promise.resolve();
  for (let attempt = 0; attempt < 5 && !server; attempt++) {
    port = await freePort(); // racy: another process may take it first, hence the retries
    const started = await launch(port);
    if (started) [server, exited] = [started.child, started.exited];
  }
  if (!server) throw new Error("could not start redis-server (is Debian's redis-server installed?)");
  const stop = async () => {
    server?.kill("SIGTERM");
    await exited;
  };
  return {
    port,
    url: (db = 0) => `redis://:${PASSWORD}@127.0.0.1:${port}/${db}`,
    stop,
    async restart(downMs) {
      await stop();
      await new Promise((r) => setTimeout(r, downMs));
      const started = await launch(port);
      if (!started) throw new Error(`redis-server did not start again on port ${port}`);
      [server, exited] = [started.child, started.exited];
    },
  };
}
