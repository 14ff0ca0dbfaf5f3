// Rows → records, shared by both stores: their tables use the same column names. Numbers go through
// Number() (PostgreSQL returns bigint as strings) and flags accept SQLite's 0/1 as well as booleans.
import type { Attachment, ChildKind, Task, TaskChild, TaskList, UploadSession, User } from "../domain/models.js";

export type Row = Record<string, unknown>;

export const num = (v: unknown): number => Number(v);
const flag = (v: unknown): boolean => v === true || v === 1;

export const userFrom = (r: Row): User => ({ oid: r.oid as string, upn: r.upn as string, createdAt: r.created_at as string });

export const listFrom = (r: Row): TaskList => ({
  id: r.id as string,
  ownerOid: r.owner as string,
  displayName: r.display_name as string,
  wellknownListName: r.wellknown as TaskList["wellknownListName"],
  isOwner: flag(r.is_owner),
  isShared: flag(r.is_shared),
  createdAt: r.created_at as string,
  changeKey: r.change_key as string,
});

export const taskFrom = (r: Row): Task => ({
  id: r.id as string,
  listId: r.list_id as string,
  ownerOid: r.owner as string,
  createdAt: r.created_at as string,
  lastModifiedAt: r.last_modified_at as string,
  changeKey: r.change_key as string,
  doc: JSON.parse(r.doc as string),
  attachmentCount: num(r.attachment_count),
});

export const attachmentFrom = (r: Row): Attachment => ({
  id: r.id as string,
  ownerOid: r.owner as string,
  listId: r.list_id as string,
  taskId: r.task_id as string,
  name: r.name as string,
  contentType: r.content_type as string,
  size: num(r.size),
  sha256: r.sha256 as string,
  createdAt: r.created_at as string,
  lastModifiedAt: r.last_modified_at as string,
});

export const sessionFrom = (r: Row): UploadSession => {
  const common = {
    id: r.id as string,
    ownerOid: r.owner as string,
    listId: r.list_id as string,
    taskId: r.task_id as string,
    name: r.name as string,
    contentType: r.content_type as string,
    size: num(r.size),
    committed: num(r.committed),
    createdAt: r.created_at as string,
    expiresAt: r.expires_at as string,
    lastRange:
      r.last_start === null || r.last_start === undefined
        ? null
        : { start: num(r.last_start), end: num(r.last_end) },
  };
  return r.status === "completed" ? { ...common, status: "completed", attachmentId: r.attachment_id as string } : { ...common, status: "open" };
};

export const childFrom = (r: Row): TaskChild => ({
  kind: r.kind as ChildKind,
  id: r.id as string,
  ownerOid: r.owner as string,
  listId: r.list_id as string,
  taskId: r.task_id as string,
  createdAt: r.created_at as string,
  doc: JSON.parse(r.doc as string),
});
