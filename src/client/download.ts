// Downloads: stream an attachment's `$value` into a sink, checking that the byte count matches
// what the server declared (and the SHA-256 when the server's ETag carries one, as Taskdrop's
// does). A connection lost mid-body is continued with a Range request when the server allows it.
import { NetworkError, TaskdropError, VerificationError, isAbortError } from "./errors.js";
import { backoffDelay, errorFrom, sleep, type RetryEvent, type Transport } from "./http.js";

/** Where downloaded bytes go. `reset` lets a download start over when a server ignores Range. */
export interface Sink {
  write(chunk: Uint8Array): Promise<void>;
  reset?(): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  path?: string;
}

/** Incremental SHA-256 (Node's crypto; browsers have no incremental digest, so none there). */
export interface Hasher {
  update(b: Uint8Array): void;
  hex(): string;
}

/** A Node Writable, duck-typed so this module needs no Node imports. */
export interface NodeWritableLike {
  write(chunk: Uint8Array): boolean;
  once(event: string, fn: (...a: unknown[]) => void): unknown;
  removeListener(event: string, fn: (...a: unknown[]) => void): unknown;
  end(cb?: () => void): unknown;
}

export type DownloadTarget = string | WritableStream<Uint8Array> | NodeWritableLike;

export interface DownloadOptions {
  listId: string;
  taskId: string;
  attachmentId: string;
  /** A file path (Node), a WritableStream, or a Node Writable. */
  to: DownloadTarget;
  signal?: AbortSignal;
  onProgress?: (p: { bytesReceived: number; totalBytes?: number }) => void;
  onRetry?: (e: RetryEvent) => void;
  /** Replace an existing file (default true). Files are written to a temporary name and renamed. */
  overwrite?: boolean;
  /** End the stream target when done (default true; false leaves e.g. stdout open). */
  end?: boolean;
}

export interface DownloadResult {
  bytes: number;
  contentType?: string;
  /** Hex SHA-256 of the bytes, where it could be computed (Node). */
  sha256?: string;
  /** Whether the SHA-256 was checked against the server's ETag. */
  hashVerified: boolean;
  path?: string;
}

export function streamSink(target: WritableStream<Uint8Array> | NodeWritableLike, end = true): Sink {
  if (typeof WritableStream !== "undefined" && target instanceof WritableStream) {
    const w = target.getWriter();
    return {
      write: (c) => w.write(c),
      commit: async () => (end ? w.close() : w.releaseLock()),
      abort: async () => {
        await w.abort().catch(() => undefined);
      },
    };
  }
  const n = target as NodeWritableLike;
  return {
    write: (c) =>
      new Promise<void>((resolve, reject) => {
        if (n.write(c)) return resolve();
        const done = () => {
          n.removeListener("error", fail);
          resolve();
        };
        const fail = (e: unknown) => {
          n.removeListener("drain", done);
          reject(e);
        };
        n.once("drain", done);
        n.once("error", fail);
      }),
    commit: () => (end ? new Promise<void>((resolve) => n.end(() => resolve())) : Promise.resolve()),
    abort: async () => {},
  };
}

const contentRangeStart = (v: string | null) => {
  const m = v ? /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/.exec(v.trim()) : null;
  return m ? { start: Number(m[1]), total: m[3] === "*" ? undefined : Number(m[3]) } : undefined;
};

/** What a download needs besides the URL and the sink: the caller's callbacks and how to check the bytes. */
export interface DownloadRun extends Pick<DownloadOptions, "signal" | "onProgress" | "onRetry"> {
  newHasher?: () => Hasher;
  /** Where the size comes from when the server sends no Content-Length (the attachment's metadata). */
  sizeLookup?: () => Promise<number | undefined>;
}

/** What has arrived so far, and what the first answer declared about the whole. */
interface Received {
  bytes: number;
  total?: number;
  etag?: string;
  contentType?: string;
  hasher?: Hasher;
  /** Break-offs since the download started (bounded by the transport's retry budget). */
  failures: number;
}

export async function download(transport: Transport, url: string, sink: Sink, run: DownloadRun): Promise<DownloadResult> {
  const got: Received = { bytes: 0, failures: 0, ...(run.newHasher ? { hasher: run.newHasher() } : {}) };
  try {
    for (;;) {
      const res = await requestRest(transport, url, got, run);
      await takeAnswer(res, got, sink, run);
      run.onProgress?.({ bytesReceived: got.bytes, totalBytes: got.total });
      const broke = await pump(res, got, sink, run);
      if (broke !== undefined) {
        // The body broke off: continue from where it stopped (a short body is not a success).
        await backOff(transport, url, got, run, broke, () => new NetworkError("GET", url, broke));
        continue;
      }
      if (got.total !== undefined && got.bytes !== got.total) {
        // The connection closed cleanly but early: treat like a break-off.
        await backOff(transport, url, got, run, undefined, () => new VerificationError(`Received ${got.bytes} bytes, but the server declared ${got.total}.`));
        continue;
      }
      break;
    }
    const result = await verified(got, run, sink);
    await sink.commit();
    return result;
  } catch (e) {
    await sink.abort();
    throw e;
  }
}

/** GET of what is still missing: everything at first, then `bytes=N-` tied to the first answer's ETag. */
async function requestRest(transport: Transport, url: string, got: Received, run: DownloadRun): Promise<Response> {
  const headers: Record<string, string> = {};
  if (got.bytes > 0) {
    headers.range = `bytes=${got.bytes}-`;
    if (got.etag) headers["if-range"] = got.etag;
  }
  const res = await transport.send({ method: "GET", url, headers, signal: run.signal, idempotent: true, onRetry: run.onRetry });
  if (!res.ok) throw await errorFrom(res, "GET", url);
  return res;
}

/** Reads a whole answer's declarations, or checks that a partial one continues exactly where we stopped. */
async function takeAnswer(res: Response, got: Received, sink: Sink, run: DownloadRun): Promise<void> {
  if (got.bytes === 0 || res.status === 200) {
    if (got.bytes > 0) {
      // The server sent everything again: start the sink over, or give up if it cannot.
      if (!sink.reset) throw new TaskdropError("cannotResume", "The download was interrupted and the server does not continue ranges; retry it.");
      await sink.reset();
      got.bytes = 0;
      got.hasher = run.newHasher?.();
    }
    const len = res.headers.get("content-length");
    got.total = len !== null && /^\d+$/.test(len) ? Number(len) : undefined;
    got.etag = res.headers.get("etag") ?? undefined;
    got.contentType = res.headers.get("content-type") ?? undefined;
    return;
  }
  const cr = contentRangeStart(res.headers.get("content-range"));
  if (res.status !== 206 || !cr || cr.start !== got.bytes) throw new VerificationError(`The server answered a resumed download with the wrong range (${res.headers.get("content-range")}).`);
  got.total ??= cr.total;
}

/** Streams the body into the sink; returns the error if the body broke off (undefined when it ended). */
async function pump(res: Response, got: Received, sink: Sink, run: DownloadRun): Promise<unknown> {
  const reader = res.body?.getReader();
  if (!reader) return undefined;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return undefined;
      await sink.write(r.value);
      got.hasher?.update(r.value);
      got.bytes += r.value.length;
      if (got.total !== undefined && got.bytes > got.total) throw new VerificationError(`The server sent more than the ${got.total} bytes it declared.`);
      run.onProgress?.({ bytesReceived: got.bytes, totalBytes: got.total });
    }
  } catch (e) {
    if (run.signal?.aborted) throw run.signal.reason;
    if (e instanceof TaskdropError || isAbortError(e)) throw e;
    return e;
  }
}

/** Counts a break-off, giving up with `giveUp()` past the retry budget, and waits the backoff. */
async function backOff(transport: Transport, url: string, got: Received, run: DownloadRun, error: unknown, giveUp: () => Error): Promise<void> {
  got.failures += 1;
  if (got.failures > transport.retry.retries) throw giveUp();
  const delayMs = backoffDelay(got.failures - 1, transport.retry);
  if (error !== undefined) transport.notifyRetry({ method: "GET", url, attempt: got.failures, delayMs, error }, run.onRetry);
  await sleep(delayMs, run.signal);
}

/** The length against the declared (or looked-up) size, and the SHA-256 against Taskdrop's ETag. */
async function verified(got: Received, run: DownloadRun, sink: Sink): Promise<DownloadResult> {
  if (got.total === undefined && run.sizeLookup) {
    const size = await run.sizeLookup();
    if (size !== undefined && size !== got.bytes) throw new VerificationError(`Received ${got.bytes} bytes, but the attachment's size is ${size}.`);
  }
  const sha256 = got.hasher?.hex();
  // Taskdrop's ETag on $value is the quoted SHA-256 of the bytes; other ETags are opaque.
  const declared = got.etag && /^"([0-9a-f]{64})"$/i.exec(got.etag)?.[1]?.toLowerCase();
  if (sha256 && declared && sha256 !== declared) throw new VerificationError(`The downloaded bytes' SHA-256 ${sha256} differs from the server's ${declared}.`);
  return {
    bytes: got.bytes,
    ...(got.contentType ? { contentType: got.contentType } : {}),
    ...(sha256 ? { sha256 } : {}),
    hashVerified: Boolean(sha256 && declared),
    ...(sink.path ? { path: sink.path } : {}),
  };
}
