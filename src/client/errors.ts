// Errors the client raises. Each has a stable `code` so callers (and the CLI's exit codes) can
// branch without parsing messages. Aborts are not wrapped: they reject with the signal's reason.

export class TaskdropError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TaskdropError";
    this.code = code;
  }
}

/** The server answered with an error status (after any retries). */
export class GraphRequestError extends TaskdropError {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  /** `error.innerError.code` (Exchange style, e.g. ErrorItemNotFound), when present. */
  readonly innerCode: string | undefined;
  readonly requestId: string | undefined;
  readonly clientRequestId: string | undefined;
  /** The parsed JSON body, or the text when it was not JSON. */
  readonly body: unknown;
  /** How long the server asked us to wait (Retry-After), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  constructor(init: {
    status: number;
    method: string;
    url: string;
    code: string;
    message: string;
    innerCode?: string;
    requestId?: string;
    clientRequestId?: string;
    body?: unknown;
    retryAfterMs?: number;
  }) {
    super(init.code, `${init.method} ${redactUrl(init.url)} → ${init.status} ${init.code}: ${init.message}`);
    this.name = "GraphRequestError";
    this.status = init.status;
    this.method = init.method;
    this.url = init.url;
    this.innerCode = init.innerCode;
    this.requestId = init.requestId;
    this.clientRequestId = init.clientRequestId;
    this.body = init.body;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** The request never got an answer: connection refused or reset, DNS failure, timeout. */
export class NetworkError extends TaskdropError {
  readonly method: string;
  readonly url: string;
  /** The connection was refused or the host name unknown: the request never reached a server. */
  readonly refused: boolean;
  constructor(method: string, url: string, cause: unknown) {
    const why = describeCause(cause);
    super("networkError", `${method} ${redactUrl(url)} failed: ${why}`, { cause });
    this.name = "NetworkError";
    this.method = method;
    this.url = url;
    this.refused = causeCodes(cause).some((c) => c === "ECONNREFUSED" || c === "ENOTFOUND" || c === "EAI_AGAIN");
  }
}

function causeCodes(e: unknown): string[] {
  const codes: string[] = [];
  for (let c: unknown = e, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}

/** The file behind a resume record is not the file that was being uploaded. */
export class SourceChangedError extends TaskdropError {
  constructor(message: string) {
    super("sourceChanged", message);
    this.name = "SourceChangedError";
  }
}

/** A download's bytes do not match what the server declared (length or SHA-256). */
export class VerificationError extends TaskdropError {
  constructor(message: string) {
    super("verificationFailed", message);
    this.name = "VerificationError";
  }
}

export function isAbortError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === "AbortError" || name === "TimeoutError";
}

/** The upload URL is a capability (its session id authorises PUTs): keep it out of messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/(attachmentSessions\/)[^/?#]+/i, "$1…");
}

function describeCause(e: unknown): string {
  // The innermost cause says what happened ("connect ECONNREFUSED 127.0.0.1:8080"); fetch's own
  // "fetch failed" around it says nothing.
  let deepest = e as { message?: string; code?: string; cause?: unknown } | undefined;
  for (let i = 0; i < 5 && deepest?.cause; i++) deepest = deepest.cause as typeof deepest;
  const msg = deepest?.message || deepest?.code;
  if (!msg) return String(e);
  return deepest?.code && !msg.includes(deepest.code) ? `${deepest.code}: ${msg}` : msg;
}
