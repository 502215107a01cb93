// The dashboard's HTTP server (`neuralese serve`, `bet --serve`, `train --serve`). It serves a
// fixed set of routes, never a path taken from the request: the page, its script, small JSON
// views and a server-sent-event stream saying when the directory changed. Only GET. Binds
// 127.0.0.1 unless told otherwise; on any other address every request must carry the random
// token printed at start (compared in constant time).
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dashboardPage, type Section } from "../../report/dashboard-html.js";
import { DASHBOARD_SCRIPT } from "../../report/dashboard-client.js";
import { LiveDir, ServeDirError, detect } from "./live-dir.js";

export interface ServeOptions {
  dir: string;
  /** Address to bind (default 127.0.0.1); any non-loopback address requires the token. */
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** How often the directory is looked at while a page is open (ms). */
  pollMs?: number;
  /** Refuse to start when DIR holds no run or bet (`neuralese serve`); --serve starts before the directory exists. */
  requireDir?: boolean;
}

export interface Dashboard {
  url: string;
  /** The token every request must carry (null on loopback). */
  token: string | null;
  close(): Promise<void>;
}

const MAX_URL = 2048;
const MAX_EVENT_CLIENTS = 32;
const TOKEN_COOKIE = "neuralese_token";

export const isLoopback = (host: string) => host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export async function startDashboard(opts: ServeOptions): Promise<Dashboard> {
  if (opts.requireDir) {
    const d = await detect(opts.dir);
    if (d.kind === "none") throw new ServeDirError(d.why, "give a run directory (from `neuralese train`) or a bet directory (from `neuralese bet`)");
  }
  const host = opts.host ?? "127.0.0.1";
  const token = isLoopback(host) ? null : randomBytes(24).toString("base64url");
  const tokenHash = token ? createHash("sha256").update(token).digest() : null;
  const live = new LiveDir(opts.dir);
  await live.refresh(0);
  const pollMs = opts.pollMs ?? 1000;
  const clients = new Set<ServerResponse>();
  let port = 0;

  const tokenOk = (given: string | null) => given !== null && timingSafeEqual(createHash("sha256").update(given).digest(), tokenHash!);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...SECURITY_HEADERS, "content-type": type, ...extra });
      res.end(body);
    };
    const refuse = (status: number, why: string, extra: Record<string, string> = {}) => send(status, "text/plain; charset=utf-8", `${why}\n`, extra);
    if (req.method !== "GET") return refuse(405, "only GET is served", { allow: "GET" });
    const raw = req.url ?? "/";
    if (raw.length > MAX_URL) return refuse(414, "URL too long");
    let url: URL;
    let path: string;
    try {
      url = new URL(raw, "http://dashboard");
      // the raw path too: new URL() already folds "/a/../b", and "%2e%2e" must not slip through either
      path = decodeURIComponent(raw.split("?")[0]);
    } catch {
      return refuse(400, "bad URL");
    }
    if (/(^|[/\\])\.\.([/\\]|$)/.test(path) || path.includes("\0") || path.includes("\\")) return refuse(403, "paths outside the served directory are refused");
    if (tokenHash) {
      const cookie = /(?:^|;\s*)neuralese_token=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? "")?.[1] ?? null;
      const bearer = /^Bearer ([A-Za-z0-9_-]+)$/.exec(req.headers.authorization ?? "")?.[1] ?? null;
      const given = url.searchParams.get("token") ?? bearer ?? cookie;
      if (!tokenOk(given)) return refuse(401, "this dashboard needs the token printed when it started (?token=...)");
      if (url.searchParams.has("token")) res.setHeader("set-cookie", `${TOKEN_COOKIE}=${given}; HttpOnly; SameSite=Strict; Path=/`);
    } else {
      // loopback without a token: only our own host names (a page elsewhere cannot reach in through DNS rebinding)
      const h = req.headers.host ?? "";
      if (![`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(h)) return refuse(403, `unexpected Host header ${JSON.stringify(h.slice(0, 100))}`);
    }
    const runId = url.searchParams.get("run");
    switch (url.pathname) {
      case "/": {
        await live.refresh();
        const view = live.sections(runId);
        if (!view) return refuse(404, `no run ${runId} in this ${live.kind}`);
        return send(200, "text/html; charset=utf-8", dashboardPage(view.title, view.sections, await live.refresh()));
      }
      case "/app.js":
        return send(200, "text/javascript; charset=utf-8", DASHBOARD_SCRIPT);
      case "/api/view": {
        const version = await live.refresh();
        const view = live.sections(runId);
        if (!view) return send(404, "application/json", JSON.stringify({ error: `no run ${runId}` }));
        return send(200, "application/json", JSON.stringify({ version, title: view.title, sections: view.sections.map(hashed) }));
      }
      case "/api/state": {
        const version = await live.refresh();
        const bet = live.bet();
        const lone = live.kind === "run" ? live.run() : null;
        const runs = bet?.runs ?? (lone ? [lone.run] : []);
        // the table's fields only: curves are in /api/run
        const rows = runs.map(({ curve: _c, train: _t, monitor: _m, ...row }) => row);
        return send(200, "application/json", JSON.stringify({ version, kind: live.kind, why: live.why, finished: bet?.finished ?? false, runs: rows }));
      }
      case "/api/run": {
        await live.refresh();
        const r = live.run(runId ?? undefined);
        if (!r) return send(404, "application/json", JSON.stringify({ error: `no run ${runId}` }));
        return send(200, "application/json", JSON.stringify(r));
      }
      case "/api/events":
        return events(res);
      case "/favicon.ico":
        return send(204, "text/plain", "");
      default:
        return refuse(404, "not found");
    }
  }

  function events(res: ServerResponse): void {
    if (clients.size >= MAX_EVENT_CLIENTS) {
      res.writeHead(503, { ...SECURITY_HEADERS, "content-type": "text/plain" });
      res.end("too many open dashboards\n");
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, "content-type": "text/event-stream", connection: "keep-alive" });
    res.write(`retry: 2000\n\n`);
    clients.add(res);
    void live.refresh(0).then((v) => res.write(`data: ${v}\n\n`));
    res.on("close", () => clients.delete(res));
  }

  // one look at the directory per tick while any page is open; a changed version is pushed to all
  let last = "";
  const tick = setInterval(() => {
    if (clients.size === 0) return;
    live.refresh(0).then(
      (v) => {
        if (v === last) return;
        last = v;
        for (const c of clients) c.write(`data: ${v}\n\n`);
      },
      () => undefined,
    );
  }, pollMs);
  tick.unref();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { ...SECURITY_HEADERS, "content-type": "text/plain" });
      res.end(`internal error: ${(err as Error).message}\n`);
    });
  });
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/${token ? `?token=${token}` : ""}`,
    token,
    close: async () => {
      clearInterval(tick);
      for (const c of clients) c.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function hashed(s: Section): Section & { hash: string } {
  return { ...s, hash: createHash("sha256").update(s.html).digest("hex").slice(0, 16) };
}
