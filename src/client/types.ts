// The Graph resources the client reads and writes, typed as Graph serialises them (unset
// properties are omitted). Only what To Do task attachments need; extra properties pass through.

export interface DateTimeTimeZone {
  dateTime: string;
  timeZone: string;
}

export interface ItemBody {
  content: string;
  contentType: "text" | "html";
}

export type WellknownListName = "none" | "defaultList" | "flaggedEmails" | "unknownFutureValue";
export type TaskStatus = "notStarted" | "inProgress" | "completed" | "waitingOnOthers" | "deferred";
export type Importance = "low" | "normal" | "high";

export interface TodoTaskList {
  "@odata.etag"?: string;
  id: string;
  displayName: string;
  isOwner?: boolean;
  isShared?: boolean;
  wellknownListName?: WellknownListName;
  [extra: string]: unknown;
}

export interface TodoTask {
  "@odata.etag"?: string;
  id: string;
  title: string;
  body?: ItemBody;
  importance?: Importance;
  status?: TaskStatus;
  createdDateTime?: string;
  lastModifiedDateTime?: string;
  bodyLastModifiedDateTime?: string;
  completedDateTime?: DateTimeTimeZone;
  dueDateTime?: DateTimeTimeZone;
  startDateTime?: DateTimeTimeZone;
  reminderDateTime?: DateTimeTimeZone;
  recurrence?: unknown;
  isReminderOn?: boolean;
  hasAttachments?: boolean;
  categories?: string[];
  [extra: string]: unknown;
}

/** A step of a task (Graph's checklistItem). */
export interface ChecklistItem {
  id: string;
  displayName: string;
  isChecked?: boolean;
  /** Set by the server when the item is checked. */
  checkedDateTime?: string;
  createdDateTime?: string;
  [extra: string]: unknown;
}

/** An item in another app that a task links to (Graph's linkedResource). */
export interface LinkedResource {
  id: string;
  webUrl?: string;
  applicationName?: string;
  displayName?: string;
  externalId?: string;
  [extra: string]: unknown;
}

/** Writable linkedResource properties (POST and PATCH; `null` clears one in a PATCH). */
export type LinkedResourceInput = { [K in "webUrl" | "applicationName" | "displayName" | "externalId"]?: string | null };

/** An open extension: its name and id, and the custom properties as they were sent. */
export interface OpenExtension {
  id: string;
  extensionName: string;
  [custom: string]: unknown;
}

/** Writable task properties (POST and PATCH). */
export type TodoTaskInput = Partial<
  Pick<TodoTask, "title" | "body" | "importance" | "status" | "dueDateTime" | "startDateTime" | "reminderDateTime" | "recurrence" | "isReminderOn" | "categories" | "completedDateTime">
>;

export interface TaskFileAttachment {
  "@odata.type"?: string;
  id: string;
  name: string;
  contentType?: string;
  size: number;
  lastModifiedDateTime?: string;
  /** Base64; only on GET of one attachment. */
  contentBytes?: string;
  [extra: string]: unknown;
}

/** An upload session as the status GET (and the sessions collection) describe it. */
export interface AttachmentSession {
  id?: string;
  expirationDateTime?: string;
  nextExpectedRanges: string[];
  [extra: string]: unknown;
}

export interface UploadSessionInfo {
  uploadUrl: string;
  expirationDateTime?: string;
  nextExpectedRanges: string[];
}

/** OData query options for collections. */
export interface CollectionQuery {
  top?: number;
  skip?: number;
  filter?: string;
  select?: string[];
  orderby?: string;
}

export interface Page<T> {
  value: T[];
  nextLink?: string;
}
