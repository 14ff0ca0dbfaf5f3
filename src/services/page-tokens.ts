// Keyset paging of the store-queried collections (lists, tasks): a request's `$skiptoken` is
// opened into the sort key the page starts after, and the page's last key sealed into the next
// link's token (domain/query.ts, "keyset paging"). Tokens are sealed with the store's token key,
// so every instance on one store reads the others'.
import { openSkipToken, sealSkipToken, type CollectionQuery, type QueryPage, type SkipScope } from "../domain/query.js";
import type { Deps } from "./deps.js";
import { tokenKey } from "./delta.js";

/** Runs `read` from the position `q.skiptoken` names (if any) and gives its page the next token. */
export async function keyedPage<T>(d: Deps, scope: SkipScope, q: CollectionQuery, read: (q: CollectionQuery) => Promise<QueryPage<T>>): Promise<QueryPage<T>> {
  const key = await tokenKey(d.store);
  const from = q.skiptoken === undefined ? q : { ...q, after: openSkipToken(key, q.skiptoken, scope, q) };
  const page = await read(from);
  return page.last === undefined ? page : { ...page, nextToken: sealSkipToken(key, scope, q, page.last) };
}
