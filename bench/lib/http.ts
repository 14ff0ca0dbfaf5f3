// The load generator's HTTP client: one undici Agent with keep-alive connections, bodies sent
// straight from pre-generated buffers (no copies), responses always drained so sockets are reused.
import { createHash } from "node:crypto";
import { Agent } from "undici";

export type Headers = Record<string, string>;

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export class Http {
  private readonly agent: Agent;

  constructor(connections: number) {
    this.agent = new Agent({
      connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 60_000,
      // A fsyncing server under 64 concurrent 4 MiB ranges can take a while to answer.
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
    });
  }

  async request(method: string, url: string, headers: Headers = {}, body?: Uint8Array | string): Promise<HttpResponse> {
    const u = new URL(url);
    const res = await this.agent.request({ origin: u.origin, path: u.pathname + u.search, method: method as "GET", headers, body });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body: text };
  }

  /** GETs `url` and hashes the body as it streams in. */
  async digest(url: string, headers: Headers = {}): Promise<{ status: number; length: number; sha256: string; body: string }> {
    const u = new URL(url);
    const res = await this.agent.request({ origin: u.origin, path: u.pathname + u.search, method: "GET", headers });
    const hash = createHash("sha256");
    let length = 0;
    let head = "";
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      length += chunk.length;
      if (res.statusCode >= 300 && head.length < 2000) head += chunk.toString("utf8");
    }
    return { status: res.statusCode, length, sha256: hash.digest("hex"), body: head };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Throws a readable error unless the status is one of `ok`. */
export function expectStatus(res: { status: number; body: string }, ok: number[], what: string): void {
  if (!ok.includes(res.status)) {
    throw new Error(`${what}: expected ${ok.join(" or ")}, got ${res.status} ${res.body.slice(0, 500)}`);
  }
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Compares a read-back body with the bytes that were sent. */
export function checkReadBack(got: { status: number; length: number; sha256: string; body: string }, data: Uint8Array, what: string): void {
  expectStatus(got, [200], what);
  if (got.length !== data.length) throw new Error(`${what}: read back ${got.length} bytes, sent ${data.length}`);
  if (got.sha256 !== sha256(data)) throw new Error(`${what}: SHA-256 of the stored bytes differs from what was sent`);
}

/** Calls `send(start, end)` for each range of at most `rangeSize` bytes, in order, timing each. */
export async function sendRanges(
  total: number,
  rangeSize: number,
  onRange: (ms: number) => void,
  send: (start: number, end: number, last: boolean) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < total; start += rangeSize) {
    const end = Math.min(start + rangeSize, total) - 1;
    const t0 = performance.now();
    await send(start, end, end === total - 1);
    onRange(performance.now() - t0);
  }
}
