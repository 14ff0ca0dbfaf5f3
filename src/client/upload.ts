// uploadAttachment: a file to a To Do task, through an upload session in ranges of at most 4 MiB.
// After any failed PUT the session is asked where it stands (GET uploadUrl) and the upload goes on
// from its nextExpectedRanges; bytes are never re-sent blindly. A resume record lets a later
// process continue the same session.
import { GraphRequestError, NetworkError, SourceChangedError, TaskdropError, isAbortError, redactUrl } from "./errors.js";
import { backoffDelay, discard, errorFrom, sleep, type RetryEvent, type Transport } from "./http.js";
import { describeChange, resumeKey, type ResumeRecord, type ResumeStore } from "./resume.js";
import { toBase64, type OpenedSource, type SourceIdentity, type UploadSource } from "./sources.js";
import type { TaskFileAttachment } from "./types.js";

/** Largest attachment an upload session accepts: 25 MiB. */
export const MAX_ATTACHMENT_BYTES = 26_214_400;
/** Largest range one PUT may carry on Graph (and Taskdrop's default): 4 MiB. */
export const MAX_CHUNK_BYTES = 4_194_304;
/** The small-file POST takes files strictly under 3 MiB. */
export const SMALL_FILE_LIMIT = 3_145_728;
/** Smallest range the client shrinks to when a server refuses a range as too large (413). */
const MIN_CHUNK_BYTES = 65_536;

export interface UploadProgress {
  name: string;
  /** Bytes the server has acknowledged. */
  bytesUploaded: number;
  totalBytes: number;
  /** Bytes the server already held when this call started (a resumed upload). */
  resumedFrom: number;
}

export interface UploadOptions {
  listId: string;
  taskId: string;
  source: UploadSource;
  /** Attachment name; defaults to the file's (or File's) name, required for other sources. */
  name?: string;
  /** Defaults to the Blob's type, a guess from a file's extension, else application/octet-stream. */
  contentType?: string;
  /** Size in bytes of a bare stream source. */
  size?: number;
  /** Bytes per PUT, 1 to 4 MiB (default 4 MiB). */
  chunkSize?: number;
  /**
   * "session" (default for non-empty sources): an upload session, resumable and safe to retry.
   * "post": the small-file POST (under 3 MiB; retried only when the server certainly did nothing).
   * "auto": "session", except that empty files use the POST (a 0-byte session is beyond Graph).
   */
  method?: "auto" | "session" | "post";
  signal?: AbortSignal;
  onProgress?: (p: UploadProgress) => void;
  /** Called once the session is known (created or resumed). */
  onSession?: (s: { uploadUrl: string; expirationDateTime?: string; resumedFrom: number }) => void;
  onRetry?: (e: RetryEvent) => void;
  /**
   * true (default): keep a resume record and continue a recorded session for the same source;
   * "restart": cancel any recorded session and start over; false: keep no record.
   */
  resume?: boolean | "restart";
  /** Where records live (default: the client's store; in Node a directory under stateDir). */
  resumeStore?: ResumeStore;
  /** Node: directory for resume records (default $TASKDROP_STATE_DIR or ~/.local/state/taskdrop). */
  stateDir?: string;
  /** On abort, delete the session instead of keeping it for a resume (default false). */
  cancelOnAbort?: boolean;
  /** Send RFC 9530 Content-Digest (sha-256) with each range (default: in Node only, as it needs CORS in browsers). */
  contentDigest?: boolean;
  /** Pace the upload to about this many bytes per second. */
  maxBytesPerSecond?: number;
}

export interface UploadResult {
  attachmentId: string;
  /** The Location the server gave for the attachment. */
  location?: string;
  name: string;
  size: number;
  contentType: string;
  method: "session" | "post";
  /** Bytes already on the server when this call started (0 for a fresh upload). */
  resumedFrom: number;
}

/** What the upload needs from the client (kept narrow so this module stays testable). */
export interface UploadContext {
  transport: Transport;
  /** e.g. https://graph.microsoft.com/v1.0/me/todo */
  root: string;
  taskUrl(listId: string, taskId: string): string;
  /** Whether to send the bearer token to this upload URL. */
  authFor(uploadUrl: string): boolean;
  resumeStoreFor(o: { resumeStore?: ResumeStore; stateDir?: string }): Promise<ResumeStore | undefined>;
  openSource(source: UploadSource, size?: number, signal?: AbortSignal): Promise<OpenedSource>;
  listAttachments(listId: string, taskId: string, signal?: AbortSignal): Promise<TaskFileAttachment[]>;
  digestSupported: boolean;
}

export interface SessionState {
  /** Offset of the next byte the server expects; undefined when complete. */
  next?: number;
  done: boolean;
  /** Gone: unknown, expired or cancelled (404). */
  gone: boolean;
  location?: string;
  expirationDateTime?: string;
}

/** Reads `nextExpectedRanges` or `NextExpectedRanges` (Graph has answered both). */
export function readRanges(body: unknown): string[] | undefined {
  const b = body as Record<string, unknown> | undefined;
  const r = b?.nextExpectedRanges ?? b?.NextExpectedRanges;
  return Array.isArray(r) ? r.map(String) : undefined;
}

/** The start of the first expected range: "N-", "N" and "N-M" all mean N. */
export function firstOffset(ranges: string[]): number | undefined {
  if (ranges.length === 0) return undefined;
  const m = /^\s*(\d+)\s*(?:-\s*\d*\s*)?$/.exec(ranges[0]!);
  if (!m) throw new TaskdropError("badSession", `Cannot read the upload session's next expected range "${ranges[0]}".`);
  return Number(m[1]);
}

/** The attachment id in a Location: `Attachments('id')`, `attachments('id')` or `attachments/id`. */
export function attachmentIdFromLocation(location: string | null | undefined): string | undefined {
  if (!location) return undefined;
  const path = location.replace(/[?#].*$/, "");
  const keyed = /attachments(?:\(|%28)(?:'|%27)(.*?)(?:'|%27)(?:\)|%29)\/?$/i.exec(path);
  const raw = keyed?.[1] ?? /\/attachments\/([^/]+)\/?$/i.exec(path)?.[1];
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw).replace(/''/g, "'");
  } catch {
    return raw;
  }
}

export async function sessionStatus(ctx: UploadContext, uploadUrl: string, signal?: AbortSignal, onRetry?: (e: RetryEvent) => void): Promise<SessionState> {
  const res = await ctx.transport.send({ method: "GET", url: uploadUrl, signal, auth: ctx.authFor(uploadUrl), idempotent: true, onRetry });
  if (res.status === 404) {
    await discard(res);
    return { done: false, gone: true };
  }
  if (!res.ok) throw await errorFrom(res, "GET", uploadUrl);
  const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  const ranges = readRanges(body);
  if (ranges === undefined) throw new TaskdropError("badSession", `GET ${redactUrl(uploadUrl)} answered without nextExpectedRanges.`);
  const next = firstOffset(ranges);
  const expirationDateTime = (body?.expirationDateTime ?? body?.ExpirationDateTime) as string | undefined;
  return { next, done: next === undefined, gone: false, location: res.headers.get("location") ?? undefined, expirationDateTime };
}

/** DELETE the session; an already-gone session counts as cancelled. */
export async function cancelSession(ctx: UploadContext, uploadUrl: string, signal?: AbortSignal): Promise<void> {
  const res = await ctx.transport.send({ method: "DELETE", url: uploadUrl, signal, auth: ctx.authFor(uploadUrl), idempotent: true });
  if (res.ok || res.status === 404) return void (await discard(res));
  throw await errorFrom(res, "DELETE", uploadUrl);
}

function checkChunkSize(n: number | undefined): number {
  if (n === undefined) return MAX_CHUNK_BYTES;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_CHUNK_BYTES) {
    throw new TaskdropError("badChunkSize", `chunkSize must be a whole number of bytes from 1 to ${MAX_CHUNK_BYTES} (4 MiB, Graph's limit per PUT), got ${n}.`);
  }
  return n;
}

export async function uploadAttachment(ctx: UploadContext, o: UploadOptions): Promise<UploadResult> {
  const signal = o.signal;
  signal?.throwIfAborted();
  let chunkSize = checkChunkSize(o.chunkSize);
  if (o.maxBytesPerSecond !== undefined) {
    if (!(o.maxBytesPerSecond > 0)) throw new TaskdropError("badRate", `maxBytesPerSecond must be positive, got ${o.maxBytesPerSecond}.`);
    // Smaller ranges when paced, so progress moves several times a second.
    chunkSize = Math.min(chunkSize, Math.max(16_384, Math.floor(o.maxBytesPerSecond / 4)));
  }
  const src = await ctx.openSource(o.source, o.size, signal);
  let sessionUrl: string | undefined;
  let key: string | undefined;
  let store: ResumeStore | undefined;
  try {
    const name = o.name ?? src.name;
    if (!name) throw new TaskdropError("nameRequired", "An attachment name is needed: pass `name` (only files and File objects carry their own).");
    const contentType = o.contentType ?? src.contentType ?? "application/octet-stream";
    const size = src.size;
    if (size > MAX_ATTACHMENT_BYTES) {
      throw new TaskdropError("tooLarge", `${name} is ${size} bytes; To Do attachments can be at most ${MAX_ATTACHMENT_BYTES} bytes (25 MiB).`);
    }
    const method = o.method ?? "auto";
    if (method === "post" || (method === "auto" && size === 0)) {
      if (size >= SMALL_FILE_LIMIT) throw new TaskdropError("tooLarge", `The small-file POST takes files under ${SMALL_FILE_LIMIT} bytes (3 MiB); ${name} is ${size}. Use an upload session.`);
      return await postSmall(ctx, o, src, name, contentType);
    }

    const base = { listId: o.listId, taskId: o.taskId, name, contentType, size };
    let resumedFrom = 0;
    let session: { uploadUrl: string; expirationDateTime?: string } | undefined;
    let state: SessionState | undefined;
    let identity: SourceIdentity | undefined;
    store = o.resume === false ? undefined : await ctx.resumeStoreFor(o);
    if (store) {
      identity = await src.identity(signal);
      if (identity) key = await resumeKey(ctx.root, o.listId, o.taskId, name, identity);
    }
    if (store && key) {
      const rec = await store.get(key);
      if (rec) {
        // Another name or type for the same source is another attachment: its old session goes.
        const restart = o.resume === "restart" || rec.name !== name || rec.contentType !== contentType;
        const change = restart ? undefined : describeChange(rec.source, identity!);
        if (change) {
          throw new SourceChangedError(
            `${rec.source.path ?? name} changed since its upload was interrupted (${change}). ` +
              `Restore the file to continue, or start over (resume: "restart"; CLI: --restart).`,
          );
        }
        const expired = rec.expirationDateTime !== undefined && Date.parse(rec.expirationDateTime) <= Date.now();
        if (restart || expired) {
          if (!expired) await cancelSession(ctx, rec.uploadUrl, signal).catch(() => undefined);
          await store.delete(key);
        } else {
          state = await sessionStatus(ctx, rec.uploadUrl, signal, o.onRetry);
          if (state.gone) {
            await store.delete(key);
            state = undefined;
          } else {
            session = rec;
            resumedFrom = state.next ?? size;
          }
        }
      }
    }
    if (!session) {
      session = await createSession(ctx, o.listId, o.taskId, name, size, contentType, signal, o.onRetry);
      state = { next: 0, done: false, gone: false };
      if (store && key && identity) {
        const rec: ResumeRecord = {
          version: 1,
          uploadUrl: session.uploadUrl,
          ...(session.expirationDateTime ? { expirationDateTime: session.expirationDateTime } : {}),
          createdAt: new Date().toISOString(),
          root: ctx.root,
          ...base,
          source: identity,
        };
        await store.set(key, rec);
      }
    }
    sessionUrl = session.uploadUrl;
    o.onSession?.({ uploadUrl: session.uploadUrl, expirationDateTime: session.expirationDateTime, resumedFrom });
    const startedAt = Date.now() - 5 * 60_000;
    const attachmentId = state!.done
      ? await completedId(ctx, o, state!.location, undefined, name, size, startedAt)
      : await sendRanges(ctx, o, src, session.uploadUrl, state!.next!, chunkSize, name, size, resumedFrom, startedAt);
    if (store && key) await store.delete(key);
    return { ...attachmentId, name, size, contentType, method: "session", resumedFrom };
  } catch (e) {
    if (isAbortError(e) && o.cancelOnAbort && sessionUrl) {
      await cancelSession(ctx, sessionUrl).catch(() => undefined);
      if (store && key) await store.delete(key).catch(() => undefined);
    }
    throw e;
  } finally {
    await src.close();
  }
}

async function createSession(
  ctx: UploadContext,
  listId: string,
  taskId: string,
  name: string,
  size: number,
  contentType: string,
  signal: AbortSignal | undefined,
  onRetry?: (e: RetryEvent) => void,
): Promise<{ uploadUrl: string; expirationDateTime?: string }> {
  const url = `${ctx.taskUrl(listId, taskId)}/attachments/createUploadSession`;
  // A repeated create only leaves an unused session that expires, so network errors may retry it.
  const body = await ctx.transport.json<Record<string, unknown>>({
    method: "POST",
    url,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ attachmentInfo: { attachmentType: "file", name, size, contentType } }),
    signal,
    idempotent: true,
    onRetry,
  });
  const uploadUrl = (body?.uploadUrl ?? body?.UploadUrl) as string | undefined;
  if (typeof uploadUrl !== "string") throw new TaskdropError("badSession", "createUploadSession answered without an uploadUrl.");
  const expirationDateTime = (body.expirationDateTime ?? body.ExpirationDateTime) as string | undefined;
  return { uploadUrl: new URL(uploadUrl, url).href, ...(expirationDateTime ? { expirationDateTime } : {}) };
}

async function postSmall(ctx: UploadContext, o: UploadOptions, src: OpenedSource, name: string, contentType: string): Promise<UploadResult> {
  const size = src.size;
  o.onProgress?.({ name, bytesUploaded: 0, totalBytes: size, resumedFrom: 0 });
  const bytes = await src.read(0, size);
  const url = `${ctx.taskUrl(o.listId, o.taskId)}/attachments`;
  const res = await ctx.transport.send({
    method: "POST",
    url,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ "@odata.type": "#microsoft.graph.taskFileAttachment", name, contentType, contentBytes: toBase64(bytes) }),
    signal: o.signal,
    // A repeated POST would attach the file twice: retried only on answers that mean "not done".
    idempotent: false,
    onRetry: o.onRetry,
  });
  if (!res.ok) throw await errorFrom(res, "POST", url);
  const body = (await res.json().catch(() => undefined)) as { id?: string } | undefined;
  const location = res.headers.get("location") ?? undefined;
  const attachmentId = body?.id ?? attachmentIdFromLocation(location);
  if (!attachmentId) throw new TaskdropError("noAttachmentId", "The small-file POST answered without an attachment id.");
  o.onProgress?.({ name, bytesUploaded: size, totalBytes: size, resumedFrom: 0 });
  return { attachmentId, ...(location ? { location } : {}), name, size, contentType, method: "post", resumedFrom: 0 };
}

/** Statuses after which the session is asked where it stands and the upload goes on. */
const RECOVERABLE = new Set([408, 409, 416, 425, 429]);

async function sendRanges(
  ctx: UploadContext,
  o: UploadOptions,
  src: OpenedSource,
  uploadUrl: string,
  start: number,
  chunkSize: number,
  name: string,
  size: number,
  resumedFrom: number,
  startedAt: number,
): Promise<{ attachmentId: string; location?: string }> {
  const { signal } = o;
  const retry = ctx.transport.retry;
  const auth = ctx.authFor(uploadUrl);
  const digest = (o.contentDigest ?? ctx.digestSupported) && (globalThis.crypto as Crypto | undefined)?.subtle !== undefined;
  const progress = (n: number) => o.onProgress?.({ name, bytesUploaded: n, totalBytes: size, resumedFrom });
  const pace = { since: Date.now(), bytes: 0 };
  let offset = start;
  let failures = 0;
  let sentFinal = false;
  progress(offset);
  for (;;) {
    signal?.throwIfAborted();
    await src.check();
    const end = Math.min(offset + chunkSize, size);
    const bytes = await src.read(offset, end);
    const headers: Record<string, string> = {
      "content-type": "application/octet-stream",
      // A 0-byte session is completed by the empty range (Taskdrop; Graph cannot do empty sessions).
      "content-range": size === 0 ? "bytes */0" : `bytes ${offset}-${end - 1}/${size}`,
    };
    if (digest) {
      const d = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
      headers["content-digest"] = `sha-256=:${toBase64(d)}:`;
    }
    if (end === size) sentFinal = true;
    let problem: Error;
    try {
      const res = await ctx.transport.once({ method: "PUT", url: uploadUrl, headers, body: bytes as Uint8Array<ArrayBuffer>, signal, auth });
      if (res.status === 200 || res.status === 201) {
        const body = res.status === 201 ? undefined : ((await res.json().catch(() => undefined)) as Record<string, unknown> | undefined);
        if (res.status === 201) await discard(res);
        const ranges = readRanges(body);
        // Graph's completion: 201 with Location (or, for some SDKs' sake, 200 with the attachment's id).
        if (res.status === 201 || (typeof body?.id === "string" && !ranges?.length)) {
          progress(size);
          return await completedId(ctx, o, res.headers.get("location"), body?.id as string | undefined, name, size, startedAt);
        }
        const next = ranges ? firstOffset(ranges) : undefined;
        if (next !== undefined && next > offset && next <= size) {
          failures = 0;
          pace.bytes += next - offset;
          offset = next;
          progress(offset);
          await paceUpload(o.maxBytesPerSecond, pace, signal);
          continue;
        }
        // An answer we cannot place (or one that did not move on): ask the session instead of guessing.
        problem = new TaskdropError("badSession", `PUT answered 200 with nextExpectedRanges ${JSON.stringify(ranges)} after the range at ${offset}.`);
      } else {
        problem = await errorFrom(res, "PUT", uploadUrl);
        if (res.status === 413 && chunkSize > MIN_CHUNK_BYTES) {
          // This server takes smaller ranges than we sent: halve and go on.
          chunkSize = Math.max(MIN_CHUNK_BYTES, Math.floor(chunkSize / 2));
        } else if (res.status === 404) {
          return await afterGone(ctx, o, uploadUrl, sentFinal, name, size, startedAt, problem);
        } else if (!RECOVERABLE.has(res.status) && res.status < 500) {
          throw problem;
        }
      }
    } catch (e) {
      if (!(e instanceof NetworkError)) throw e;
      problem = e;
    }
    failures += 1;
    if (failures > retry.retries) throw problem;
    const retryAfter = problem instanceof GraphRequestError ? problem.retryAfterMs : undefined;
    if (retryAfter !== undefined && retryAfter > retry.maxRetryAfterMs) throw problem;
    const delayMs = backoffDelay(failures - 1, retry, retryAfter);
    const status = problem instanceof GraphRequestError ? problem.status : undefined;
    ctx.transport.notifyRetry({ method: "PUT", url: uploadUrl, attempt: failures, delayMs, status, error: problem }, o.onRetry);
    await sleep(delayMs, signal);
    // Never re-send blindly: the PUT may have landed even though its answer did not.
    const st = await sessionStatus(ctx, uploadUrl, signal, o.onRetry);
    if (st.gone) return await afterGone(ctx, o, uploadUrl, sentFinal, name, size, startedAt, problem);
    if (st.done) {
      progress(size);
      return await completedId(ctx, o, st.location, undefined, name, size, startedAt);
    }
    if (st.next! > offset) failures = 0;
    offset = st.next!;
    progress(offset);
  }
}

async function paceUpload(rate: number | undefined, pace: { since: number; bytes: number }, signal?: AbortSignal): Promise<void> {
  if (!rate) return;
  const due = pace.since + (pace.bytes / rate) * 1000;
  const wait = due - Date.now();
  if (wait > 0) await sleep(wait, signal);
}

/** The attachment id from the completion, or (when the server gave none) found among the task's attachments. */
async function completedId(
  ctx: UploadContext,
  o: UploadOptions,
  location: string | null | undefined,
  bodyId: string | undefined,
  name: string,
  size: number,
  since: number,
): Promise<{ attachmentId: string; location?: string }> {
  const id = attachmentIdFromLocation(location) ?? bodyId ?? (await findAttachment(ctx, o, name, size, since));
  if (!id) throw new TaskdropError("noAttachmentId", `The upload of ${name} completed, but the server named no attachment and none matches it.`);
  return { attachmentId: id, ...(location ? { location } : {}) };
}

/** After a lost final answer on a server that forgets completed sessions: the newest attachment with this name and size. */
async function findAttachment(ctx: UploadContext, o: UploadOptions, name: string, size: number, since: number): Promise<string | undefined> {
  const all = await ctx.listAttachments(o.listId, o.taskId, o.signal);
  const hits = all
    .filter((a) => a.name === name && a.size === size && (!a.lastModifiedDateTime || Date.parse(a.lastModifiedDateTime) >= since))
    .sort((a, b) => Date.parse(b.lastModifiedDateTime ?? "") - Date.parse(a.lastModifiedDateTime ?? ""));
  return hits[0]?.id;
}

/**
 * The session answered 404. If the final range was sent, the upload may have completed on a server
 * that forgets finished sessions: look for the attachment. Otherwise the session expired or was cancelled.
 */
async function afterGone(
  ctx: UploadContext,
  o: UploadOptions,
  uploadUrl: string,
  sentFinal: boolean,
  name: string,
  size: number,
  since: number,
  problem: unknown,
): Promise<{ attachmentId: string }> {
  if (sentFinal) {
    const id = await findAttachment(ctx, o, name, size, since).catch(() => undefined);
    if (id) return { attachmentId: id };
  }
  throw new TaskdropError(
    "sessionGone",
    `The upload session for ${name} is gone (expired, cancelled or unknown): ${redactUrl(uploadUrl)}. Start the upload again.`,
    { cause: problem },
  );
}
