// Upload sessions: create, PUT a byte range, status, cancel. One writer per session (the store's
// lease); a range is streamed, made durable and committed together with its offset, or not at all.
import { ensureFreeDisk, ensureRoomToCreate } from "./disk-room.js";
import type { Readable } from "node:stream";
import { parseAttachmentInfo } from "../domain/attachment-info.js";
import { parseContentLength, parseContentRange } from "../domain/content-range.js";
import { errors } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import type { Attachment, UploadSession } from "../domain/models.js";
import { decidePut } from "../domain/upload-session.js";
import { drain, guardBody, parseContentDigest, sha256Of } from "./body-guard.js";
import type { Deps } from "./deps.js";
import { sessionFingerprint } from "../log.js";
import { getTask } from "./tasks.js";
import { takeUploadSlot } from "./upload-slots.js";

export async function createSession(d: Deps, owner: string, listId: string, taskId: string, body: unknown): Promise<UploadSession> {
  await getTask(d, owner, listId, taskId);
  const info = parseAttachmentInfo(body);
  const now = d.now();
  const s: UploadSession = {
    id: newId("session"),
    ownerOid: owner,
    listId,
    taskId,
    name: info.name,
    contentType: info.contentType,
    size: info.size,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + d.config.sessionTtlSeconds * 1000).toISOString(),
    lastRange: null,
    status: "open",
    committed: 0,
  };
  await ensureRoomToCreate(d, s.size);
  await d.store.sessions.create(s, d.config.maxOpenSessionsPerUser, d.config.maxStagedBytes);
  return s;
}

/** A live session by id: unknown, expired and cancelled sessions are all "not found". */
export async function liveSession(d: Deps, id: string): Promise<UploadSession> {
  const s = await d.store.sessions.get(id);
  if (!s || new Date(s.expiresAt).getTime() <= d.now().getTime()) throw errors.notFound();
  return s;
}

export interface PutHeaders {
  contentRange: string | undefined;
  contentLength: string | undefined;
  contentType: string | undefined;
  transferEncoding: string | undefined;
  contentDigest: string | undefined;
}

export type PutOutcome = { kind: "progress"; session: UploadSession } | { kind: "completed"; session: UploadSession & { status: "completed" } };

function checkContentType(ct: string | undefined): void {
  if (ct === undefined || ct.trim() === "") return; // Decision: a missing Content-Type is accepted.
  const type = ct.split(";")[0]!.trim().toLowerCase();
  if (type !== "application/octet-stream") {
    throw errors.unsupportedMediaType(`Upload ranges must be sent as 'Content-Type: application/octet-stream', not '${type.slice(0, 100)}'.`);
  }
}

function outcome(s: UploadSession): PutOutcome {
  return s.status === "completed" ? { kind: "completed", session: s } : { kind: "progress", session: s };
}

/** `session` is the live session as the caller found it (its owner takes the upload slot). */
export async function putRange(d: Deps, session: Pick<UploadSession, "id" | "ownerOid">, h: PutHeaders, body: Readable): Promise<PutOutcome> {
  checkContentType(h.contentType);
  if (h.transferEncoding !== undefined && h.contentLength === undefined) throw errors.lengthRequired();
  const contentLength = parseContentLength(h.contentLength);
  if (contentLength === undefined) throw errors.lengthRequired();
  const range = parseContentRange(h.contentRange);
  const expectedDigest = parseContentDigest(h.contentDigest);

  // One user's uploads in flight are bounded (and each has a deadline, see guardBody), so no one
  // user's slow or many PUTs can hold what everyone's uploads need.
  const slot = takeUploadSlot(d, session.ownerOid);
  try {
    return await putLeased(d, session.id, body, contentLength, range, expectedDigest);
  } finally {
    slot.release();
  }
}

async function putLeased(
  d: Deps,
  sessionId: string,
  body: Readable,
  contentLength: number,
  range: ReturnType<typeof parseContentRange>,
  expectedDigest: string | undefined,
): Promise<PutOutcome> {
  const lease = await d.store.sessions.lease(sessionId);
  if (!lease) throw errors.conflict();
  try {
    const s = await liveSession(d, sessionId);
    const decision = decidePut(s, range, contentLength, d.config.rangeLimit);
    // The range's own hash only when something compares it; the store hashes the object anyway.
    const guarded = guardBody(body, contentLength, d.config.bodyIdleTimeoutMs, {
      hash: expectedDigest !== undefined || decision.action === "replay",
      minRate: d.config.minUploadRate,
    });
    const checkDigest = () => {
      if (expectedDigest !== undefined && guarded.digest().toString("base64") !== expectedDigest) {
        throw errors.invalidUpload("The body does not match its Content-Digest; nothing was committed.");
      }
    };

    if (decision.action === "replay") {
      await drain(guarded);
      checkDigest();
      const stored = await sha256Of(await d.store.sessions.readCommitted(sessionId, decision.range.start, decision.range.end));
      if (!stored.equals(guarded.digest())) {
        throw errors.invalidRange(
          `Bytes ${decision.range.start}-${decision.range.end} were already committed with different content; the next expected offset is ${s.committed}.`,
        );
      }
      return outcome(s);
    }

    const start = decision.action === "write" ? decision.start : 0;
    const length = decision.action === "write" ? decision.length : 0;
    const final = decision.action === "complete-empty" || decision.final;
    await ensureFreeDisk(d, length); // before the body's first byte is written
    const committed = await lease.writeRange({
      offset: start,
      length,
      body: guarded,
      final,
      plan: (objectSha256) => {
        checkDigest();
        const lastRange = { start, end: start + length - 1 };
        if (!final) return { lastRange, attachment: null };
        const now = d.now().toISOString();
        const attachment: Attachment = {
          id: newId("attachment"),
          ownerOid: s.ownerOid,
          listId: s.listId,
          taskId: s.taskId,
          name: s.name,
          contentType: s.contentType,
          size: s.size,
          sha256: objectSha256!,
          createdAt: now,
          lastModifiedAt: now,
        };
        return { lastRange, attachment };
      },
    });
    d.log.debug({ event: "range_committed", session: sessionFingerprint(sessionId), start, length, final }, "range committed");
    return outcome(committed);
  } finally {
    await lease.release();
  }
}

export async function cancelSession(d: Deps, id: string): Promise<void> {
  await liveSession(d, id);
  if (!(await d.store.sessions.delete(id))) throw errors.notFound();
}
