// Use cases for a task's checklistItems, linkedResources and open extensions, and a list's open
// extensions: one set of rules for the three kinds, which differ only in their bodies and ids.
import { errors } from "../domain/errors.js";
import type { ChildKind, ChildParent, TaskChild } from "../domain/models.js";
import { MAX_CHILDREN, childInput, childUpdate, extensionIdOf, newChild } from "../domain/task-children.js";
import type { Deps } from "./deps.js";
import { getList } from "./lists.js";
import { getTask } from "./tasks.js";

/** The parent must be the owner's: 404 for a list or task that is not (as for attachments). */
async function requireParent(d: Deps, owner: string, p: ChildParent): Promise<void> {
  if (p.taskId === "") await getList(d, owner, p.listId);
  else await getTask(d, owner, p.listId, p.taskId);
}

/** The id a path names: an extension by its name or its id, the others by their id. */
export const childIdOf = (kind: ChildKind, raw: string): string => (kind === "extension" ? extensionIdOf(raw) : raw);

export async function listChildren(d: Deps, owner: string, p: ChildParent, kind: ChildKind): Promise<TaskChild[]> {
  await requireParent(d, owner, p);
  return d.store.children.all(owner, p, kind);
}

export async function getChild(d: Deps, owner: string, p: ChildParent, kind: ChildKind, rawId: string): Promise<TaskChild> {
  const c = await d.store.children.get(owner, p, kind, childIdOf(kind, rawId));
  if (!c) throw errors.notFound();
  return c;
}

export async function createChild(d: Deps, owner: string, p: ChildParent, kind: ChildKind, body: unknown): Promise<TaskChild> {
  await requireParent(d, owner, p);
  const now = d.now();
  const c = newChild(kind, owner, p, childInput(kind, body, now), now);
  await d.store.children.create(c, MAX_CHILDREN[kind]);
  return c;
}

export async function updateChild(d: Deps, owner: string, p: ChildParent, kind: ChildKind, rawId: string, body: unknown): Promise<TaskChild> {
  const now = d.now();
  const c = await d.store.children.update(owner, p, kind, childIdOf(kind, rawId), (cur) => ({ ...cur, doc: childUpdate(body, cur, now) }));
  if (!c) {
    await requireParent(d, owner, p);
    throw errors.notFound();
  }
  return c;
}

export async function deleteChild(d: Deps, owner: string, p: ChildParent, kind: ChildKind, rawId: string): Promise<void> {
  if (!(await d.store.children.delete(owner, p, kind, childIdOf(kind, rawId)))) throw errors.notFound();
}

/**
 * The children `$expand` asks for, by task id, of the named tasks of a list (one task, or a page):
 * one query per kind, bounded by the tasks named, never the whole list.
 */
export async function expandTasks(d: Deps, owner: string, listId: string, taskIds: readonly string[], kinds: readonly ChildKind[]): Promise<Map<string, TaskChild[]>> {
  const byTask = new Map<string, TaskChild[]>();
  if (taskIds.length === 0) return byTask;
  for (const kind of kinds) {
    const found = taskIds.length === 1 ? await d.store.children.all(owner, { listId, taskId: taskIds[0]! }, kind) : await d.store.children.ofTasks(owner, listId, kind, taskIds);
    for (const c of found) {
      const mine = byTask.get(c.taskId);
      if (mine) mine.push(c);
      else byTask.set(c.taskId, [c]);
    }
  }
  return byTask;
}

/** A page of lists' own open extensions, by list id (a list has at most a few: one query per list of the page). */
export async function expandListExtensions(d: Deps, owner: string, listIds: readonly string[]): Promise<Map<string, TaskChild[]>> {
  const byList = new Map<string, TaskChild[]>();
  for (const listId of listIds) byList.set(listId, await d.store.children.all(owner, { listId, taskId: "" }, "extension"));
  return byList;
}
