// Use cases for todoTasks.
import { errors } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import type { Task } from "../domain/models.js";
import type { CollectionQuery, QueryPage } from "../domain/query.js";
import { completeRecurring } from "../domain/recurrence.js";
import { applyTaskInput, applyTaskPatch } from "../domain/task-input.js";
import { newChild, splitInlineChildren } from "../domain/task-children.js";
import type { TaskChild } from "../domain/models.js";
import { ifMatchHolds, newChangeKey } from "./change-key.js";
import type { Deps } from "./deps.js";
import { getList } from "./lists.js";
import { keyedPage } from "./page-tokens.js";

export async function getTask(d: Deps, owner: string, listId: string, id: string): Promise<Task> {
  const t = await d.store.tasks.get(owner, listId, id);
  if (!t) throw errors.notFound();
  return t;
}

/** One page of a list's tasks as the query says, read from the store (never the whole list). */
export async function queryTasks(d: Deps, owner: string, listId: string, q: CollectionQuery): Promise<QueryPage<Task>> {
  await getList(d, owner, listId);
  return keyedPage(d, { owner, collection: `tasks:${listId}` }, q, (k) => d.store.tasks.query(owner, listId, k));
}

export async function createTask(d: Deps, owner: string, listId: string, body: unknown): Promise<{ task: Task; children: TaskChild[] }> {
  await getList(d, owner, listId);
  const now = d.now();
  // checklistItems, linkedResources and extensions sent inline are created with the task, in its
  // transaction: every one is validated first, so a bad child refuses the task and creates nothing.
  const { task, children } = splitInlineChildren(body, now);
  const doc = applyTaskInput(task, undefined, now);
  const t: Task = { id: newId("task"), listId, ownerOid: owner, createdAt: now.toISOString(), lastModifiedAt: now.toISOString(), changeKey: newChangeKey(), doc, attachmentCount: 0 };
  const parent = { listId, taskId: t.id };
  const records: TaskChild[] = children.map((c) => newChild(c.kind, owner, parent, c.doc, now));
  await d.store.tasks.create(t, records);
  return { task: t, children: records };
}

export async function updateTask(d: Deps, owner: string, listId: string, id: string, body: unknown, ifMatch: string | undefined): Promise<Task> {
  const now = d.now();
  const t = await d.store.tasks.update(owner, listId, id, (cur) => {
    if (!ifMatchHolds(ifMatch, cur.changeKey)) throw errors.preconditionFailed();
    const doc = applyTaskPatch(body, cur, now);
    const stamp = { lastModifiedAt: now.toISOString(), changeKey: newChangeKey() };
    // Completing a recurring task: it moves on to its next occurrence and a new task keeps the
    // completed one, in the same transaction (see docs/graph-behaviour.md, "Recurrence").
    const occurrence = completeRecurring(cur.doc, doc, now);
    if (!occurrence) return { ...cur, doc, ...stamp };
    const completed: Task = { ...cur, id: newId("task"), ...stamp, changeKey: newChangeKey(), doc: occurrence.completed, attachmentCount: 0 };
    return { task: { ...cur, doc: occurrence.movedOn, ...stamp }, create: completed };
  });
  if (!t) {
    await getList(d, owner, listId);
    throw errors.notFound();
  }
  return t;
}

export async function deleteTask(d: Deps, owner: string, listId: string, id: string, ifMatch: string | undefined): Promise<void> {
  const ok = await d.store.tasks.delete(owner, listId, id, (cur) => {
    if (!ifMatchHolds(ifMatch, cur.changeKey)) throw errors.preconditionFailed();
  });
  if (!ok) throw errors.notFound();
}

/**
 * `$expand=tasks` on a page of lists: each list's first tasks as `q` says, one bounded query per
 * list of the page (the page's lists are the owner's, already read).
 */
export async function expandListTasks(d: Deps, owner: string, listIds: readonly string[], q: CollectionQuery): Promise<Map<string, QueryPage<Task>>> {
  const byList = new Map<string, QueryPage<Task>>();
  for (const listId of listIds) byList.set(listId, await d.store.tasks.query(owner, listId, q));
  return byList;
}
