// Delta rounds over the owner's lists and over one list's tasks: read the owner's change position,
// then one page of the stream below it, and seal the token that continues (see domain/delta.ts).
import { randomBytes } from "node:crypto";
import {
  cutPage,
  DELTA_DEFAULT_PAGE_SIZE,
  firstPage,
  openToken,
  requireKept,
  sealToken,
  type Change,
  type DeltaPosition,
  type DeltaStream,
  type RoundState,
} from "../domain/delta.js";
import { errors } from "../domain/errors.js";
import type { ChildKind, Task, TaskList } from "../domain/models.js";
import type { Store } from "../store/types.js";
import type { Deps } from "./deps.js";
import { getList } from "./lists.js";

/** How long deletions are remembered; a token older than that gets 410 and the client resyncs. */
export const DELTA_RETENTION_MS = 30 * 86_400_000;

export interface DeltaRequest {
  skiptoken: string | undefined;
  deltatoken: string | undefined;
  /** `$select`, validated against the entity's properties; only on a round's first request. */
  select: string[] | undefined;
  /** `$top` of a round's first request: the page size when no preference says otherwise. */
  top: number | undefined;
  /** `$expand` of a tasks round's first request: the child kinds each task of its pages carries. */
  expand: ChildKind[] | undefined;
  /** `Prefer: odata.maxpagesize`, honoured per request (clients send it with every link they follow). */
  maxPageSize: number | undefined;
}

export interface DeltaPage<T> {
  entries: Array<Change<T>>;
  /** `$select` of the round (from its first request, carried by its tokens). */
  select: string[] | undefined;
  /** `$expand` of the round (carried by its tokens like `$select`). */
  expand: ChildKind[] | undefined;
  link: { kind: "next"; skiptoken: string } | { kind: "delta"; deltatoken: string };
}

// One key per store, shared by every instance on it (settings are in the store).
const keys = new WeakMap<Store, Promise<Buffer>>();
export function tokenKey(store: Store): Promise<Buffer> {
  let k = keys.get(store);
  if (!k) {
    k = store.settings.getOrCreate("delta-token-key", () => randomBytes(32).toString("base64")).then((v) => Buffer.from(v, "base64"));
    k.catch(() => keys.delete(store));
    keys.set(store, k);
  }
  return k;
}

function positionOf(key: Buffer, owner: string, stream: DeltaStream, r: DeltaRequest): DeltaPosition {
  if (r.skiptoken !== undefined && r.deltatoken !== undefined) throw errors.invalid("A delta request carries either $skiptoken or $deltatoken, not both.");
  const token = r.skiptoken ?? r.deltatoken;
  if (token === undefined) return { phase: "start" };
  // The round's options live in its tokens; a link followed with other options would be ambiguous.
  if (r.select !== undefined || r.top !== undefined || r.expand !== undefined) {
    throw errors.invalid("$select, $top and $expand belong on a round's first delta request only; the links it returns carry them.");
  }
  return openToken(key, token, r.skiptoken !== undefined ? "page" : "done", owner, stream);
}

async function page<T>(d: Deps, owner: string, stream: DeltaStream, r: DeltaRequest, read: (q: { after: number; upTo: number; removedAfter: number; limit: number }) => Promise<Array<Change<T>>>): Promise<DeltaPage<T>> {
  const key = await tokenKey(d.store);
  const position = positionOf(key, owner, stream, r);
  const common = position.phase === "start" ? { owner, stream, select: r.select, top: r.top, expand: r.expand } : { owner, stream, select: position.select, top: position.top, expand: position.expand };
  // The position first: every change numbered up to it is committed, so the page below it is whole.
  const now = await d.store.changes.position(owner);
  if (position.phase !== "start") requireKept(position, now.floor);
  const at = firstPage(common, position, now.seq);
  const size = r.maxPageSize ?? common.top ?? DELTA_DEFAULT_PAGE_SIZE;
  const changes = await read({ after: at.cursor, upTo: now.seq, removedAfter: at.removedAfter, limit: size + 1 });
  // Pruned while the page was read: its tombstones may be incomplete.
  requireKept(at, (await d.store.changes.position(owner)).floor);
  const { entries, next } = cutPage(at, changes, size, now.seq);
  return { entries, select: common.select, expand: common.expand, link: linkFor(key, next) };
}

function linkFor(key: Buffer, next: RoundState): DeltaPage<never>["link"] {
  return next.phase === "page" ? { kind: "next", skiptoken: sealToken(key, next) } : { kind: "delta", deltatoken: sealToken(key, next) };
}

export function listsDelta(d: Deps, owner: string, r: DeltaRequest): Promise<DeltaPage<TaskList>> {
  return page(d, owner, { kind: "lists" }, r, (q) => d.store.changes.lists(owner, q));
}

export async function tasksDelta(d: Deps, owner: string, listId: string, r: DeltaRequest): Promise<DeltaPage<Task>> {
  // A deleted list's task stream is gone with it: 404, as for the list itself.
  await getList(d, owner, listId);
  return page(d, owner, { kind: "tasks", listId }, r, (q) => d.store.changes.tasks(owner, listId, q));
}

/** Forgets deletions older than the retention (the janitor's job); returns how many. */
export function pruneChanges(d: Deps): Promise<number> {
  return d.store.changes.prune(new Date(d.now().getTime() - DELTA_RETENTION_MS));
}
