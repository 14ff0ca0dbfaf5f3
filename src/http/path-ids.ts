// The one parser for ids in a route's path. Every route group's hook runs it on the route's params
// before the handler (and before any body is read), so a malformed id gets the same 400 on every
// route: `…/tasks/delta` and `…/tasks/delta/attachments` alike.
import { errors } from "../domain/errors.js";
import { requireId, type IdKind } from "../domain/ids.js";

/** Route parameter name → the kind of id it holds. A route may use no other parameter names. */
export const ID_PARAMS: Readonly<Record<string, IdKind>> = { listId: "list", taskId: "task", attachmentId: "attachment", sessionId: "session" };

/** Parameters that are not ids: `userId` is checked by the caller resolution (oid or UPN). */
export const OTHER_PARAMS: ReadonlySet<string> = new Set(["userId"]);

/**
 * Functions Graph has where a list or task id would go (`lists/delta`, `tasks/delta`). Until a route
 * serves one, it is an unknown segment (400 "Resource not found for the segment"), not a malformed id.
 */
export const GRAPH_FUNCTIONS: ReadonlySet<string> = new Set(["delta"]);
const HAS_FUNCTIONS: ReadonlySet<IdKind> = new Set(["list", "task"]);

/** One id from the path: a Graph function name where one may stand is an unknown segment, else the id must be well-formed. */
export function pathId(kind: IdKind, raw: string): string {
  if (HAS_FUNCTIONS.has(kind) && GRAPH_FUNCTIONS.has(raw)) throw errors.unknownSegment(raw);
  return requireId(kind, raw);
}

/** Checks every id parameter of a route, in path order (the first bad one is the one reported). */
export function checkPathIds(params: unknown): void {
  for (const [name, value] of Object.entries((params ?? {}) as Record<string, string>)) {
    const kind = ID_PARAMS[name];
    if (kind !== undefined) pathId(kind, value);
  }
}
