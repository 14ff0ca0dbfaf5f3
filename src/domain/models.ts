// The records Taskdrop keeps. Timestamps are ISO strings (UTC, millisecond precision).

export interface User {
  /** Object id (the token's `oid`): the stable key. */
  oid: string;
  /** userPrincipalName (the token's `preferred_username`). */
  upn: string;
  createdAt: string;
}

export type WellknownListName = "none" | "defaultList" | "flaggedEmails" | "unknownFutureValue";

export interface TaskList {
  id: string;
  ownerOid: string;
  displayName: string;
  wellknownListName: WellknownListName;
  isOwner: boolean;
  isShared: boolean;
  createdAt: string;
  changeKey: string;
}

export interface DateTimeTimeZone {
  dateTime: string;
  timeZone: string;
}

export interface ItemBody {
  content: string;
  contentType: "text" | "html";
}

export type Importance = "low" | "normal" | "high";
export type TaskStatus = "notStarted" | "inProgress" | "completed" | "waitingOnOthers" | "deferred";

export interface PatternedRecurrence {
  pattern: Record<string, unknown>;
  range: Record<string, unknown>;
}

/** The client-visible properties of a todoTask that Taskdrop stores as one document. */
export interface TaskDoc {
  title: string;
  body: ItemBody;
  importance: Importance;
  status: TaskStatus;
  isReminderOn: boolean;
  categories: string[];
  bodyLastModifiedDateTime: string;
  completedDateTime?: DateTimeTimeZone;
  dueDateTime?: DateTimeTimeZone;
  startDateTime?: DateTimeTimeZone;
  reminderDateTime?: DateTimeTimeZone;
  recurrence?: PatternedRecurrence;
}

export interface Task {
  id: string;
  listId: string;
  ownerOid: string;
  createdAt: string;
  lastModifiedAt: string;
  changeKey: string;
  doc: TaskDoc;
  /** Maintained by the store as attachments come and go; `hasAttachments` is derived from it. */
  attachmentCount: number;
}

export interface Attachment {
  id: string;
  ownerOid: string;
  listId: string;
  taskId: string;
  name: string;
  contentType: string;
  size: number;
  /** Hex SHA-256 of the bytes; the `ETag` of `$value`. */
  sha256: string;
  createdAt: string;
  lastModifiedAt: string;
}

/**
 * The last range a 200/201 acknowledged, kept so an exact retry can be recognised. A retry's body
 * is compared with the stored bytes of the range (retries are rare; hashing every range to keep a
 * digest here cost a second SHA-256 pass over every upload).
 */
export interface RangeRecord {
  start: number;
  /** Inclusive. */
  end: number;
}

interface SessionCommon {
  id: string;
  ownerOid: string;
  listId: string;
  taskId: string;
  name: string;
  contentType: string;
  size: number;
  createdAt: string;
  expiresAt: string;
  /** The last acknowledged range, so a replay of it can be recognised. */
  lastRange: RangeRecord | null;
}

export type UploadSession =
  | (SessionCommon & { status: "open"; committed: number })
  | (SessionCommon & { status: "completed"; committed: number; attachmentId: string });

/** The kinds of a task's (or, for extensions, a list's) child records, kept in one table. */
export type ChildKind = "checklistItem" | "linkedResource" | "extension";

/** What a child hangs under: a task, or with `taskId` "" the list itself (open extensions on lists). */
export interface ChildParent {
  listId: string;
  taskId: string;
}

/** A checklistItem, linkedResource or open extension; `doc` holds its client-visible properties. */
export interface TaskChild extends ChildParent {
  kind: ChildKind;
  id: string;
  ownerOid: string;
  createdAt: string;
  doc: Record<string, unknown>;
}
