// uploadAttachment: a file to a To Do task, through an upload session in ranges of at most 4 MiB.
// After any failed PUT the session is asked where it stands (GET uploadUrl) and the upload goes on
// from its nextExpectedRanges; bytes are never re-sent blindly. A resume record lets a later
// process continue the same session.
import { GraphRequestError, NetworkError, SourceChangedError, TaskdropError, isAbortError, redactUrl } from "./errors.js";
import { backoffDelay, discard, errorFrom, isTransientStatus, sleep, type RetryEvent, type Transport } from "./http.js";
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

/** The file being uploaded, as the server will name it. */
interface FileFacts {
  name: string;
  contentType: string;
  size: number;
}

/** One upload under way: what every step needs, passed as one object instead of long parameter lists. */
interface Run extends FileFacts {
  ctx: UploadContext;
  o: UploadOptions;
  src: OpenedSource;
  /** Bytes already on the server when this call started (a resumed upload). */
  resumedFrom: number;
  /** Attachments modified after this may be this upload's (to find one whose final answer was lost). */
  startedAt: number;
}

/** Where a resume record for this upload lives, when there is one to keep. */
interface Resumable {
  store: ResumeStore;
  key: string;
  identity: SourceIdentity;
}

interface Started {
  session: { uploadUrl: string; expirationDateTime?: string };
  state: SessionState;
  resumedFrom: number;
}

export async function uploadAttachment(ctx: UploadContext, o: UploadOptions): Promise<UploadResult> {
  o.signal?.throwIfAborted();
  const chunkSize = pacedChunkSize(o);
  const src = await ctx.openSource(o.source, o.size, o.signal);
  let sessionUrl: string | undefined;
  let resumable: Resumable | undefined;
  try {
    const file = fileFacts(o, src);
    const method = o.method ?? "auto";
    if (method === "post" || (method === "auto" && file.size === 0)) {
      if (file.size >= SMALL_FILE_LIMIT) {
        throw new TaskdropError("tooLarge", `The small-file POST takes files under ${SMALL_FILE_LIMIT} bytes (3 MiB); ${file.name} is ${file.size}. Use an upload session.`);
      }
      return await postSmall(ctx, o, src, file.name, file.contentType);
    }
    resumable = await resumableFor(ctx, o, src, file.name);
    const started = (resumable && (await continueRecorded(ctx, o, file, resumable))) ?? (await startSession(ctx, o, file, resumable));
    const { session, state, resumedFrom } = started;
    sessionUrl = session.uploadUrl;
    o.onSession?.({ uploadUrl: session.uploadUrl, expirationDateTime: session.expirationDateTime, resumedFrom });
    const run: Run = { ctx, o, src, ...file, resumedFrom, startedAt: Date.now() - 5 * 60_000 };
    const attachment = state.done ? await completedId(run, state.location, undefined) : await sendRanges(run, session.uploadUrl, state.next!, chunkSize);
    if (resumable) await resumable.store.delete(resumable.key);
    return { ...attachment, ...file, method: "session", resumedFrom };
  } catch (e) {
    if (isAbortError(e) && o.cancelOnAbort && sessionUrl) {
      await cancelSession(ctx, sessionUrl).catch(() => undefined);
      if (resumable) await resumable.store.delete(resumable.key).catch(() => undefined);
    }
    throw e;
  } finally {
    await src.close();
  }
}

function pacedChunkSize(o: UploadOptions): number {
  const chunkSize = checkChunkSize(o.chunkSize);
  if (o.maxBytesPerSecond === undefined) return chunkSize;
  if (!(o.maxBytesPerSecond > 0)) throw new TaskdropError("badRate", `maxBytesPerSecond must be positive, got ${o.maxBytesPerSecond}.`);
  // Smaller ranges when paced, so progress moves several times a second.
  return Math.min(chunkSize, Math.max(16_384, Math.floor(o.maxBytesPerSecond / 4)));
}

function fileFacts(o: UploadOptions, src: OpenedSource): FileFacts {
  const name = o.name ?? src.name;
  if (!name) throw new TaskdropError("nameRequired", "An attachment name is needed: pass `name` (only files and File objects carry their own).");
  const size = src.size;
  if (size > MAX_ATTACHMENT_BYTES) {
    throw new TaskdropError("tooLarge", `${name} is ${size} bytes; To Do attachments can be at most ${MAX_ATTACHMENT_BYTES} bytes (25 MiB).`);
  }
  return { name, contentType: o.contentType ?? src.contentType ?? "application/octet-stream", size };
}

/** The resume record's place, unless records are off or the source cannot be recognised later. */
async function resumableFor(ctx: UploadContext, o: UploadOptions, src: OpenedSource, name: string): Promise<Resumable | undefined> {
  const store = o.resume === false ? undefined : await ctx.resumeStoreFor(o);
  if (!store) return undefined;
  const identity = await src.identity(o.signal);
  const key = identity && (await resumeKey(ctx.root, o.listId, o.taskId, name, identity));
  return key ? { store, key, identity: identity! } : undefined;
}

/**
 * Continues the session a record names, when it is still the same source and still alive; a record
 * that is for another name or type, restarted, expired or gone is removed (undefined: start anew).
 */
async function continueRecorded(ctx: UploadContext, o: UploadOptions, file: FileFacts, r: Resumable): Promise<Started | undefined> {
  const rec = await r.store.get(r.key);
  if (!rec) return undefined;
  // Another name or type for the same source is another attachment: its old session goes.
  const restart = o.resume === "restart" || rec.name !== file.name || rec.contentType !== file.contentType;
  const change = restart ? undefined : describeChange(rec.source, r.identity);
  if (change) {
    throw new SourceChangedError(
      `${rec.source.path ?? file.name} changed since its upload was interrupted (${change}). ` + `Restore the file to continue, or start over (resume: "restart"; CLI: --restart).`,
    );
  }
  const expired = rec.expirationDateTime !== undefined && Date.parse(rec.expirationDateTime) <= Date.now();
  if (restart || expired) {
    if (!expired) await cancelSession(ctx, rec.uploadUrl, o.signal).catch(() => undefined);
    await r.store.delete(r.key);
    return undefined;
  }
  const state = await sessionStatus(ctx, rec.uploadUrl, o.signal, o.onRetry);
  if (state.gone) {
    await r.store.delete(r.key);
    return undefined;
  }
  return { session: rec, state, resumedFrom: state.next ?? file.size };
}

/** A new session, recorded for a later resume when there is a place for the record. */
async function startSession(ctx: UploadContext, o: UploadOptions, file: FileFacts, r: Resumable | undefined): Promise<Started> {
  const session = await createSession(ctx, o, file);
  if (r) {
    const rec: ResumeRecord = {
      version: 1,
      uploadUrl: session.uploadUrl,
      ...(session.expirationDateTime ? { expirationDateTime: session.expirationDateTime } : {}),
      createdAt: new Date().toISOString(),
      root: ctx.root,
      listId: o.listId,
      taskId: o.taskId,
      ...file,
      source: r.identity,
    };
    await r.store.set(r.key, rec);
  }
  return { session, state: { next: 0, done: false, gone: false }, resumedFrom: 0 };
}

async function createSession(ctx: UploadContext, o: UploadOptions, { name, size, contentType }: FileFacts): Promise<{ uploadUrl: string; expirationDateTime?: string }> {
  const url = `${ctx.taskUrl(o.listId, o.taskId)}/attachments/createUploadSession`;
  // A repeated create only leaves an unused session that expires, so network errors may retry it.
  const body = await ctx.transport.json<Record<string, unknown>>({
    method: "POST",
    url,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ attachmentInfo: { attachmentType: "file", name, size, contentType } }),
    signal: o.signal,
    idempotent: true,
    onRetry: o.onRetry,
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

/** The range loop's own state; `failures` counts attempts since the upload last moved on. */
interface RangeLoop {
  uploadUrl: string;
  offset: number;
  chunkSize: number;
  failures: number;
  /** The final range went out at least once (a 404 may then mean "completed and forgotten"). */
  sentFinal: boolean;
  auth: boolean;
  digest: boolean;
}

/** What one PUT of a range came to. */
type RangeAnswer =
  | { kind: "completed"; location: string | null; bodyId?: string }
  | { kind: "advanced"; next: number }
  | { kind: "gone"; problem: Error }
  /** Worth asking the session where it stands, after a backoff. */
  | { kind: "failed"; problem: Error };

async function sendRanges(run: Run, uploadUrl: string, start: number, chunkSize: number): Promise<{ attachmentId: string; location?: string }> {
  const { ctx, o } = run;
  const loop: RangeLoop = {
    uploadUrl,
    offset: start,
    chunkSize,
    failures: 0,
    sentFinal: false,
    auth: ctx.authFor(uploadUrl),
    digest: (o.contentDigest ?? ctx.digestSupported) && (globalThis.crypto as Crypto | undefined)?.subtle !== undefined,
  };
  const pace = { since: Date.now(), bytes: 0 };
  progress(run, loop.offset);
  for (;;) {
    o.signal?.throwIfAborted();
    const answer = await putNextRange(run, loop);
    if (answer.kind === "completed") {
      progress(run, run.size);
      return await completedId(run, answer.location, answer.bodyId);
    }
    if (answer.kind === "gone") return await afterGone(run, loop, answer.problem);
    if (answer.kind === "advanced") {
      loop.failures = 0;
      pace.bytes += answer.next - loop.offset;
      loop.offset = answer.next;
      progress(run, loop.offset);
      await paceUpload(o.maxBytesPerSecond, pace, o.signal);
      continue;
    }
    // Never re-send blindly: the PUT may have landed even though its answer did not.
    const st = await backOffAndAsk(run, loop, answer.problem);
    if (st.gone) return await afterGone(run, loop, answer.problem);
    if (st.done) {
      progress(run, run.size);
      return await completedId(run, st.location, undefined);
    }
    if (st.next! > loop.offset) loop.failures = 0;
    loop.offset = st.next!;
    progress(run, loop.offset);
  }
}

const progress = (run: Run, n: number) => run.o.onProgress?.({ name: run.name, bytesUploaded: n, totalBytes: run.size, resumedFrom: run.resumedFrom });

/** PUTs the range at the loop's offset and says what came of it; throws only for answers no retry can mend. */
async function putNextRange(run: Run, loop: RangeLoop): Promise<RangeAnswer> {
  await run.src.check();
  const { offset } = loop;
  const end = Math.min(offset + loop.chunkSize, run.size);
  const bytes = await run.src.read(offset, end);
  const headers: Record<string, string> = {
    "content-type": "application/octet-stream",
    // A 0-byte session is completed by the empty range (Taskdrop; Graph cannot do empty sessions).
    "content-range": run.size === 0 ? "bytes */0" : `bytes ${offset}-${end - 1}/${run.size}`,
  };
  if (loop.digest) {
    const d = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
    headers["content-digest"] = `sha-256=:${toBase64(d)}:`;
  }
  if (end === run.size) loop.sentFinal = true;
  try {
    const res = await run.ctx.transport.once({ method: "PUT", url: loop.uploadUrl, headers, body: bytes as Uint8Array<ArrayBuffer>, signal: run.o.signal, auth: loop.auth });
    return await readRangeAnswer(run, loop, res);
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    return { kind: "failed", problem: e };
  }
}

async function readRangeAnswer(run: Run, loop: RangeLoop, res: Response): Promise<RangeAnswer> {
  if (res.status === 200 || res.status === 201) {
    const body = res.status === 201 ? undefined : ((await res.json().catch(() => undefined)) as Record<string, unknown> | undefined);
    if (res.status === 201) await discard(res);
    const ranges = readRanges(body);
    // Graph's completion: 201 with Location (or, for some SDKs' sake, 200 with the attachment's id).
    if (res.status === 201 || (typeof body?.id === "string" && !ranges?.length)) {
      return { kind: "completed", location: res.headers.get("location"), ...(typeof body?.id === "string" ? { bodyId: body.id } : {}) };
    }
    const next = ranges ? firstOffset(ranges) : undefined;
    if (next !== undefined && next > loop.offset && next <= run.size) return { kind: "advanced", next };
    // An answer we cannot place (or one that did not move on): ask the session instead of guessing.
    return { kind: "failed", problem: new TaskdropError("badSession", `PUT answered 200 with nextExpectedRanges ${JSON.stringify(ranges)} after the range at ${loop.offset}.`) };
  }
  const problem = await errorFrom(res, "PUT", loop.uploadUrl);
  if (res.status === 413 && loop.chunkSize > MIN_CHUNK_BYTES) {
    // This server takes smaller ranges than we sent: halve and go on.
    loop.chunkSize = Math.max(MIN_CHUNK_BYTES, Math.floor(loop.chunkSize / 2));
    return { kind: "failed", problem };
  }
  if (res.status === 404) return { kind: "gone", problem };
  // A 4xx no retry can mend, or 507: out of room, and resending only fills the disk faster.
  if (!RECOVERABLE.has(res.status) && !isTransientStatus(res.status)) throw problem;
  return { kind: "failed", problem };
}

/** Counts the failure (giving up past the retry budget), waits the backoff, then asks the session where it stands. */
async function backOffAndAsk(run: Run, loop: RangeLoop, problem: Error): Promise<SessionState> {
  const { transport } = run.ctx;
  loop.failures += 1;
  if (loop.failures > transport.retry.retries) throw problem;
  const retryAfter = problem instanceof GraphRequestError ? problem.retryAfterMs : undefined;
  if (retryAfter !== undefined && retryAfter > transport.retry.maxRetryAfterMs) throw problem;
  const delayMs = backoffDelay(loop.failures - 1, transport.retry, retryAfter);
  const status = problem instanceof GraphRequestError ? problem.status : undefined;
  transport.notifyRetry({ method: "PUT", url: loop.uploadUrl, attempt: loop.failures, delayMs, status, error: problem }, run.o.onRetry);
  await sleep(delayMs, run.o.signal);
  return sessionStatus(run.ctx, loop.uploadUrl, run.o.signal, run.o.onRetry);
}

async function paceUpload(rate: number | undefined, pace: { since: number; bytes: number }, signal?: AbortSignal): Promise<void> {
  if (!rate) return;
  const due = pace.since + (pace.bytes / rate) * 1000;
  const wait = due - Date.now();
  if (wait > 0) await sleep(wait, signal);
}

/** The attachment id from the completion, or (when the server gave none) found among the task's attachments. */
async function completedId(run: Run, location: string | null | undefined, bodyId: string | undefined): Promise<{ attachmentId: string; location?: string }> {
  const id = attachmentIdFromLocation(location) ?? bodyId ?? (await findAttachment(run));
  if (!id) throw new TaskdropError("noAttachmentId", `The upload of ${run.name} completed, but the server named no attachment and none matches it.`);
  return { attachmentId: id, ...(location ? { location } : {}) };
}

/** After a lost final answer on a server that forgets completed sessions: the newest attachment with this name and size. */
async function findAttachment(run: Run): Promise<string | undefined> {
  const all = await run.ctx.listAttachments(run.o.listId, run.o.taskId, run.o.signal);
  const hits = all
    .filter((a) => a.name === run.name && a.size === run.size && (!a.lastModifiedDateTime || Date.parse(a.lastModifiedDateTime) >= run.startedAt))
    .sort((a, b) => Date.parse(b.lastModifiedDateTime ?? "") - Date.parse(a.lastModifiedDateTime ?? ""));
  return hits[0]?.id;
}

/**
 * The session answered 404. If the final range was sent, the upload may have completed on a server
 * that forgets finished sessions: look for the attachment. Otherwise the session expired or was cancelled.
 */
async function afterGone(run: Run, loop: RangeLoop, problem: unknown): Promise<{ attachmentId: string }> {
  if (loop.sentFinal) {
    const id = await findAttachment(run).catch(() => undefined);
    if (id) return { attachmentId: id };
  }
  throw new TaskdropError(
    "sessionGone",
    `The upload session for ${run.name} is gone (expired, cancelled or unknown): ${redactUrl(loop.uploadUrl)}. Start the upload again.`,
    { cause: problem },
  );
}
