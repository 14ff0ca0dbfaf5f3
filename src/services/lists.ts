// Use cases for todoTaskLists: the default list exists from first use and is immutable.
import { errors } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import type { TaskList } from "../domain/models.js";
import type { CollectionQuery, QueryPage } from "../domain/query.js";
import { applyListInput, applyListPatch } from "../domain/task-input.js";
import { ifMatchHolds, newChangeKey } from "./change-key.js";
import type { Deps } from "./deps.js";
import { keyedPage } from "./page-tokens.js";

export const DEFAULT_LIST_NAME = "Tasks";

function newList(owner: string, displayName: string, wellknown: TaskList["wellknownListName"], now: Date): TaskList {
  return { id: newId("list"), ownerOid: owner, displayName, wellknownListName: wellknown, isOwner: true, isShared: false, createdAt: now.toISOString(), changeKey: newChangeKey() };
}

export async function ensureDefaultList(d: Deps, owner: string): Promise<void> {
  await d.store.lists.ensureDefault(owner, () => newList(owner, DEFAULT_LIST_NAME, "defaultList", d.now()));
}

/** One page of the owner's lists as the query says. */
export async function queryLists(d: Deps, owner: string, q: CollectionQuery): Promise<QueryPage<TaskList>> {
  return keyedPage(d, { owner, collection: "lists" }, q, (k) => d.store.lists.query(owner, k));
}

export async function getList(d: Deps, owner: string, id: string): Promise<TaskList> {
  const l = await d.store.lists.get(owner, id);
  if (!l) throw errors.notFound();
  return l;
}

export async function createList(d: Deps, owner: string, body: unknown): Promise<TaskList> {
  const { displayName } = applyListInput(body, true);
  const l = newList(owner, displayName, "none", d.now());
  await d.store.lists.create(l);
  return l;
}

export async function updateList(d: Deps, owner: string, id: string, body: unknown, ifMatch: string | undefined): Promise<TaskList> {
  const l = await d.store.lists.update(owner, id, (cur) => {
    if (!ifMatchHolds(ifMatch, cur.changeKey)) throw errors.preconditionFailed();
    // Read-only values are compared with the stored list, so the body is checked here.
    const { displayName } = applyListPatch(body, cur);
    if (cur.wellknownListName === "defaultList") {
      // The whole default list sent back with its own name renames nothing: a no-op, not a refusal.
      if (displayName === cur.displayName) return cur;
      throw errors.defaultListRename();
    }
    return { ...cur, displayName, changeKey: newChangeKey() };
  });
  if (!l) throw errors.notFound();
  return l;
}

export async function deleteList(d: Deps, owner: string, id: string, ifMatch: string | undefined): Promise<void> {
  const ok = await d.store.lists.delete(owner, id, (cur) => {
    if (!ifMatchHolds(ifMatch, cur.changeKey)) throw errors.preconditionFailed();
    if (cur.wellknownListName === "defaultList") throw errors.defaultListDelete();
  });
  if (!ok) throw errors.notFound();
}
