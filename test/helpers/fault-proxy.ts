// A fault-injecting HTTP proxy for client tests: forwards to a real server and fails the requests
// that rules pick — an error status without forwarding, a connection reset before, during or
// after the server saw the request, a cut or corrupted response body. The Host header is passed
// through, so the server builds its URLs (uploadUrl, Location, nextLink) on the proxy's address.
import { createServer, request as httpRequest, Agent, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Fault =
  /** Answer this status (Graph-shaped JSON error body) without forwarding: the server never sees it. */
  | { kind: "status"; status: number; headers?: Record<string, string> }
  /** Close the client's connection before forwarding anything. */
  | { kind: "reset-before" }
  /** Forward part of the request body (default: half), then cut both connections. */
  | { kind: "reset-mid-body"; afterBytes?: number }
  /** Forward the whole request and let the server act, then close the client's connection instead of answering. */
  | { kind: "reset-after" }
  /** Forward, send the response headers and the first `afterBytes` of its body, then close. */
  | { kind: "truncate-response"; afterBytes: number }
  /** Forward, but flip one byte of the response body. */
  | { kind: "corrupt-response" }
  /** Wait before forwarding. */
  | { kind: "delay"; ms: number };

export interface ProxiedRequest {
  index: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** When it arrived (ms since the epoch). */
  at: number;
  /** Fault applied, if any. */
  fault?: Fault["kind"];
  /** The server's status, when the request reached it and it answered. */
  status?: number;
  /** Request-body bytes passed on to the server (requests without a fault; cut ones count what went through). */
  forwardedBytes: number;
}

export interface FaultRule {
  method?: string;
  /** Matches the request path and query. */
  url?: RegExp;
  match?: (r: ProxiedRequest) => boolean;
  /** Apply from the nth matching request on (1-based, default 1). */
  nth?: number;
  /** How many matching requests get the fault (default 1). */
  times?: number;
  fault: Fault;
}

export interface FaultProxy {
  url: string;
  log: ProxiedRequest[];
  /** Forward to another server from now on (to start the proxy before the server that names it). */
  setTarget(target: string): void;
  add(...rules: FaultRule[]): void;
  /** Drops every rule (and, with `log`, the log). */
  clear(o?: { log?: boolean }): void;
  /**
   * Passes request bodies on at about this many bytes per second in total, across all connections
   * (undefined: as fast as they come), so a browser test can act while an upload is under way.
   */
  setUploadRate(bytesPerSecond: number | undefined): void;
  close(): Promise<void>;
}

interface LiveRule extends FaultRule {
  seen: number;
  applied: number;
}

function errorBody(status: number): string {
  const code = status === 429 ? "activityLimitReached" : status === 503 ? "serviceNotAvailable" : "generalException";
  const now = new Date().toISOString().slice(0, 19);
  return JSON.stringify({ error: { code, message: `Injected ${status}`, innerError: { date: now, "request-id": "fault-proxy", "client-request-id": "fault-proxy" } } });
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  let upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const rules: LiveRule[] = [];
  const log: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  let rate: number | undefined;
  /** When the shared upload budget is free again (ms since the epoch). */
  let freeAt = 0;

  /**
   * req → up, counting what is forwarded and, with a rate set, holding each chunk until its turn.
   * One chunk at a time (the request is paused meanwhile), so backpressure still holds.
   */
  const pipeBody = (req: IncomingMessage, up: ReturnType<typeof httpRequest>, entry: ProxiedRequest) => {
    // 'end' can come while the last chunk still waits for its turn: end only after it is written.
    let pending = 0;
    let ended = false;
    req.on("data", (chunk: Buffer) => {
      req.pause();
      pending++;
      const now = Date.now();
      let delay = 0;
      if (rate !== undefined) {
        const start = Math.max(now, freeAt);
        freeAt = start + (chunk.length / rate) * 1000;
        delay = start - now;
      }
      setTimeout(() => {
        pending--;
        if (up.destroyed) return;
        entry.forwardedBytes += chunk.length;
        if (up.write(chunk)) req.resume();
        else up.once("drain", () => req.resume());
        if (ended && pending === 0) up.end();
      }, delay);
    });
    // A client that goes away mid-body (a page reload) cuts the forwarded request too.
    const onClose = () => up.destroy();
    req.socket.once("close", onClose);
    req.on("end", () => {
      req.socket.off("close", onClose);
      ended = true;
      if (pending === 0) up.end();
    });
  };

  const pick = (r: ProxiedRequest): Fault | undefined => {
    for (const rule of rules) {
      if (rule.method && rule.method !== r.method) continue;
      if (rule.url && !rule.url.test(r.url)) continue;
      if (rule.match && !rule.match(r)) continue;
      rule.seen += 1;
      if (rule.seen >= (rule.nth ?? 1) && rule.applied < (rule.times ?? 1)) {
        rule.applied += 1;
        return rule.fault;
      }
    }
    return undefined;
  };

  const forward = (req: IncomingMessage, entry: ProxiedRequest, onResponse: (up: IncomingMessage) => void) => {
    const up = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (res) => {
        entry.status = res.statusCode;
        onResponse(res);
      },
    );
    up.on("error", () => req.socket.destroy());
    return up;
  };

  const relay = (res: ServerResponse, up: IncomingMessage) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  };

  const server = createServer((req, res) => {
    const entry: ProxiedRequest = { index: log.length, method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, at: Date.now(), forwardedBytes: 0 };
    log.push(entry);
    const fault = pick(entry);
    if (fault) entry.fault = fault.kind;
    switch (fault?.kind) {
      case undefined:
        return void pipeBody(req, forward(req, entry, (up) => relay(res, up)), entry);
      case "status": {
        // Drain the body first so the client sees the answer rather than a reset.
        req.resume();
        req.on("end", () => {
          const body = errorBody(fault.status);
          res.writeHead(fault.status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...(fault.headers ?? {}) });
          res.end(body);
        });
        return;
      }
      case "reset-before":
        return void req.socket.destroy();
      case "delay": {
        const t = setTimeout(() => req.pipe(forward(req, entry, (up) => relay(res, up))), fault.ms);
        // A client that gives up meanwhile is not forwarded at all.
        req.socket.once("close", () => clearTimeout(t));
        return;
      }
      case "reset-mid-body": {
        const declared = Number(req.headers["content-length"] ?? 0);
        const limit = fault.afterBytes ?? Math.floor(declared / 2);
        const up = forward(req, entry, () => undefined);
        let sent = 0;
        req.on("data", (chunk: Buffer) => {
          if (sent >= limit) return;
          const part = chunk.subarray(0, limit - sent);
          sent += part.length;
          up.write(part);
          if (sent >= limit) {
            up.destroy();
            req.socket.destroy();
          }
        });
        return;
      }
      case "reset-after":
        return void req.pipe(
          forward(req, entry, (up) => {
            up.resume();
            up.on("end", () => req.socket.destroy());
          }),
        );
      case "truncate-response":
        return void req.pipe(
          forward(req, entry, (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            let sent = 0;
            up.on("data", (chunk: Buffer) => {
              if (sent >= fault.afterBytes) return;
              const part = chunk.subarray(0, fault.afterBytes - sent);
              sent += part.length;
              res.write(part);
              if (sent >= fault.afterBytes) {
                up.destroy();
                res.socket?.destroy();
              }
            });
          }),
        );
      case "corrupt-response":
        return void req.pipe(
          forward(req, entry, (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            let flipped = false;
            up.on("data", (chunk: Buffer) => {
              if (!flipped && chunk.length > 0) {
                chunk = Buffer.from(chunk);
                chunk[0] = chunk[0]! ^ 0xff;
                flipped = true;
              }
              res.write(chunk);
            });
            up.on("end", () => res.end());
          }),
        );
    }
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    setTarget: (t) => void (upstream = new URL(t)),
    add: (...rs) => rules.push(...rs.map((r) => ({ ...r, seen: 0, applied: 0 }))),
    clear(o = {}) {
      rules.length = 0;
      if (o.log) log.length = 0;
    },
    setUploadRate: (bytesPerSecond) => void (rate = bytesPerSecond),
    async close() {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
