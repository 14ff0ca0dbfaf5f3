// Who may act on an upload session through its uploadUrl, and what the owner may see of their
// sessions.
//
// The rule: read access never yields write power. The sessions listing (read access) shows session
// ids; the uploadUrl createUploadSession hands out carries, beside the id, a secret derived from it
// with a server key, which nothing but createUploadSession ever shows. That secret is the capability
// (Graph's uploadUrl works without Authorization and Microsoft's SDKs send none there). A request
// naming the session by its id alone must carry a token. Whenever a token is sent it is held to its
// own rights: the owner's, with write access for PUT/DELETE.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { requireAccess, type Access, type Principal } from "../auth/principal.js";
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

// One key per store, shared by every instance on it (a PostgreSQL deployment) and kept across restarts.
const keys = new WeakMap<object, Promise<Buffer>>();

function uploadUrlKey(d: Deps): Promise<Buffer> {
  let k = keys.get(d.store);
  if (!k) {
    k = d.store.settings.getOrCreate("upload-url-key", () => randomBytes(32).toString("base64")).then((v) => Buffer.from(v, "base64"));
    k.catch(() => keys.delete(d.store));
    keys.set(d.store, k);
  }
  return k;
}

/** The uploadUrl's secret for a session: 256 bits, base64url (43 characters). */
export async function uploadSecret(d: Deps, sessionId: string): Promise<string> {
  return createHmac("sha256", await uploadUrlKey(d)).update(`upload-url\n${sessionId}`).digest("base64url");
}

async function secretHolds(d: Deps, sessionId: string, given: string): Promise<boolean> {
  const want = Buffer.from(await uploadSecret(d, sessionId));
  const got = Buffer.from(given);
  return got.length === want.length && timingSafeEqual(got, want);
}

export interface UploadUrlRequest {
  /** `/users/{userKey}` in the path (oid or UPN), or undefined for `/me`. */
  userKey: string | undefined;
  listId: string;
  taskId: string;
  sessionId: string;
  /** The uploadUrl's secret, when the path carries it. */
  secret: string | undefined;
  /** The verified token, when one was sent; required when there is no secret. */
  principal: Principal | undefined;
  /** read for GET status, write for PUT and DELETE. */
  access: Access;
}

/**
 * The live session an uploadUrl request may act on: unknown, expired and cancelled sessions, a wrong
 * secret, and a path naming another owner, list or task are all "not found"; a token of anyone but
 * the owner, or one without the access the method needs, is 403.
 */
export async function sessionForUploadUrl(d: Deps, r: UploadUrlRequest): Promise<UploadSession> {
  // The caller (the HTTP layer) has already answered 401 to a request with neither secret nor token.
  if (r.secret === undefined && r.principal === undefined) throw errors.unauthenticated();
  const session = await liveSession(d, r.sessionId);
  if (session.listId !== r.listId || session.taskId !== r.taskId) throw errors.notFound();
  if (r.secret !== undefined && !(await secretHolds(d, session.id, r.secret))) throw errors.notFound();
  if (r.userKey !== undefined && r.userKey.toLowerCase() !== session.ownerOid.toLowerCase()) {
    const owner = await findUser(d, r.userKey);
    if (!owner || owner.oid !== session.ownerOid) throw errors.notFound();
  }
  const p = r.principal;
  if (p) {
    if (p.kind !== "user" || p.oid !== session.ownerOid) throw errors.accessDenied("This upload session belongs to another user.");
    requireAccess(p, r.access);
  }
  return session;
}
