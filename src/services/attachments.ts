// Attachments of a task: list, read, small-file create, delete.
import { ensureRoomToCreate } from "./disk-room.js";
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { parseSmallFileAttachment } from "../domain/attachment-info.js";
import { errors } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import type { Attachment } from "../domain/models.js";
import type { Deps } from "./deps.js";
import { getTask } from "./tasks.js";

export async function listAttachments(d: Deps, owner: string, listId: string, taskId: string): Promise<Attachment[]> {
  await getTask(d, owner, listId, taskId);
  return d.store.attachments.all(owner, taskId);
}

export async function getAttachment(d: Deps, owner: string, listId: string, taskId: string, id: string): Promise<Attachment> {
  await getTask(d, owner, listId, taskId);
  const a = await d.store.attachments.get(owner, taskId, id);
  if (!a) throw errors.notFound();
  return a;
}

export async function createSmallAttachment(d: Deps, owner: string, listId: string, taskId: string, body: unknown): Promise<Attachment> {
  await getTask(d, owner, listId, taskId);
  const { name, contentType, bytes } = parseSmallFileAttachment(body);
  const now = d.now().toISOString();
  const a: Attachment = {
    id: newId("attachment"),
    ownerOid: owner,
    listId,
    taskId,
    name,
    contentType,
    size: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    createdAt: now,
    lastModifiedAt: now,
  };
  await ensureRoomToCreate(d, bytes.length);
  await d.store.attachments.createWithBytes(a, bytes);
  return a;
}

export async function readAttachment(d: Deps, a: Attachment, range?: { start: number; end: number }): Promise<Readable> {
  return d.store.attachments.read(a, range);
}

export async function deleteAttachment(d: Deps, owner: string, listId: string, taskId: string, id: string): Promise<void> {
  await getTask(d, owner, listId, taskId);
  if (!(await d.store.attachments.delete(owner, taskId, id))) throw errors.notFound();
}
