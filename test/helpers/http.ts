// A small HTTP client for black-box tests: what a Graph client sends, what it gets back.
export interface Res {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  bytes: Buffer;
}

export interface ReqOptions {
  token?: string;
  json?: unknown;
  body?: Uint8Array | string;
  headers?: Record<string, string>;
  /** Another fetch (e.g. one whose dispatcher trusts a test CA); global fetch by default. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

export async function call(method: string, url: string, o: ReqOptions = {}): Promise<Res> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let body: Uint8Array | string | undefined = o.body;
  if (o.json !== undefined) {
    body = typeof o.json === "string" ? o.json : JSON.stringify(o.json);
    headers["content-type"] ??= "application/json";
  }
  const res = await (o.fetch ?? fetch)(url, { method, headers, body: body as BodyInit | undefined, redirect: "manual" });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString("utf8");
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json, bytes };
}

/** Asserts a Graph-shaped error and returns it. */
export function graphError(r: Res): { code: string; message: string; innerError: Record<string, string> } {
  const e = r.json?.error;
  if (!e || typeof e.code !== "string" || typeof e.message !== "string" || !e.innerError) {
    throw new Error(`expected a Graph error body, got ${r.status} ${r.text.slice(0, 300)}`);
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(e.innerError.date)) throw new Error(`innerError.date malformed: ${e.innerError.date}`);
  if (!e.innerError["request-id"] || !e.innerError["client-request-id"]) throw new Error("innerError lacks request ids");
  if (!r.headers.get("content-type")?.startsWith("application/json")) throw new Error("error without JSON content type");
  return e;
}
