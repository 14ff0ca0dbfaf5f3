// Records → the JSON Graph clients see. Unset properties are omitted, not null.
import type { EntityShape } from "../domain/odata.js";
import { ATTACHMENT_QUERY, CHECKLIST_ITEM_QUERY, EXTENSION_QUERY, LINKED_RESOURCE_QUERY, LIST_QUERY, SESSION_QUERY, TASK_QUERY } from "../domain/todo-query.js";
import type { Attachment, ChildKind, ChildParent, Task, TaskChild, TaskList, UploadSession } from "../domain/models.js";
import { graphTimestamp } from "../domain/time.js";
import { nextExpectedRangesForPut, nextExpectedRangesForStatus } from "../domain/upload-session.js";

/** Where a resource lives: the parts every `@odata.context` and Location is built from. */
export interface UrlScope {
  base: string;
  version: string;
  ownerOid: string;
}

const enc = (s: string) => encodeURIComponent(s).replace(/'/g, "''");
const stamp = (iso: string) => graphTimestamp(new Date(iso));

export const etag = (changeKey: string) => `W/"${changeKey}"`;

export function contextUrl(s: UrlScope, tail: string): string {
  return `${s.base}/${s.version}/$metadata#users('${enc(s.ownerOid)}')/todo/${tail}`;
}

export const listsContext = (s: UrlScope) => contextUrl(s, "lists");
export const tasksContext = (s: UrlScope, listId: string) => contextUrl(s, `lists('${enc(listId)}')/tasks`);
export const attachmentsContext = (s: UrlScope, listId: string, taskId: string) =>
  contextUrl(s, `lists('${enc(listId)}')/tasks('${enc(taskId)}')/attachments`);
export const sessionsContext = (s: UrlScope, listId: string, taskId: string) =>
  contextUrl(s, `lists('${enc(listId)}')/tasks('${enc(taskId)}')/attachmentSessions`);

/** Delta pages are typed collections, not navigation paths (`$metadata#Collection(todoTask)`). */
export const deltaContext = (s: UrlScope, type: "todoTaskList" | "todoTask") => `${s.base}/${s.version}/$metadata#Collection(${type})`;

/** A deleted item in a delta page: its id and why it went (To Do deletions cannot be restored). */
export function removedView(id: string): Record<string, unknown> {
  return { id, "@removed": { reason: "deleted" } };
}

export const LIST_SHAPE: EntityShape = {
  typeName: "microsoft.graph.todoTaskList",
  properties: new Set(["id", "displayName", "isOwner", "isShared", "wellknownListName"]),
  query: LIST_QUERY,
  expandable: true,
};

export function listView(l: TaskList): Record<string, unknown> {
  return {
    "@odata.etag": etag(l.changeKey),
    displayName: l.displayName,
    isOwner: l.isOwner,
    isShared: l.isShared,
    wellknownListName: l.wellknownListName,
    id: l.id,
  };
}

export const TASK_SHAPE: EntityShape = {
  typeName: "microsoft.graph.todoTask",
  properties: new Set([
    "id", "title", "body", "importance", "status", "createdDateTime", "lastModifiedDateTime", "bodyLastModifiedDateTime",
    "completedDateTime", "dueDateTime", "startDateTime", "reminderDateTime", "recurrence", "isReminderOn", "hasAttachments", "categories",
  ]),
  query: TASK_QUERY,
  expandable: true,
};

export function taskView(t: Task): Record<string, unknown> {
  const d = t.doc;
  const v: Record<string, unknown> = {
    "@odata.etag": etag(t.changeKey),
    importance: d.importance,
    isReminderOn: d.isReminderOn,
    status: d.status,
    title: d.title,
    createdDateTime: stamp(t.createdAt),
    lastModifiedDateTime: stamp(t.lastModifiedAt),
    hasAttachments: t.attachmentCount > 0,
    categories: d.categories,
    id: t.id,
    body: d.body,
    bodyLastModifiedDateTime: stamp(d.bodyLastModifiedDateTime),
  };
  if (d.completedDateTime) v.completedDateTime = d.completedDateTime;
  if (d.dueDateTime) v.dueDateTime = d.dueDateTime;
  if (d.startDateTime) v.startDateTime = d.startDateTime;
  if (d.reminderDateTime) v.reminderDateTime = d.reminderDateTime;
  if (d.recurrence) v.recurrence = d.recurrence;
  return v;
}

export const ATTACHMENT_SHAPE: EntityShape = {
  typeName: "microsoft.graph.taskFileAttachment",
  properties: new Set(["id", "name", "contentType", "size", "lastModifiedDateTime"]),
  query: ATTACHMENT_QUERY,
};

export function attachmentView(a: Attachment): Record<string, unknown> {
  return {
    "@odata.type": "#microsoft.graph.taskFileAttachment",
    id: a.id,
    lastModifiedDateTime: stamp(a.lastModifiedAt),
    name: a.name,
    contentType: a.contentType,
    size: a.size,
  };
}

export const SESSION_SHAPE: EntityShape = {
  typeName: "microsoft.graph.attachmentSession",
  properties: new Set(["id", "expirationDateTime", "nextExpectedRanges"]),
  query: SESSION_QUERY,
};

/** The attachmentSession resource, as GET status and the sessions collection answer it (camelCase, `N-`). */
export function sessionView(s: UploadSession): Record<string, unknown> {
  return {
    id: s.id,
    expirationDateTime: stamp(s.expiresAt),
    nextExpectedRanges: nextExpectedRangesForStatus(s),
  };
}

/** GET on the uploadUrl: the attachmentSession resource with its context. */
export function sessionStatusView(scope: UrlScope, s: UploadSession): Record<string, unknown> {
  return { "@odata.context": `${scope.base}/${scope.version}/$metadata#microsoft.graph.attachmentSession`, ...sessionView(s) };
}

const uploadSessionContext = (scope: UrlScope) => `${scope.base}/${scope.version}/$metadata#microsoft.graph.uploadSession`;

/** createUploadSession's answer: where to PUT, until when, from offset 0. */
export function uploadSessionCreatedView(scope: UrlScope, s: UploadSession, url: string): Record<string, unknown> {
  return { "@odata.context": uploadSessionContext(scope), uploadUrl: url, expirationDateTime: stamp(s.expiresAt), nextExpectedRanges: ["0-"] };
}

/**
 * A PUT's intermediate answer, as Graph gives it: PascalCase, bare offsets, and no `id` (the JS SDK
 * takes a body with an id for completion). `camel` (--session-casing camel) is for the Java and Kiota SDKs.
 */
export function uploadProgressView(scope: UrlScope, s: UploadSession, camel: boolean): Record<string, unknown> {
  const expiration = stamp(s.expiresAt);
  const next = nextExpectedRangesForPut(s);
  return {
    "@odata.context": uploadSessionContext(scope),
    ...(camel ? { expirationDateTime: expiration, nextExpectedRanges: next } : { ExpirationDateTime: expiration, NextExpectedRanges: next }),
  };
}

/**
 * An id as a path segment. Graph prints ids raw in uploadUrl and Location (`…/Attachments('AAMk…=')`),
 * and clients cut the attachment id out of Location, so `=` (legal in a path) stays as it is;
 * anything else unsafe is percent-encoded. (`@odata.context` does encode `=`, as Graph does.)
 */
const seg = (id: string) => encodeURIComponent(id).replace(/%3D/g, "=");

/** Path of a resource under the owner's To Do, as used in uploadUrl and Location. */
export function ownerPath(s: UrlScope): string {
  return `${s.base}/${s.version}/users/${seg(s.ownerOid)}/todo`;
}

/** Location of a list (and, with a task id, of a task). */
export function resourceLocation(s: UrlScope, listId: string, taskId?: string): string {
  return `${ownerPath(s)}/lists/${seg(listId)}${taskId === undefined ? "" : `/tasks/${seg(taskId)}`}`;
}

export function attachmentLocation(s: UrlScope, listId: string, taskId: string, attachmentId: string): string {
  return `${ownerPath(s)}/lists/${seg(listId)}/tasks/${seg(taskId)}/Attachments('${seg(attachmentId)}')`;
}

/** The uploadUrl; `key` is `{sessionId}{secret}` (see services/upload-access.ts). */
export function uploadUrl(s: UrlScope, listId: string, taskId: string, key: string): string {
  return `${ownerPath(s)}/lists/${seg(listId)}/tasks/${seg(taskId)}/attachmentSessions/${seg(key)}`;
}

/** The navigation property each child kind is served under. */
export const CHILD_SEGMENT: Record<ChildKind, string> = { checklistItem: "checklistItems", linkedResource: "linkedResources", extension: "extensions" };

/** A child's parent path under the owner's To Do: `lists('…')/tasks('…')` or `lists('…')` for a list's extensions. */
const parentTail = (p: ChildParent) => `lists('${enc(p.listId)}')${p.taskId === "" ? "" : `/tasks('${enc(p.taskId)}')`}`;

export const childrenContext = (s: UrlScope, p: ChildParent, kind: ChildKind) => contextUrl(s, `${parentTail(p)}/${CHILD_SEGMENT[kind]}`);

export function childLocation(s: UrlScope, c: TaskChild): string {
  const parent = `${ownerPath(s)}/lists/${seg(c.listId)}${c.taskId === "" ? "" : `/tasks/${seg(c.taskId)}`}`;
  return `${parent}/${CHILD_SEGMENT[c.kind]}/${seg(c.id)}`;
}

export const CHILD_SHAPES: Record<ChildKind, EntityShape> = {
  checklistItem: { typeName: "microsoft.graph.checklistItem", properties: new Set(["id", "displayName", "isChecked", "checkedDateTime", "createdDateTime"]), query: CHECKLIST_ITEM_QUERY },
  linkedResource: { typeName: "microsoft.graph.linkedResource", properties: new Set(["id", "webUrl", "applicationName", "displayName", "externalId"]), query: LINKED_RESOURCE_QUERY },
  extension: { typeName: "microsoft.graph.openTypeExtension", properties: new Set(["id", "extensionName"]), query: EXTENSION_QUERY },
};

/** A child as Graph shows it: an extension's custom properties exactly as they were sent. */
export function childView(c: TaskChild): Record<string, unknown> {
  const d = c.doc;
  if (c.kind === "checklistItem") {
    const v: Record<string, unknown> = { displayName: d.displayName, createdDateTime: stamp(c.createdAt), isChecked: d.isChecked, id: c.id };
    if (typeof d.checkedDateTime === "string") v.checkedDateTime = stamp(d.checkedDateTime);
    return v;
  }
  if (c.kind === "linkedResource") {
    const v: Record<string, unknown> = { id: c.id };
    for (const k of ["webUrl", "applicationName", "displayName", "externalId"]) if (d[k] !== undefined) v[k] = d[k];
    return v;
  }
  return { "@odata.type": "#microsoft.graph.openTypeExtension", id: c.id, ...d };
}
