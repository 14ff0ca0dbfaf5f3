// The owners whose To Do requests reach: ensured on first use (with their default list), found by
// oid or UPN for app-only callers and `/users/{id}` paths.
import type { User } from "../domain/models.js";
import type { Deps } from "./deps.js";
import { ensureDefaultList } from "./lists.js";

// Users are never deleted and a default list can be neither renamed away nor deleted, so once a
// process has ensured both for a token's user it need not ask the store again on every request.
const ensuredOwners = new WeakMap<object, Map<string, User>>();

export async function ensureOwner(d: Deps, oid: string, upn: string): Promise<User> {
  let known = ensuredOwners.get(d.store);
  if (!known) ensuredOwners.set(d.store, (known = new Map()));
  const key = `${oid}\n${upn}`;
  const cached = known.get(key);
  if (cached) return cached;
  const user = await d.store.users.ensure(oid, upn);
  await ensureDefaultList(d, oid);
  if (known.size > 10_000) known.clear();
  known.set(key, user);
  return user;
}

/** A user by object id or userPrincipalName (case-insensitive). */
export async function findUser(d: Deps, idOrUpn: string): Promise<User | undefined> {
  return d.store.users.find(idOrUpn);
}
