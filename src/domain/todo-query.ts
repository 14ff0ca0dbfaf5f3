// What $filter and $orderby may name on each To Do collection, with its type (see query.ts). The
// task properties are those the issue and Graph's samples query; `body/content` and `recurrence`
// are left out (Graph documents no filter on them, and a scan of every body is what the stores'
// query columns exist to avoid). docs/differences.md lists what is not queryable.
import type { PropDef, PropType, QuerySchema } from "./query.js";

export const TASK_STATUS = ["notStarted", "inProgress", "completed", "waitingOnOthers", "deferred"] as const;
export const IMPORTANCE = ["low", "normal", "high"] as const;
export const WELLKNOWN_LIST_NAME = ["none", "defaultList", "flaggedEmails", "unknownFutureValue"] as const;

const t = (type: PropType, sortable = true): PropDef => ({ type, sortable });
const str = t({ kind: "string" });
const id = t({ kind: "id" });
const bool = t({ kind: "boolean" });
const dto = t({ kind: "dateTimeOffset" });
const local = t({ kind: "localDateTime" });
const zone = t({ kind: "string" });
const complex = t({ kind: "complex" }, false);

export const TASK_QUERY: QuerySchema = {
  typeName: "microsoft.graph.todoTask",
  props: {
    id,
    title: str,
    status: t({ kind: "enum", values: TASK_STATUS, typeName: "microsoft.graph.taskStatus" }),
    importance: t({ kind: "enum", values: IMPORTANCE, typeName: "microsoft.graph.importance" }),
    isReminderOn: bool,
    hasAttachments: bool,
    createdDateTime: dto,
    lastModifiedDateTime: dto,
    bodyLastModifiedDateTime: dto,
    "body/contentType": t({ kind: "enum", values: ["text", "html"], typeName: "microsoft.graph.bodyType" }),
    categories: t({ kind: "stringCollection" }, false),
    dueDateTime: complex,
    "dueDateTime/dateTime": local,
    "dueDateTime/timeZone": zone,
    startDateTime: complex,
    "startDateTime/dateTime": local,
    "startDateTime/timeZone": zone,
    completedDateTime: complex,
    "completedDateTime/dateTime": local,
    "completedDateTime/timeZone": zone,
    reminderDateTime: complex,
    "reminderDateTime/dateTime": local,
    "reminderDateTime/timeZone": zone,
  },
};

export const LIST_QUERY: QuerySchema = {
  typeName: "microsoft.graph.todoTaskList",
  props: {
    id,
    displayName: str,
    isOwner: bool,
    isShared: bool,
    wellknownListName: t({ kind: "enum", values: WELLKNOWN_LIST_NAME, typeName: "microsoft.graph.wellknownListName" }),
  },
};

/** Attachments and upload sessions are small per task: queried in memory over their views. */
export const ATTACHMENT_QUERY: QuerySchema = {
  typeName: "microsoft.graph.taskFileAttachment",
  props: { id, name: str, contentType: str, size: t({ kind: "number" }), lastModifiedDateTime: dto },
};

export const SESSION_QUERY: QuerySchema = {
  typeName: "microsoft.graph.attachmentSession",
  props: { id, expirationDateTime: dto },
};

/** A task's children are few (a hundred at most): queried in memory over their views. */
export const CHECKLIST_ITEM_QUERY: QuerySchema = {
  typeName: "microsoft.graph.checklistItem",
  props: { id, displayName: str, isChecked: bool, checkedDateTime: dto, createdDateTime: dto },
};

export const LINKED_RESOURCE_QUERY: QuerySchema = {
  typeName: "microsoft.graph.linkedResource",
  props: { id, webUrl: str, applicationName: str, displayName: str, externalId: str },
};

export const EXTENSION_QUERY: QuerySchema = {
  typeName: "microsoft.graph.openTypeExtension",
  props: { id, extensionName: str },
};
