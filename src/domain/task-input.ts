// Validation of todoTask and todoTaskList bodies (POST and PATCH): pure, strict, with messages
// that name the property. Unknown and read-only properties are refused, as the spec says; a PATCH
// body first goes through patchBody (annotations and unchanged read-only values dropped, as Graph does).
import { errors } from "./errors.js";
import type { DateTimeTimeZone, Importance, ItemBody, PatternedRecurrence, Task, TaskDoc, TaskList, TaskStatus } from "./models.js";
import { listReadOnly, patchBody, taskReadOnly } from "./patch-body.js";
import { dateTimeTimeZoneUtc, normaliseDateTime } from "./time.js";

export const MAX_TITLE = 255;
export const MAX_BODY_CONTENT = 65_536;
export const MAX_CATEGORIES = 25;
export const MAX_TIME_ZONE = 100;

const IMPORTANCE: readonly Importance[] = ["low", "normal", "high"];
const STATUS: readonly TaskStatus[] = ["notStarted", "inProgress", "completed", "waitingOnOthers", "deferred"];
const TASK_READ_ONLY = new Set(["id", "createdDateTime", "lastModifiedDateTime", "bodyLastModifiedDateTime", "hasAttachments", "@odata.etag", "@odata.context"]);
const TASK_WRITABLE = new Set(["title", "body", "importance", "status", "isReminderOn", "categories", "dueDateTime", "startDateTime", "reminderDateTime", "completedDateTime", "recurrence"]);
const LIST_READ_ONLY = new Set(["id", "isOwner", "isShared", "wellknownListName", "@odata.etag", "@odata.context"]);
const NAV_PROPERTIES = new Set(["attachments", "checklistItems", "linkedResources", "extensions", "attachmentSessions", "tasks"]);

export function requireObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw errors.invalid("The request body must be a JSON object.");
  return body as Record<string, unknown>;
}

function checkKeys(o: Record<string, unknown>, writable: Set<string>, readOnly: Set<string>, type: string, odataType: string): void {
  for (const k of Object.keys(o)) {
    if (k === "@odata.type") {
      if (o[k] !== odataType && o[k] !== odataType.slice(1)) throw errors.invalid(`@odata.type must be '${odataType}'.`);
      continue;
    }
    if (readOnly.has(k)) throw errors.invalid(`The property '${k}' is read-only and cannot be set.`);
    if (NAV_PROPERTIES.has(k)) throw errors.invalid(`The navigation property '${k}' cannot be set on ${type} here.`);
    if (!writable.has(k)) throw errors.invalid(`The property '${k}' does not exist on type '${type}'.`);
  }
}

export function text(name: string, v: unknown, max: number, allowEmpty = true): string {
  if (typeof v !== "string") throw errors.invalid(`The property '${name}' must be a string.`);
  if (!allowEmpty && v.trim() === "") throw errors.invalid(`The property '${name}' must not be empty.`);
  if (v.length > max) throw errors.invalid(`The property '${name}' is longer than ${max} characters.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v)) throw errors.invalid(`The property '${name}' contains control characters.`);
  return v;
}

function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== "string" || !allowed.includes(v as T)) throw errors.invalid(`The property '${name}' must be one of: ${allowed.join(", ")}.`);
  return v as T;
}

const ZONE_SUFFIX = /(?:Z|[+-]\d{2}:\d{2})$/i;
const UTC_SUFFIX = /(?:Z|[+-]00:00)$/i;
const UTC_NAMES = new Set(["utc", "etc/utc"]);

function dateTimeTimeZone(name: string, v: unknown): DateTimeTimeZone {
  const o = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  if (!o) throw errors.invalid(`The property '${name}' must be a dateTimeTimeZone object.`);
  for (const k of Object.keys(o)) {
    if (k !== "dateTime" && k !== "timeZone" && k !== "@odata.type") throw errors.invalid(`The property '${name}.${k}' does not exist.`);
  }
  if (typeof o.dateTime !== "string") throw errors.invalid(`'${name}.dateTime' is required.`);
  const timeZone = text(`${name}.timeZone`, o.timeZone ?? "UTC", MAX_TIME_ZONE, false);
  let local = o.dateTime;
  // Clients often send `toISOString()` output. A UTC designator says the same as timeZone "UTC", so
  // it is accepted there; with another zone or offset the wall time would need converting, which
  // Taskdrop does not do, so it refuses rather than store a shifted time.
  if (ZONE_SUFFIX.test(local)) {
    if (!UTC_SUFFIX.test(local) || !UTC_NAMES.has(timeZone.toLowerCase())) {
      throw errors.invalid(`'${name}.dateTime' carries a zone offset; give the local time without one and its zone in '${name}.timeZone' (a 'Z' is accepted with timeZone 'UTC').`);
    }
    local = local.replace(UTC_SUFFIX, "");
  }
  const dateTime = normaliseDateTime(local);
  if (!dateTime) throw errors.invalid(`'${name}.dateTime' is not a valid date and time (yyyy-MM-ddTHH:mm:ss.fffffff).`);
  return { dateTime, timeZone };
}

function itemBody(v: unknown, current: ItemBody | undefined): ItemBody {
  const o = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  if (!o) throw errors.invalid("The property 'body' must be an itemBody object.");
  for (const k of Object.keys(o)) {
    if (k !== "content" && k !== "contentType" && k !== "@odata.type") throw errors.invalid(`The property 'body.${k}' does not exist.`);
  }
  return {
    content: o.content === undefined ? (current?.content ?? "") : text("body.content", o.content, MAX_BODY_CONTENT),
    contentType: o.contentType === undefined ? (current?.contentType ?? "text") : oneOf("body.contentType", o.contentType, ["text", "html"] as const),
  };
}

const PATTERN_TYPES = ["daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly"];
const RANGE_TYPES = ["endDate", "noEnd", "numbered"];

function recurrence(v: unknown): PatternedRecurrence {
  const o = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const pattern = o?.pattern as Record<string, unknown> | undefined;
  const range = o?.range as Record<string, unknown> | undefined;
  if (!o || !pattern || typeof pattern !== "object" || !range || typeof range !== "object") {
    throw errors.invalid("The property 'recurrence' must have 'pattern' and 'range' objects.");
  }
  if (!PATTERN_TYPES.includes(pattern.type as string)) throw errors.invalid(`'recurrence.pattern.type' must be one of: ${PATTERN_TYPES.join(", ")}.`);
  if (pattern.interval !== undefined && (!Number.isInteger(pattern.interval) || (pattern.interval as number) < 1 || (pattern.interval as number) > 99)) {
    throw errors.invalid("'recurrence.pattern.interval' must be an integer from 1 to 99.");
  }
  if (range.type !== undefined && !RANGE_TYPES.includes(range.type as string)) throw errors.invalid(`'recurrence.range.type' must be one of: ${RANGE_TYPES.join(", ")}.`);
  for (const d of ["startDate", "endDate"]) {
    if (range[d] !== undefined && range[d] !== null && !/^\d{4}-\d{2}-\d{2}$/.test(String(range[d]))) throw errors.invalid(`'recurrence.range.${d}' must be a date (yyyy-MM-dd).`);
  }
  if (JSON.stringify(o).length > 4096) throw errors.invalid("The property 'recurrence' is too large.");
  return { pattern, range };
}

function categories(v: unknown): string[] {
  if (!Array.isArray(v)) throw errors.invalid("The property 'categories' must be an array of strings.");
  if (v.length > MAX_CATEGORIES) throw errors.invalid(`The property 'categories' may hold at most ${MAX_CATEGORIES} entries.`);
  return v.map((c, i) => text(`categories[${i}]`, c, MAX_TITLE, false));
}

const OPTIONAL_DATES = ["dueDateTime", "startDateTime", "reminderDateTime", "completedDateTime"] as const;

/** Applies a POST (from nothing) or PATCH (onto `current`) body; returns the new document. */
export function applyTaskInput(body: unknown, current: TaskDoc | undefined, now: Date): TaskDoc {
  const o = requireObject(body);
  checkKeys(o, TASK_WRITABLE, TASK_READ_ONLY, "microsoft.graph.todoTask", "#microsoft.graph.todoTask");
  const nowIso = now.toISOString();
  const doc: TaskDoc = current
    ? structuredClone(current)
    : { title: "", body: { content: "", contentType: "text" }, importance: "normal", status: "notStarted", isReminderOn: false, categories: [], bodyLastModifiedDateTime: nowIso };
  if (!current && o.title === undefined) throw errors.invalid("The property 'title' is required.");
  if (o.title !== undefined) doc.title = text("title", o.title, MAX_TITLE);
  if (o.body !== undefined) {
    const next = itemBody(o.body, current?.body);
    if (current && (next.content !== current.body.content || next.contentType !== current.body.contentType)) doc.bodyLastModifiedDateTime = nowIso;
    doc.body = next;
  }
  if (o.importance !== undefined) doc.importance = oneOf("importance", o.importance, IMPORTANCE);
  const wasCompleted = current?.status === "completed";
  if (o.status !== undefined) doc.status = oneOf("status", o.status, STATUS);
  if (o.isReminderOn !== undefined) {
    if (typeof o.isReminderOn !== "boolean") throw errors.invalid("The property 'isReminderOn' must be true or false.");
    doc.isReminderOn = o.isReminderOn;
  }
  if (o.categories !== undefined) doc.categories = categories(o.categories);
  for (const k of OPTIONAL_DATES) {
    if (o[k] === undefined) continue;
    if (o[k] === null) delete doc[k];
    else doc[k] = dateTimeTimeZone(k, o[k]);
  }
  if (o.reminderDateTime !== undefined && o.isReminderOn === undefined) doc.isReminderOn = o.reminderDateTime !== null;
  if (o.recurrence !== undefined) {
    if (o.recurrence === null) delete doc.recurrence;
    else doc.recurrence = recurrence(o.recurrence);
  }
  // Completion: entering `completed` stamps completedDateTime unless the client gave one; leaving it
  // clears it. A whole object sent back carries the old completedDateTime: unchanged, it is not "given".
  const givenCompleted = o.completedDateTime !== undefined && !(current && sameDateTimeTimeZone(doc.completedDateTime, current.completedDateTime));
  if (doc.status === "completed" && !wasCompleted && !givenCompleted) doc.completedDateTime = dateTimeTimeZoneUtc(now);
  if (doc.status !== "completed" && wasCompleted && !givenCompleted) delete doc.completedDateTime;
  return doc;
}

function sameDateTimeTimeZone(a: DateTimeTimeZone | undefined, b: DateTimeTimeZone | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.dateTime === b.dateTime && a.timeZone === b.timeZone);
}

/** A task PATCH onto the stored task `cur`: the body as Graph accepts it (patchBody), then applied. */
export function applyTaskPatch(body: unknown, cur: Task, now: Date): TaskDoc {
  return applyTaskInput(patchBody(body, taskReadOnly(cur)), cur.doc, now);
}

/** Applies a list POST or PATCH body; returns the display name. */
export function applyListInput(body: unknown, creating: boolean): { displayName: string } {
  const o = requireObject(body);
  checkKeys(o, new Set(["displayName"]), LIST_READ_ONLY, "microsoft.graph.todoTaskList", "#microsoft.graph.todoTaskList");
  if (o.displayName === undefined) {
    if (creating) throw errors.invalid("The property 'displayName' is required.");
    throw errors.invalid("Nothing to change: only 'displayName' can be updated.");
  }
  return { displayName: text("displayName", o.displayName, MAX_TITLE, false) };
}

/** A list PATCH onto the stored list `cur`: the body as Graph accepts it (patchBody), then checked. */
export function applyListPatch(body: unknown, cur: TaskList): { displayName: string } {
  return applyListInput(patchBody(body, listReadOnly(cur)), false);
}
