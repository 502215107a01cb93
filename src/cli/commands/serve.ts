// `neuralese serve DIR`: a live dashboard of a run or a bet (experiments/serve), and the --serve
// flag of `bet` and `train`, which start it for the command's lifetime.
import { Command } from "commander";
import { ServeDirError } from "../../experiments/serve/live-dir.js";
import { startDashboard } from "../../experiments/serve/server.js";
import { numberOption, throwAsUserError, UserError } from "../errors.js";

export function serveCommand(): Command {
  return new Command("serve")
    .description("a live dashboard of a run or bet directory in the browser: runs table, learning curves, each run's page, the final report")
    .argument("<dir>", "a run directory (`neuralese train --out`) or a bet directory (`neuralese bet --out`)")
    .option("--port <n>", "port (default: a free one, printed)", port)
    .option("--host <address>", "address to bind (default 127.0.0.1); any other than loopback requires the token printed at start")
    .action(async (dir: string, opts: { port?: number; host?: string }) => {
      const dashboard = await startDashboard({ dir, port: opts.port, host: opts.host, requireDir: true }).catch(serveError);
      console.log(`serving ${dir} at ${dashboard.url}`);
      console.log("press Ctrl-C to stop");
      if (dashboard.token) console.log(`token: ${dashboard.token} (every request needs it: open the URL above once, or send "Authorization: Bearer <token>")`);
      await new Promise<void>((resolve) => {
        const stop = () => void dashboard.close().then(resolve);
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}

/** --serve of `bet` and `train`: the dashboard on 127.0.0.1 while the command runs; returns its close. */
export async function serveDuring(dir: string): Promise<() => Promise<void>> {
  const dashboard = await startDashboard({ dir }).catch(serveError);
  console.error(`dashboard: ${dashboard.url} (while this command runs)`);
  return () => dashboard.close();
}

function serveError(err: unknown): never {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") throw new UserError(`the port is already in use: ${(err as Error).message}`, "choose another --port, or leave it out for a free one");
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new UserError(`cannot bind that address: ${(err as Error).message}`, "give an address of this machine to --host, e.g. 0.0.0.0");
  throwAsUserError(err, ServeDirError);
}

const port = numberOption("--port", "a whole number from 0 to 65535", (n) => Number.isInteger(n) && n >= 0 && n <= 65535, "for example --port 8080, or leave it out for a free port");
