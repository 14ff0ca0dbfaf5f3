// Who may act on an upload session through its uploadUrl, and what the owner may see of their
// sessions. The uploadUrl names owner, list, task and session; all of them must agree.
import type { Principal } from "../auth/principal.js";
import { errors } from "../domain/errors.js";
import type { UploadSession } from "../domain/models.js";
import type { Deps } from "./deps.js";
import { getTask } from "./tasks.js";
import { liveSession } from "./uploads.js";
import { findUser } from "./users.js";

/** The owner's sessions of a task that can still take bytes. */
export async function openSessions(d: Deps, owner: string, listId: string, taskId: string): Promise<UploadSession[]> {
  await getTask(d, owner, listId, taskId);
  const now = d.now().getTime();
  return (await d.store.sessions.forTask(owner, taskId)).filter((s) => s.status === "open" && new Date(s.expiresAt).getTime() > now);
}

export interface UploadUrlRequest {
  /** `/users/{userKey}` in the path (oid or UPN), or undefined for `/me`. */
  userKey: string | undefined;
  listId: string;
  taskId: string;
  sessionId: string;
  /** The verified token, when one was sent. */
  principal: Principal | undefined;
}

/**
 * The live session an uploadUrl request may act on: unknown, expired and cancelled sessions, and a
 * path naming another owner, list or task, are all "not found"; a token of anyone but the owner 403.
 */
export async function sessionForUploadUrl(d: Deps, r: UploadUrlRequest): Promise<UploadSession> {
  const session = await liveSession(d, r.sessionId);
  if (session.listId !== r.listId || session.taskId !== r.taskId) throw errors.notFound();
  if (r.userKey !== undefined && r.userKey.toLowerCase() !== session.ownerOid.toLowerCase()) {
    const owner = await findUser(d, r.userKey);
    if (!owner || owner.oid !== session.ownerOid) throw errors.notFound();
  }
  const p = r.principal;
  if (p && (p.kind !== "user" || p.oid !== session.ownerOid)) throw errors.accessDenied("This upload session belongs to another user.");
  return session;
}
