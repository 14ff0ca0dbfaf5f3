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

export async function download(
  transport: Transport,
  url: string,
  sink: Sink,
  o: Pick<DownloadOptions, "signal" | "onProgress" | "onRetry">,
  newHasher?: () => Hasher,
  /** Where the size comes from when the server sends no Content-Length (the attachment's metadata). */
  sizeLookup?: () => Promise<number | undefined>,
): Promise<DownloadResult> {
  const { signal } = o;
  let received = 0;
  let total: number | undefined;
  let etag: string | undefined;
  let contentType: string | undefined;
  let hasher = newHasher?.();
  let failures = 0;
  try {
    for (;;) {
      const headers: Record<string, string> = {};
      if (received > 0) {
        headers.range = `bytes=${received}-`;
        if (etag) headers["if-range"] = etag;
      }
      const res = await transport.send({ method: "GET", url, headers, signal, idempotent: true, onRetry: o.onRetry });
      if (!res.ok) throw await errorFrom(res, "GET", url);
      if (received === 0 || res.status === 200) {
        if (received > 0) {
          // The server sent everything again: start the sink over, or give up if it cannot.
          if (!sink.reset) throw new TaskdropError("cannotResume", "The download was interrupted and the server does not continue ranges; retry it.");
          await sink.reset();
          received = 0;
          hasher = newHasher?.();
        }
        const len = res.headers.get("content-length");
        total = len !== null && /^\d+$/.test(len) ? Number(len) : undefined;
        etag = res.headers.get("etag") ?? undefined;
        contentType = res.headers.get("content-type") ?? undefined;
      } else {
        const cr = contentRangeStart(res.headers.get("content-range"));
        if (res.status !== 206 || !cr || cr.start !== received) throw new VerificationError(`The server answered a resumed download with the wrong range (${res.headers.get("content-range")}).`);
        total ??= cr.total;
      }
      o.onProgress?.({ bytesReceived: received, totalBytes: total });
      const reader = res.body?.getReader();
      try {
        for (;;) {
          if (!reader) break;
          const r = await reader.read();
          if (r.done) break;
          await sink.write(r.value);
          hasher?.update(r.value);
          received += r.value.length;
          if (total !== undefined && received > total) throw new VerificationError(`The server sent more than the ${total} bytes it declared.`);
          o.onProgress?.({ bytesReceived: received, totalBytes: total });
        }
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        if (e instanceof TaskdropError || isAbortError(e)) throw e;
        // The body broke off: continue from where it stopped (a short body is not a success).
        failures += 1;
        if (failures > transport.retry.retries) throw new NetworkError("GET", url, e);
        const delayMs = backoffDelay(failures - 1, transport.retry);
        transport.notifyRetry({ method: "GET", url, attempt: failures, delayMs, error: e }, o.onRetry);
        await sleep(delayMs, signal);
        continue;
      }
      if (total !== undefined && received !== total) {
        // The connection closed cleanly but early: treat like a break-off.
        failures += 1;
        if (failures > transport.retry.retries) throw new VerificationError(`Received ${received} bytes, but the server declared ${total}.`);
        await sleep(backoffDelay(failures - 1, transport.retry), signal);
        continue;
      }
      break;
    }
    if (total === undefined && sizeLookup) {
      const size = await sizeLookup();
      if (size !== undefined && size !== received) throw new VerificationError(`Received ${received} bytes, but the attachment's size is ${size}.`);
    }
    const sha256 = hasher?.hex();
    // Taskdrop's ETag on $value is the quoted SHA-256 of the bytes; other ETags are opaque.
    const declared = etag && /^"([0-9a-f]{64})"$/i.exec(etag)?.[1]?.toLowerCase();
    if (sha256 && declared && sha256 !== declared) throw new VerificationError(`The downloaded bytes' SHA-256 ${sha256} differs from the server's ${declared}.`);
    await sink.commit();
    return { bytes: received, ...(contentType ? { contentType } : {}), ...(sha256 ? { sha256 } : {}), hashVerified: Boolean(sha256 && declared), ...(sink.path ? { path: sink.path } : {}) };
  } catch (e) {
    await sink.abort();
    throw e;
  }
}
