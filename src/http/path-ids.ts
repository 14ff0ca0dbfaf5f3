// The one parser for ids in a route's path. Every route group's hook runs it on the route's params
// before the handler (and before any body is read), so a malformed id gets the same 400 on every
// route: `…/tasks/delta` and `…/tasks/delta/attachments` alike.
import { errors } from "../domain/errors.js";
import { requireId, type IdKind } from "../domain/ids.js";
import { extensionIdOf } from "../domain/task-children.js";

/**
 * Functions and segments Graph has where a list or task id would go (`lists/delta`, `tasks/delta`,
 * `lists/$count`, `tasks/$count`). Where a route serves one (routes/todo/delta.ts, the `$count`
 * routes) the router picks it before the id route; anywhere else
 * (`lists/delta/tasks`) it is an unknown segment (400 "Resource not found for the segment"), not a
 * malformed id.
 */
export const GRAPH_FUNCTIONS: ReadonlySet<string> = new Set(["delta", "$count"]);
const HAS_FUNCTIONS: ReadonlySet<IdKind> = new Set(["list", "task"]);

/** One id from the path: a Graph function name where one may stand is an unknown segment, else the id must be well-formed. */
export function pathId(kind: IdKind, raw: string): string {
  if (HAS_FUNCTIONS.has(kind) && GRAPH_FUNCTIONS.has(raw)) throw errors.unknownSegment(raw);
  return requireId(kind, raw);
}

/** The last segment of an uploadUrl: the session id, and the secret that makes the URL a capability. */
export interface UploadKey {
  sessionId: string;
  /** Absent when the path names the session by its id alone (as the sessions listing shows it). */
  secret: string | undefined;
}

const UPLOAD_SECRET = /^[A-Za-z0-9_-]{43}$/;
/** A session id's length: "AQMkS", 43 base64url characters, "=". */
const SESSION_ID_LENGTH = 49;

/**
 * `{sessionId}{secret}` as createUploadSession hands it out (the secret follows the id's closing `=`,
 * so the segment keeps the alphabet of an id), or a bare `{sessionId}`.
 */
export function parseUploadKey(raw: string): UploadKey {
  const sessionId = requireId("session", raw.slice(0, SESSION_ID_LENGTH));
  const secret = raw.length === SESSION_ID_LENGTH ? undefined : raw.slice(SESSION_ID_LENGTH);
  if (secret !== undefined && !UPLOAD_SECRET.test(secret)) throw errors.malformedId("The upload session id");
  return { sessionId, secret };
}

/** Route parameter name → its parser. A route may use no other parameter names (checked at start-up). */
const PARSERS: Readonly<Record<string, (raw: string) => unknown>> = {
  listId: (r) => pathId("list", r),
  taskId: (r) => pathId("task", r),
  attachmentId: (r) => pathId("attachment", r),
  checklistItemId: (r) => pathId("checklistItem", r),
  linkedResourceId: (r) => pathId("linkedResource", r),
  // An open extension is named by its extensionName or its id (`microsoft.graph.openTypeExtension.{name}`).
  extensionId: extensionIdOf,
  uploadKey: parseUploadKey,
  // `userId` (oid or UPN) is checked by the caller resolution, which knows who may name whom.
  userId: () => undefined,
};

export const isKnownParam = (name: string): boolean => Object.hasOwn(PARSERS, name);

/** Checks every parameter of a route, in path order (the first bad one is the one reported). */
export function checkPathIds(params: unknown): void {
  for (const [name, value] of Object.entries((params ?? {}) as Record<string, string>)) PARSERS[name]?.(value);
}
