// One HTTP attempt, and attempts with retries: exponential backoff with jitter on network errors,
// 5xx and 429, honouring Retry-After. Runs on the platform's fetch (Node 20+ or a browser).
import { GraphRequestError, NetworkError, TaskdropError, isAbortError } from "./errors.js";

export type TokenProvider = string | (() => string | Promise<string>);

export interface RetryOptions {
  /** Further attempts after the first failure (default 6). Upload sessions count failures without progress. */
  retries?: number;
  /** First backoff delay in ms (default 500); doubles per attempt, with jitter. */
  baseDelayMs?: number;
  /** Longest backoff delay in ms (default 30 000). */
  maxDelayMs?: number;
  /** A Retry-After longer than this (ms, default 300 000) ends the retries instead of waiting. */
  maxRetryAfterMs?: number;
  /** One attempt may take this long before it counts as a network failure (ms, default 120 000). */
  timeoutMs?: number;
  /**
   * Give up at once when the connection is refused (or the host is unknown) before this client
   * ever got an answer: nothing listens there, and waiting will not start it (default false).
   * A refusal after the server has answered (it restarts mid-upload) is still retried.
   */
  failFastIfUnreachable?: boolean;
}

export interface RetryEvent {
  method: string;
  url: string;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  /** Status of the failed attempt, or undefined for a network error. */
  status?: number;
  error?: unknown;
}

export interface TransportOptions {
  token?: TokenProvider;
  fetch?: typeof fetch;
  retry?: RetryOptions;
  onRetry?: (e: RetryEvent) => void;
  /** Extra headers on every request (e.g. a User-Agent in Node). */
  headers?: Record<string, string>;
}

export interface RequestSpec {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: BodyInit;
  signal?: AbortSignal;
  /** Send the bearer token (default true). */
  auth?: boolean;
  /**
   * Whether repeating the request is harmless. Idempotent requests are retried on network errors
   * and any 5xx but 507; others only on answers that say nothing was done (429, 503) or refused connections.
   */
  idempotent?: boolean;
  /** Told about each retry, besides the transport's own listener. */
  onRetry?: (e: RetryEvent) => void;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  retries: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
  timeoutMs: 120_000,
  failFastIfUnreachable: false,
};

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Backoff for retry number `attempt` (0-based): half fixed, half random, so clients spread out. */
export function backoffDelay(attempt: number, r: Required<RetryOptions>, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return retryAfterMs + Math.floor(Math.random() * Math.min(1000, retryAfterMs * 0.1 + 50));
  const exp = Math.min(r.maxDelayMs, r.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(exp / 2 + Math.random() * (exp / 2));
}

/** Statuses that mean the server did not act on the request, so any method may repeat it. */
const NOT_DONE = new Set([429, 503]);

/**
 * Statuses worth repeating a request after. Not 507 (quotaLimitReached): the server is out of room
 * for the caller, and nothing changes that until something is deleted.
 */
export function isTransientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 507);
}

let counter = 0;
function newClientRequestId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  counter += 1;
  return `${Date.now().toString(16)}-${counter.toString(16)}-${Math.random().toString(16).slice(2)}`;
}

export class Transport {
  readonly retry: Required<RetryOptions>;
  private readonly fetchImpl: typeof fetch;
  /** Whether any attempt has had an answer: until then a refused connection means no server. */
  private answered = false;

  constructor(private readonly o: TransportOptions = {}) {
    this.retry = { ...DEFAULT_RETRY, ...stripUndefined(o.retry ?? {}) };
    const f = o.fetch ?? globalThis.fetch;
    if (typeof f !== "function") throw new TaskdropError("noFetch", "No fetch implementation: pass `fetch` in the client options.");
    this.fetchImpl = f.bind(globalThis);
  }

  async authorization(): Promise<string | undefined> {
    const t = this.o.token;
    if (t === undefined) return undefined;
    const v = typeof t === "function" ? await t() : t;
    return v ? `Bearer ${v}` : undefined;
  }

  /**
   * One attempt. Resolves with any HTTP answer; rejects with NetworkError when there is none, or
   * with the signal's reason when the caller aborted.
   */
  async once(spec: RequestSpec): Promise<Response> {
    spec.signal?.throwIfAborted();
    const headers: Record<string, string> = { ...(this.o.headers ?? {}), "client-request-id": newClientRequestId(), ...(spec.headers ?? {}) };
    if (spec.auth !== false) {
      const a = await this.authorization();
      if (a) headers.authorization = a;
    }
    // A per-attempt deadline, tied to the caller's signal so an abort still cancels at once.
    const ctl = new AbortController();
    const onAbort = () => ctl.abort(spec.signal!.reason);
    spec.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => ctl.abort(new TaskdropError("timeout", `no answer within ${this.retry.timeoutMs} ms`)), this.retry.timeoutMs);
    try {
      const res = await this.fetchImpl(spec.url, { method: spec.method, headers, body: spec.body ?? null, signal: ctl.signal, redirect: "follow" });
      this.answered = true;
      return res;
    } catch (e) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      throw new NetworkError(spec.method, spec.url, ctl.signal.aborted ? ctl.signal.reason : e);
    } finally {
      clearTimeout(timer);
      spec.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Attempts with retries; resolves with the last answer (which may be an error status). */
  async send(spec: RequestSpec): Promise<Response> {
    const idempotent = spec.idempotent ?? ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].includes(spec.method);
    for (let attempt = 0; ; attempt++) {
      let res: Response | undefined;
      let failure: unknown;
      try {
        res = await this.once(spec);
      } catch (e) {
        if (!(e instanceof NetworkError)) throw e;
        failure = e;
      }
      const refused = (failure as NetworkError | undefined)?.refused === true;
      const retryable = res ? NOT_DONE.has(res.status) || (idempotent && isTransientStatus(res.status)) : idempotent || refused;
      const unreachable = refused && this.retry.failFastIfUnreachable && !this.answered;
      if (!retryable || unreachable || attempt >= this.retry.retries) {
        if (res) return res;
        throw failure;
      }
      const retryAfter = res ? parseRetryAfter(res.headers.get("retry-after")) : undefined;
      if (retryAfter !== undefined && retryAfter > this.retry.maxRetryAfterMs) return res!;
      const delayMs = backoffDelay(attempt, this.retry, retryAfter);
      if (res) await discard(res);
      this.notifyRetry({ method: spec.method, url: spec.url, attempt: attempt + 1, delayMs, status: res?.status, error: failure }, spec.onRetry);
      await sleep(delayMs, spec.signal);
    }
  }

  /** Attempts with retries, then the JSON body; an error status becomes a GraphRequestError. */
  async json<T>(spec: RequestSpec): Promise<T> {
    const res = await this.send(spec);
    if (!res.ok) throw await errorFrom(res, spec.method, spec.url);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  notifyRetry(e: RetryEvent, also?: (e: RetryEvent) => void): void {
    also?.(e);
    this.o.onRetry?.(e);
  }
}

/** Reads a Graph error body ({error: {code, message, innerError}}) into a GraphRequestError. */
export async function errorFrom(res: Response, method: string, url: string): Promise<GraphRequestError> {
  let text = "";
  try {
    text = await res.text();
  } catch {
    // The body is lost; the status still says what happened.
  }
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text.
  }
  const err = (body as { error?: { code?: string; message?: string; innerError?: Record<string, string> } } | undefined)?.error;
  const inner = err?.innerError ?? {};
  return new GraphRequestError({
    status: res.status,
    method,
    url,
    code: err?.code ?? `http${res.status}`,
    message: inner.message ?? err?.message ?? (res.statusText || (typeof body === "string" && body ? body.slice(0, 200) : "no details")),
    innerCode: inner.code,
    requestId: inner["request-id"] ?? res.headers.get("request-id") ?? undefined,
    clientRequestId: inner["client-request-id"] ?? res.headers.get("client-request-id") ?? undefined,
    body,
    retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
  });
}

/** Drains and drops a body so the connection can be reused. */
export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // Nothing to free.
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
