// Delta (change tracking) for lists and for the tasks of one list, as pure decisions: what a
// round's state tokens carry, how they are sealed, and how one page is cut from the store's changes.
//
// The store numbers every change of an owner's lists and tasks from one sequence, in commit order
// (see src/store/README.md, "Change sequence"). A round is a walk along that sequence:
// - `$skiptoken` (inside a round) = the number of the last change handed out (`cursor`) and the
//   number after which deletions count (`removedAfter`: the round's start for a first round, whose
//   answer is the current state, so items deleted before it are not reported; the token's number
//   for a round started from a deltaLink);
// - `$deltatoken` (a round's end) = the newest number every change of which was in the round.
// A page never hands out a change numbered above the owner's newest *committed* number read
// before the page's queries (`upTo`), so a change committing while a page is read waits for the
// next page or round: it appears in this round or the next, never in neither.
import { createHmac, timingSafeEqual } from "node:crypto";
import { errors } from "./errors.js";
import type { ChildKind } from "./models.js";
import { MAX_TOP, parseQuery, type EntityShape } from "./odata.js";

/** Graph's Exchange-backed delta pages hold 10 items unless `Prefer: odata.maxpagesize` asks otherwise. */
export const DELTA_DEFAULT_PAGE_SIZE = 10;

/** Which collection a round tracks: the owner's lists, or the tasks of one list. */
export type DeltaStream = { kind: "lists" } | { kind: "tasks"; listId: string };

/** One entry of a stream: an item as it is now (with its last change number), or a deletion. */
export type Change<T> = { seq: number; item: T } | { seq: number; removed: string };

/** What every token of a round carries besides its position. */
interface RoundCommon {
  owner: string;
  stream: DeltaStream;
  /** `$select` of the round's first request, kept for the whole round and the rounds after it. */
  select: string[] | undefined;
  /** `$top` of the first request, as the page size when no `Prefer: odata.maxpagesize` is sent. */
  top: number | undefined;
  /** `$expand` of the first request (a task round's child kinds), carried like `$select`. */
  expand?: ChildKind[] | undefined;
}

export type RoundState =
  | (RoundCommon & { phase: "page"; cursor: number; removedAfter: number })
  | (RoundCommon & { phase: "done"; since: number });

/** Where a request stands: starting a round, inside one, or starting a round from a deltaLink. */
export type DeltaPosition = { phase: "start" } | RoundState;

// ---- tokens ----
// A token is base64url(JSON) "." base64url(HMAC-SHA256): opaque to clients, unforgeable, and
// readable by every instance sharing the store (the key lives in the store's settings).

interface Wire {
  v: 1;
  o: string;
  l?: string;
  s?: string[];
  t?: number;
  e?: string[];
  c?: number;
  r?: number;
  n?: number;
}

function mac(key: Buffer, payload: string): Buffer {
  return createHmac("sha256", key).update(payload).digest();
}

export function sealToken(key: Buffer, st: RoundState): string {
  const w: Wire = { v: 1, o: st.owner };
  if (st.stream.kind === "tasks") w.l = st.stream.listId;
  if (st.select) w.s = st.select;
  if (st.top !== undefined) w.t = st.top;
  if (st.expand && st.expand.length > 0) w.e = st.expand;
  if (st.phase === "page") {
    w.c = st.cursor;
    w.r = st.removedAfter;
  } else {
    w.n = st.since;
  }
  const payload = Buffer.from(JSON.stringify(w)).toString("base64url");
  return `${payload}.${mac(key, payload).toString("base64url")}`;
}

const TOKEN = /^[A-Za-z0-9_-]{1,4000}\.[A-Za-z0-9_-]{43}$/;
const whole = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The error Graph answers for a state token it cannot use for this collection. */
const badToken = (which: string) => errors.invalid(`The ${which} is malformed or was not issued for this collection.`);

/**
 * Opens a token for `owner` and `stream`: a token that is not one Taskdrop sealed, or that was
 * issued for another user or another list, is refused as malformed (nothing about the other
 * collection is revealed).
 */
export function openToken(key: Buffer, token: string, phase: "page" | "done", owner: string, stream: DeltaStream): RoundState {
  const which = phase === "page" ? "$skiptoken" : "$deltatoken";
  if (!TOKEN.test(token)) throw badToken(which);
  const [payload, sig] = token.split(".") as [string, string];
  // Compared as text: base64url ignores the last character's low bits, and a token must have one spelling.
  const expected = Buffer.from(mac(key, payload).toString("base64url"));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw badToken(which);
  let w: Wire;
  try {
    w = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Wire;
  } catch {
    throw badToken(which);
  }
  const listId = stream.kind === "tasks" ? stream.listId : undefined;
  if (w.v !== 1 || w.o !== owner || w.l !== listId) throw badToken(which);
  const kinds: readonly string[] = ["checklistItem", "linkedResource", "extension"];
  if (w.e !== undefined && (!Array.isArray(w.e) || !w.e.every((k) => kinds.includes(k)))) throw badToken(which);
  const common: RoundCommon = { owner, stream, select: w.s, top: w.t, ...(w.e === undefined ? {} : { expand: w.e as ChildKind[] }) };
  if (phase === "page") {
    if (!whole(w.c) || !whole(w.r)) throw badToken(which);
    return { ...common, phase, cursor: w.c, removedAfter: w.r };
  }
  if (!whole(w.n)) throw badToken(which);
  return { ...common, phase, since: w.n };
}

/** 410 syncStateNotFound: the token predates the change history the store still keeps. */
export function requireKept(st: RoundState, floor: number): void {
  const from = st.phase === "page" ? st.removedAfter : st.since;
  if (from < floor) throw errors.syncStateNotFound();
}

// ---- pages ----

/** `Prefer: odata.maxpagesize=N` (several preferences may share the header); undefined when absent or unusable. */
export function preferredPageSize(prefer: string | string[] | undefined): number | undefined {
  const all = Array.isArray(prefer) ? prefer.join(",") : prefer;
  if (!all) return undefined;
  for (const part of all.split(",")) {
    const m = /^\s*(?:odata\.)?maxpagesize\s*=\s*"?(\d{1,9})"?\s*$/i.exec(part);
    if (m) {
      const n = Number(m[1]);
      // A preference the server cannot honour is ignored (RFC 7240), never an error.
      return n >= 1 ? Math.min(n, MAX_TOP) : undefined;
    }
  }
  return undefined;
}

/** Where the round's first page starts, given the owner's newest change number now. */
export function firstPage(common: RoundCommon, position: DeltaPosition, newest: number): RoundState & { phase: "page" } {
  if (position.phase === "start") return { ...common, phase: "page", cursor: 0, removedAfter: newest };
  if (position.phase === "done") return { ...common, phase: "page", cursor: position.since, removedAfter: position.since };
  return position;
}

/**
 * Cuts one page from `changes` (the stream's entries after `at.cursor`, numbered up to `upTo`,
 * oldest first, at most `size + 1` of them): the entries to answer with, and the next token's state
 * (another page when more remain, else the round's end at `upTo`).
 */
export function cutPage<T>(at: RoundState & { phase: "page" }, changes: Change<T>[], size: number, upTo: number): { entries: Change<T>[]; next: RoundState } {
  if (changes.length > size) {
    const entries = changes.slice(0, size);
    return { entries, next: { ...at, cursor: entries[entries.length - 1]!.seq } };
  }
  const { cursor: _c, removedAfter: _r, ...common } = at;
  return { entries: changes, next: { ...common, phase: "done", since: Math.max(upTo, at.cursor) } };
}

// ---- the request ----

export interface DeltaQuery {
  skiptoken: string | undefined;
  deltatoken: string | undefined;
  select: string[] | undefined;
  top: number | undefined;
  /** `$expand` as given (tasks delta only; the route parses it against todoTask's navigation). */
  expand: string | undefined;
}

const DELTA_OPTIONS = new Set(["$skiptoken", "$deltatoken", "$select", "$top", "$expand"]);

/**
 * The query of a delta request: the state tokens, and `$select`/`$top` (To Do's delta pages take
 * those two). Filtering, ordering and counting a change stream are refused rather than ignored.
 */
export function parseDeltaQuery(query: Record<string, string | string[] | undefined>, shape: EntityShape): DeltaQuery {
  const one = (k: string): string | undefined => {
    const v = query[k];
    if (Array.isArray(v)) throw errors.invalid(`Query option ${k} was given more than once.`);
    return v;
  };
  for (const k of Object.keys(query)) {
    // Graph's SDKs spell the tokens $skipToken/$deltaToken too.
    const lower = k.toLowerCase();
    if (lower.startsWith("$") && !DELTA_OPTIONS.has(lower)) throw errors.invalid(`Query option '${k}' is not supported on delta.`);
  }
  const pick = (name: string) => {
    const keys = Object.keys(query).filter((k) => k.toLowerCase() === name);
    if (keys.length > 1) throw errors.invalid(`Query option ${name} was given more than once.`);
    return keys.length === 0 ? undefined : one(keys[0]!);
  };
  const selectRaw = pick("$select");
  const topRaw = pick("$top");
  const expand = pick("$expand");
  // todotasklist-delta.md documents $select only; todotask-delta.md lists $select, $top and $expand.
  if (expand !== undefined && shape.typeName === "microsoft.graph.todoTaskList") throw errors.invalid("Query option '$expand' is not supported on delta of todoTaskList; todoTaskList delta takes $select only.");
  return {
    expand,
    skiptoken: pick("$skiptoken"),
    deltatoken: pick("$deltatoken"),
    select: selectRaw === undefined ? undefined : parseQuery({ $select: selectRaw }, shape).select,
    top: topRaw === undefined ? undefined : Math.max(1, parseQuery({ $top: topRaw }, shape).top),
  };
}
