// The part of Graph's entity model Taskdrop serves, as data: what `$metadata` describes and what
// `@odata.context` points into. Names, types and nullability follow Microsoft's v1.0 metadata
// (msgraph-metadata, clean_v10_metadata/cleanMetadata.xml); only the types the To Do routes reach are
// here, and `user` carries only its `todo` navigation (Graph's has hundreds of members).

/** A property's type: an Edm primitive, one of the types below, or a collection of either. */
export type EdmTypeRef = string;

export interface EdmProperty {
  name: string;
  type: EdmTypeRef;
  /** Graph declares value-typed members Nullable="false"; everything else may be null. */
  nullable?: false;
}

export interface EdmNavigation {
  name: string;
  type: EdmTypeRef;
  /** Contained children (addressed through their parent), as every To Do navigation is. */
  contains: true;
}

export interface EdmEntityType {
  kind: "entity";
  name: string;
  base?: string;
  abstract?: true;
  open?: true;
  /** The entity has a media stream (attachments' `$value`). */
  hasStream?: true;
  properties: EdmProperty[];
  navigations?: EdmNavigation[];
}

export interface EdmComplexType {
  kind: "complex";
  name: string;
  properties: EdmProperty[];
}

export interface EdmEnumType {
  kind: "enum";
  name: string;
  members: string[];
}

export interface EdmOperation {
  kind: "function" | "action";
  name: string;
  /** The collection type the operation is bound to. */
  boundTo: EdmTypeRef;
  parameters: EdmProperty[];
  returns: EdmTypeRef;
}

export type EdmSchemaElement = EdmEntityType | EdmComplexType | EdmEnumType | EdmOperation;

export const NAMESPACE = "microsoft.graph";
export const ALIAS = "graph";

const p = (name: string, type: EdmTypeRef, nullable?: false): EdmProperty => (nullable === false ? { name, type, nullable } : { name, type });
const contained = (name: string, type: EdmTypeRef): EdmNavigation => ({ name, type, contains: true });
const enumOf = (name: string, ...members: string[]): EdmEnumType => ({ kind: "enum", name, members });

export const TODO_SCHEMA: readonly EdmSchemaElement[] = [
  enumOf("attachmentType", "file", "item", "reference"),
  enumOf("bodyType", "text", "html"),
  enumOf("dayOfWeek", "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"),
  enumOf("importance", "low", "normal", "high"),
  enumOf("recurrencePatternType", "daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly"),
  enumOf("recurrenceRangeType", "endDate", "noEnd", "numbered"),
  enumOf("taskStatus", "notStarted", "inProgress", "completed", "waitingOnOthers", "deferred"),
  enumOf("weekIndex", "first", "second", "third", "fourth", "last"),
  enumOf("wellknownListName", "none", "defaultList", "flaggedEmails", "unknownFutureValue"),

  { kind: "complex", name: "attachmentInfo", properties: [p("attachmentType", "graph.attachmentType"), p("contentType", "Edm.String"), p("name", "Edm.String"), p("size", "Edm.Int64")] },
  { kind: "complex", name: "dateTimeTimeZone", properties: [p("dateTime", "Edm.String", false), p("timeZone", "Edm.String")] },
  { kind: "complex", name: "itemBody", properties: [p("content", "Edm.String"), p("contentType", "graph.bodyType")] },
  { kind: "complex", name: "patternedRecurrence", properties: [p("pattern", "graph.recurrencePattern"), p("range", "graph.recurrenceRange")] },
  {
    kind: "complex",
    name: "recurrencePattern",
    properties: [
      p("dayOfMonth", "Edm.Int32", false),
      p("daysOfWeek", "Collection(graph.dayOfWeek)"),
      p("firstDayOfWeek", "graph.dayOfWeek"),
      p("index", "graph.weekIndex"),
      p("interval", "Edm.Int32", false),
      p("month", "Edm.Int32", false),
      p("type", "graph.recurrencePatternType"),
    ],
  },
  {
    kind: "complex",
    name: "recurrenceRange",
    properties: [p("endDate", "Edm.Date"), p("numberOfOccurrences", "Edm.Int32", false), p("recurrenceTimeZone", "Edm.String"), p("startDate", "Edm.Date"), p("type", "graph.recurrenceRangeType")],
  },
  { kind: "complex", name: "uploadSession", properties: [p("expirationDateTime", "Edm.DateTimeOffset"), p("nextExpectedRanges", "Collection(Edm.String)"), p("uploadUrl", "Edm.String")] },

  { kind: "entity", name: "entity", abstract: true, properties: [p("id", "Edm.String", false)] },
  { kind: "entity", name: "user", base: "graph.entity", open: true, properties: [], navigations: [contained("todo", "graph.todo")] },
  { kind: "entity", name: "todo", base: "graph.entity", properties: [], navigations: [contained("lists", "Collection(graph.todoTaskList)")] },
  {
    kind: "entity",
    name: "todoTaskList",
    base: "graph.entity",
    properties: [p("displayName", "Edm.String"), p("isOwner", "Edm.Boolean", false), p("isShared", "Edm.Boolean", false), p("wellknownListName", "graph.wellknownListName", false)],
    navigations: [contained("extensions", "Collection(graph.extension)"), contained("tasks", "Collection(graph.todoTask)")],
  },
  {
    kind: "entity",
    name: "todoTask",
    base: "graph.entity",
    properties: [
      p("body", "graph.itemBody"),
      p("bodyLastModifiedDateTime", "Edm.DateTimeOffset", false),
      p("categories", "Collection(Edm.String)"),
      p("completedDateTime", "graph.dateTimeTimeZone"),
      p("createdDateTime", "Edm.DateTimeOffset", false),
      p("dueDateTime", "graph.dateTimeTimeZone"),
      p("hasAttachments", "Edm.Boolean"),
      p("importance", "graph.importance", false),
      p("isReminderOn", "Edm.Boolean", false),
      p("lastModifiedDateTime", "Edm.DateTimeOffset", false),
      p("recurrence", "graph.patternedRecurrence"),
      p("reminderDateTime", "graph.dateTimeTimeZone"),
      p("startDateTime", "graph.dateTimeTimeZone"),
      p("status", "graph.taskStatus", false),
      p("title", "Edm.String"),
    ],
    navigations: [
      contained("attachments", "Collection(graph.attachmentBase)"),
      contained("attachmentSessions", "Collection(graph.attachmentSession)"),
      contained("checklistItems", "Collection(graph.checklistItem)"),
      contained("extensions", "Collection(graph.extension)"),
      contained("linkedResources", "Collection(graph.linkedResource)"),
    ],
  },
  {
    kind: "entity",
    name: "attachmentBase",
    base: "graph.entity",
    abstract: true,
    hasStream: true,
    properties: [p("contentType", "Edm.String"), p("lastModifiedDateTime", "Edm.DateTimeOffset"), p("name", "Edm.String"), p("size", "Edm.Int32", false)],
  },
  { kind: "entity", name: "taskFileAttachment", base: "graph.attachmentBase", properties: [p("contentBytes", "Edm.Binary", false)] },
  {
    kind: "entity",
    name: "attachmentSession",
    base: "graph.entity",
    properties: [p("content", "Edm.Stream"), p("expirationDateTime", "Edm.DateTimeOffset"), p("nextExpectedRanges", "Collection(Edm.String)")],
  },
  {
    kind: "entity",
    name: "checklistItem",
    base: "graph.entity",
    properties: [p("checkedDateTime", "Edm.DateTimeOffset"), p("createdDateTime", "Edm.DateTimeOffset", false), p("displayName", "Edm.String"), p("isChecked", "Edm.Boolean")],
  },
  {
    kind: "entity",
    name: "linkedResource",
    base: "graph.entity",
    properties: [p("applicationName", "Edm.String"), p("displayName", "Edm.String"), p("externalId", "Edm.String"), p("webUrl", "Edm.String")],
  },
  { kind: "entity", name: "extension", base: "graph.entity", abstract: true, open: true, properties: [] },
  { kind: "entity", name: "openTypeExtension", base: "graph.extension", open: true, properties: [p("extensionName", "Edm.String", false)] },

  { kind: "function", name: "delta", boundTo: "Collection(graph.todoTask)", parameters: [], returns: "Collection(graph.todoTask)" },
  { kind: "function", name: "delta", boundTo: "Collection(graph.todoTaskList)", parameters: [], returns: "Collection(graph.todoTaskList)" },
  { kind: "action", name: "createUploadSession", boundTo: "Collection(graph.attachmentBase)", parameters: [p("attachmentInfo", "graph.attachmentInfo", false)], returns: "graph.uploadSession" },
];

/** The entity container: the roots a URL starts from. */
export const CONTAINER = {
  name: "GraphService",
  entitySets: [{ name: "users", type: "microsoft.graph.user" }],
  singletons: [{ name: "me", type: "microsoft.graph.user" }],
} as const;

/** A structured type by its unqualified name. */
export function structuredType(name: string): EdmEntityType | EdmComplexType | undefined {
  return TODO_SCHEMA.find((t): t is EdmEntityType | EdmComplexType => (t.kind === "entity" || t.kind === "complex") && t.name === name);
}

/** Every property and navigation name of a type, its base types' included. */
export function memberNames(name: string): Set<string> {
  const names = new Set<string>();
  for (let t = structuredType(name); t; t = t.kind === "entity" && t.base ? structuredType(unqualified(t.base)) : undefined) {
    for (const m of t.properties) names.add(m.name);
    if (t.kind === "entity") for (const n of t.navigations ?? []) names.add(n.name);
  }
  return names;
}

/** `graph.todoTask` or `microsoft.graph.todoTask` → `todoTask`; `Collection(x)` → `x` unqualified. */
export function unqualified(ref: EdmTypeRef): string {
  const inner = /^Collection\((.*)\)$/.exec(ref)?.[1] ?? ref;
  return inner.replace(/^(graph|microsoft\.graph)\./, "");
}
