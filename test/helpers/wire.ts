// The one raw HTTP client of the tests: exactly-the-bytes-we-say HTTP/1.1 over a socket. fetch()
// would fix up what these tests need broken: lengths, framing, header values, timing.
import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** Raw header block, for checks on exactly what went on the wire. */
  head: string;
  body: Buffer;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A client connection that writes what it is told and parses one response, if one comes. */
export class RawConn {
  readonly socket: Socket;
  private buf = Buffer.alloc(0);
  /** Resolves when the server closes (or resets) the connection. */
  readonly closed: Promise<void>;
  private waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on("error", () => {
      /* resets are an expected outcome here; `closed` reports them */
    });
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        resolve();
        this.wake();
      }),
    );
  }

  static open(port: number): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port }, () => {
        s.off("error", reject);
        resolve(new RawConn(s));
      });
      s.once("error", reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** True once any bytes of an answer arrived. */
  get answered(): boolean {
    return this.buf.length > 0;
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.closed;
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed) return resolve();
      this.socket.write(data, () => resolve());
    });
  }

  /** Half-closes: the server sees the end of our bytes but can still answer. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * The next complete response (Content-Length framed, or ended by close), or undefined if the
   * connection closes before a status line arrives or `timeoutMs` passes.
   */
  async response(timeoutMs = 10_000): Promise<RawResponse | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.parse();
      if (parsed) return parsed;
      if (this.isClosed || Date.now() >= deadline) return this.parse(true);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private parse(atClose = false): RawResponse | undefined {
    const end = this.buf.indexOf("\r\n\r\n");
    if (end < 0) return undefined;
    const head = this.buf.subarray(0, end).toString("latin1");
    const lines = head.split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(head.slice(0, 200))}`);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(":");
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const rest = this.buf.subarray(end + 4);
    let body: Buffer;
    if (headers["content-length"] !== undefined) {
      const n = Number(headers["content-length"]);
      if (rest.length < n) return atClose ? this.finish(head, m, headers, rest, rest.length) : undefined;
      body = rest.subarray(0, n);
    } else if (headers["transfer-encoding"]?.includes("chunked")) {
      const d = dechunk(rest);
      if (!d) return atClose ? this.finish(head, m, headers, Buffer.alloc(0), 0) : undefined;
      return this.finish(head, m, headers, d.body, d.used);
    } else if (!atClose) return undefined;
    else body = rest;
    return this.finish(head, m, headers, body, body.length);
  }

  private finish(head: string, m: RegExpExecArray, headers: Record<string, string>, body: Buffer, used: number): RawResponse {
    this.buf = this.buf.subarray(head.length + 4 + used);
    let json: unknown;
    try {
      json = body.length ? JSON.parse(body.toString("utf8")) : undefined;
    } catch {
      json = undefined;
    }
    return { status: Number(m[1]), headers, head, body, json };
  }
}

function dechunk(b: Buffer): { body: Buffer; used: number } | undefined {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = b.indexOf("\r\n", i);
    if (eol < 0) return undefined;
    const n = parseInt(b.subarray(i, eol).toString("latin1"), 16);
    if (Number.isNaN(n)) return undefined;
    if (n === 0) return b.length >= eol + 4 ? { body: Buffer.concat(parts), used: eol + 4 } : undefined;
    if (b.length < eol + 2 + n + 2) return undefined;
    parts.push(b.subarray(eol + 2, eol + 2 + n));
    i = eol + 2 + n + 2;
  }
}

/** A request head with CRLFs, ending in the blank line. Header values go out exactly as given. */
export function head(method: string, path: string, headers: [string, string][]): string {
  return `${method} ${path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
}

/** One request on a fresh connection; the answer (or undefined if the server just closed). */
export async function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 10_000): Promise<RawResponse | undefined> {
  const c = await RawConn.open(port);
  try {
    await c.write(bytes);
    return await c.response(timeoutMs);
  } finally {
    c.destroy();
  }
}

/** The PUT head for one range of an upload, by its uploadUrl. */
export function putHead(uploadUrl: string, start: number, end: number, total: number, extra: [string, string][] = []): string {
  const u = new URL(uploadUrl);
  return head("PUT", u.pathname, [
    ["Host", u.host],
    ["Content-Type", "application/octet-stream"],
    ["Content-Length", String(end - start + 1)],
    ["Content-Range", `bytes ${start}-${end}/${total}`],
    ...extra,
  ]);
}

/** A request in flight on its own connection: more body bytes may follow before the answer. */
export interface OpenRequest {
  write(b: Buffer | string): void;
  destroy(): void;
  /** The complete answer; rejects if the connection ends before one arrives. */
  response: Promise<RawResponse>;
}

/**
 * Sends the head for `method url` with exactly `headers` (plus Host when absent, nothing else:
 * no Content-Length is added), then `body` if given, on a fresh connection.
 */
export function sendRequest(url: string, method: string, headers: Record<string, string>, body?: Buffer | string, timeoutMs = 120_000): OpenRequest {
  const u = new URL(url);
  const fields = Object.entries(headers);
  if (!fields.some(([k]) => k.toLowerCase() === "host")) fields.unshift(["Host", u.host]);
  const ready = RawConn.open(Number(u.port)).then(async (c) => {
    await c.write(head(method, `${u.pathname}${u.search}`, fields));
    if (body !== undefined) await c.write(body);
    return c;
  });
  const response = ready.then(async (c) => {
    const r = await c.response(timeoutMs);
    if (!r) throw new Error("the connection ended before a complete response");
    return r;
  });
  return {
    write: (b) => void ready.then((c) => c.write(b)),
    destroy: () => void ready.then((c) => c.destroy()),
    response,
  };
}
