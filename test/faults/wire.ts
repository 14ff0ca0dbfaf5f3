// Exactly-the-bytes-we-say HTTP/1.1 over raw sockets, plus the upload steps the fault tests share.
// fetch() would fix up what these tests need broken: lengths, framing, header values, timing.
import { createHash } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { call } from "../helpers/http.js";

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

export const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

export interface Task {
  token: string;
  taskUrl: string;
}

/** A list and a task for the token's user, through the API. */
export async function makeTask(baseUrl: string, token: string): Promise<Task> {
  const todo = `${baseUrl}/v1.0/me/todo`;
  const list = await call("POST", `${todo}/lists`, { token, json: { displayName: "Faults" } });
  if (list.status !== 201) throw new Error(`create list: ${list.status} ${list.text}`);
  const task = await call("POST", `${todo}/lists/${list.json.id}/tasks`, { token, json: { title: "Faults task" } });
  if (task.status !== 201) throw new Error(`create task: ${task.status} ${task.text}`);
  return { token, taskUrl: `${todo}/lists/${encodeURIComponent(list.json.id)}/tasks/${encodeURIComponent(task.json.id)}` };
}

export async function makeSession(t: Task, size: number, name = "file.bin"): Promise<string> {
  const r = await call("POST", `${t.taskUrl}/attachments/createUploadSession`, {
    token: t.token,
    json: { attachmentInfo: { attachmentType: "file", name, size } },
  });
  if (r.status !== 200) throw new Error(`createUploadSession: ${r.status} ${r.text}`);
  return r.json.uploadUrl;
}

/** Where the session stands: the next offset, or "done" with the attachment's Location. */
export async function sessionState(uploadUrl: string): Promise<{ status: number; next?: number; location?: string | null }> {
  const r = await call("GET", uploadUrl);
  if (r.status !== 200) return { status: r.status };
  const ranges: string[] = r.json.nextExpectedRanges;
  if (ranges.length === 0) return { status: 200, location: r.headers.get("location") };
  const m = /^(\d+)-$/.exec(ranges[0]!);
  if (!m) throw new Error(`nextExpectedRanges malformed: ${JSON.stringify(ranges)}`);
  return { status: 200, next: Number(m[1]) };
}

/** A correct PUT of data[start..end] with fetch. */
export function put(uploadUrl: string, data: Buffer, start: number, end: number) {
  return call("PUT", uploadUrl, {
    body: data.subarray(start, end + 1),
    headers: { "content-type": "application/octet-stream", "content-range": `bytes ${start}-${end}/${data.length}` },
  });
}

/**
 * A correct PUT that, like a well-behaved client, waits and retries while the server says another
 * request still holds the session (409): a request whose connection just dropped may hold it for a
 * few milliseconds more, until the server has seen the drop.
 */
export async function putAfterConflicts(uploadUrl: string, data: Buffer, start: number, end: number, withinMs = 2_000) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const r = await put(uploadUrl, data, start, end);
    if (r.status !== 409 || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** Uploads what is left of `data` from where the session stands; returns the attachment's Location. */
export async function finishUpload(uploadUrl: string, data: Buffer, chunk: number): Promise<string> {
  for (;;) {
    const st = await sessionState(uploadUrl);
    if (st.status !== 200) throw new Error(`GET session: ${st.status}`);
    if (st.next === undefined) return st.location!;
    const end = Math.min(st.next + chunk, data.length) - 1;
    const r = await put(uploadUrl, data, st.next, end);
    if (r.status === 201) return r.headers.get("location")!;
    if (r.status !== 200) throw new Error(`PUT ${st.next}-${end}: ${r.status} ${r.text}`);
  }
}

/** Bytes of $value at an attachment Location. */
export async function attachmentBytes(location: string, token: string): Promise<Buffer> {
  const r = await call("GET", `${location}/$value`, { token });
  if (r.status !== 200) throw new Error(`GET $value: ${r.status} ${r.text}`);
  return r.bytes;
}

/** Every file under a directory with its size (relative paths). */
export function filesUnder(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p, rel ? `${rel}/${n}` : n);
      else out.set(rel ? `${rel}/${n}` : n, st.size);
    }
  };
  walk(dir, "");
  return out;
}

/** Total bytes of the staged and attachment files (the store's blobs/ directory). */
export function blobBytes(dataDir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const size of filesUnder(join(dataDir, "blobs")).values()) {
    files++;
    bytes += size;
  }
  return { files, bytes };
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
