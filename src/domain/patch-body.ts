// What a PATCH body may carry besides the properties it changes, for every resource under /todo.
// Clients GET an entity, change a property and PATCH the whole object back (the Graph Toolkit's
// <mgt-todo> does exactly this), so, as Graph does (docs/graph-behaviour.md, "PATCH bodies"):
// - instance annotations (`@odata.context`, `@odata.etag`, `@odata.id`, `@any.term`) and property
//   annotations (`title@any.term`) say nothing about the new state and are dropped; `@odata.type`
//   stays for the resource's own check, and `…@odata.bind` stays so that it is refused (a binding is a
//   navigation write, not an annotation);
// - a read-only property sent with its current value is a no-op and dropped; with another value it
//   is refused, naming the property.
// Unknown properties are left in, so the resource's own validation refuses them as before.
import { errors } from "./errors.js";
import type { Task, TaskChild, TaskList } from "./models.js";

/** The current value of each read-only property of a resource; `undefined` where it is unset. */
export type ReadOnlyValues = Readonly<Record<string, string | boolean | undefined>>;

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * Whether `sent` says the same as the current value `now`. Timestamps are compared as instants, since
 * a client may print the one it read in another form (`…38Z`, `…38.0000000Z`, `…38+00:00`); `null`
 * says the same as an unset value.
 */
export function sameReadOnlyValue(sent: unknown, now: string | boolean | undefined): boolean {
  if (now === undefined) return sent === null;
  if (sent === now) return true;
  if (typeof sent !== "string" || typeof now !== "string" || !INSTANT.test(sent) || !INSTANT.test(now)) return false;
  const a = Date.parse(sent);
  return !Number.isNaN(a) && a === Date.parse(now);
}

function isDroppedAnnotation(k: string): boolean {
  if (k === "@odata.type") return false;
  if (k.startsWith("@")) return true;
  const at = k.indexOf("@");
  return at > 0 && !k.endsWith("@odata.bind");
}

/**
 * The body a PATCH's own validation then sees: annotations and unchanged read-only properties
 * dropped. Throws 400 for a body that is not an object and for a read-only property whose value
 * differs from the current one.
 */
export function patchBody(body: unknown, readOnly: ReadOnlyValues): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw errors.invalid("The request body must be a JSON object.");
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (isDroppedAnnotation(k)) continue;
    if (Object.hasOwn(readOnly, k)) {
      if (sameReadOnlyValue(v, readOnly[k])) continue;
      throw errors.invalid(`The property '${k}' is read-only and cannot be set; it may be sent back only with its current value.`);
    }
    out[k] = v;
  }
  return out;
}

/** A todoTask's read-only properties as its representation gives them (timestamps as instants). */
export function taskReadOnly(t: Task): ReadOnlyValues {
  return {
    id: t.id,
    createdDateTime: t.createdAt,
    lastModifiedDateTime: t.lastModifiedAt,
    bodyLastModifiedDateTime: t.doc.bodyLastModifiedDateTime,
    hasAttachments: t.attachmentCount > 0,
  };
}

/** A todoTaskList's read-only properties. */
export function listReadOnly(l: TaskList): ReadOnlyValues {
  return { id: l.id, isOwner: l.isOwner, isShared: l.isShared, wellknownListName: l.wellknownListName };
}

/** A checklistItem's, linkedResource's or open extension's read-only properties. */
export function childReadOnly(c: TaskChild): ReadOnlyValues {
  if (c.kind !== "checklistItem") return { id: c.id };
  const checked = c.doc.checkedDateTime;
  return { id: c.id, createdDateTime: c.createdAt, checkedDateTime: typeof checked === "string" ? checked : undefined };
}
