// $filter and $orderby as typed trees. A collection declares what may be queried (QuerySchema: each
// property path with its type); parsing checks every name, operator and literal against it, so a
// query that reaches a store is well typed, and a store only translates (src/store/shared/query-sql.ts)
// or evaluates it (`evaluate`, for small in-memory collections and as the test oracle for SQL).
//
// Values are normalised once, here, so that comparing them is plain ordering on both sides:
// strings fold ASCII letters to lower case (Exchange-backed collections compare case-insensitively),
// enums become their ordinal (OData orders enums by their underlying value), DateTimeOffsets the
// 24-character UTC form the stores keep (`2026-01-02T03:04:05.678Z`), and a dateTimeTimeZone's
// `dateTime` Graph's 7-digit local form.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { errors } from "./errors.js";
import { normaliseDateTime } from "./time.js";

export type PropType =
  | { kind: "string" }
  /** An id: a string compared exactly (ids are case-sensitive). */
  | { kind: "id" }
  | { kind: "enum"; values: readonly string[]; typeName: string }
  | { kind: "boolean" }
  | { kind: "number" }
  | { kind: "dateTimeOffset" }
  | { kind: "localDateTime" }
  /** A complex value: only `eq null` / `ne null` (is it set?). */
  | { kind: "complex" }
  /** A collection of strings: only `any(x: x eq '…')`. */
  | { kind: "stringCollection" };

export interface PropDef {
  type: PropType;
  /** May appear in $orderby (complex values and collections never may). */
  sortable: boolean;
}

export interface QuerySchema {
  typeName: string;
  /** By property path as written in a query (`title`, `dueDateTime/dateTime`). */
  props: Readonly<Record<string, PropDef>>;
}

export type Value = string | number | boolean;
export type Cmp = "eq" | "ne" | "gt" | "ge" | "lt" | "le";

export type Expr =
  /** `value` null only with eq/ne. */
  | { op: "cmp"; cmp: Cmp; prop: string; value: Value | null }
  | { op: "in"; prop: string; values: Value[] }
  | { op: "startswith" | "contains"; prop: string; value: string }
  /** `prop/any(x: x eq v1 or x eq v2 …)`: some element equals one of `values`. */
  | { op: "any"; prop: string; values: string[] }
  | { op: "and" | "or"; left: Expr; right: Expr }
  | { op: "not"; inner: Expr };

export interface OrderKey {
  prop: string;
  desc: boolean;
}

export const MAX_FILTER_LENGTH = 2048;
const MAX_DEPTH = 32;
const MAX_IN = 100;
const MAX_ORDER_KEYS = 8;

/** ASCII-only case folding: the same on both stores and in JavaScript. */
export const fold = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

const DTO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})$/;

/** A DateTimeOffset literal → the stores' UTC form (millisecond precision); undefined if invalid. */
export function normaliseDateTimeOffset(v: string): string | undefined {
  const m = DTO.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = "00", f = "", zone] = m;
  if (!normaliseDateTime(`${y}-${mo}-${d}T${h}:${mi}:${s}`)) return undefined;
  if (zone !== "Z" && (+zone!.slice(1, 3) > 14 || +zone!.slice(4) > 59)) return undefined;
  const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${f.padEnd(3, "0").slice(0, 3)}${zone}`);
  if (Number.isNaN(t)) return undefined;
  const out = new Date(t);
  if (out.getUTCFullYear() < 1 || out.getUTCFullYear() > 9999) return undefined;
  return out.toISOString();
}

/** A stored or viewed value → the form queries compare (see the top of this file). */
export function normalise(type: PropType, raw: unknown): Value | null {
  if (raw === undefined || raw === null) return null;
  switch (type.kind) {
    case "string":
      return typeof raw === "string" ? fold(raw) : null;
    case "id":
      return typeof raw === "string" ? raw : null;
    case "enum": {
      const i = type.values.indexOf(String(raw));
      return i < 0 ? null : i;
    }
    case "boolean":
      return typeof raw === "boolean" ? raw : null;
    case "number":
      return typeof raw === "number" ? raw : null;
    case "dateTimeOffset":
      return typeof raw === "string" ? (normaliseDateTimeOffset(raw) ?? null) : null;
    case "localDateTime":
      return typeof raw === "string" ? (normaliseDateTime(raw) ?? null) : null;
    case "complex":
      return true;
    case "stringCollection":
      return null;
  }
}

// ---- tokens ----

type Token =
  | { t: "ident"; v: string; at: number }
  | { t: "str"; v: string; at: number }
  /** An enum literal with its type: microsoft.graph.taskStatus'completed'. */
  | { t: "typed"; type: string; v: string; at: number }
  | { t: "num"; v: number; at: number }
  | { t: "dto"; v: string; at: number }
  | { t: "punct"; v: "(" | ")" | "," | ":"; at: number };

function readString(s: string, i: number): { v: string; end: number } {
  let v = "";
  for (let j = i + 1; ; ) {
    if (j >= s.length) throw errors.invalid("Invalid $filter: unterminated string literal.");
    if (s[j] === "'") {
      if (s[j + 1] === "'") {
        v += "'";
        j += 2;
        continue;
      }
      return { v, end: j + 1 };
    }
    v += s[j];
    j++;
  }
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    const rest = s.slice(i);
    let m: RegExpExecArray | null;
    if (c === " " || c === "\t") {
      i++;
    } else if (c === "(" || c === ")" || c === "," || c === ":") {
      out.push({ t: "punct", v: c, at: i });
      i++;
    } else if (c === "'") {
      const r = readString(s, i);
      out.push({ t: "str", v: r.v, at: i });
      i = r.end;
    } else if ((m = /^\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?/.exec(rest))) {
      out.push({ t: "dto", v: m[0], at: i });
      i += m[0].length;
    } else if ((m = /^-?\d+(\.\d+)?(?![A-Za-z_])/.exec(rest))) {
      out.push({ t: "num", v: Number(m[0]), at: i });
      i += m[0].length;
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_./]*/.exec(rest))) {
      if (s[i + m[0].length] === "'" && m[0].includes(".")) {
        const r = readString(s, i + m[0].length);
        out.push({ t: "typed", type: m[0], v: r.v, at: i });
        i = r.end;
      } else {
        out.push({ t: "ident", v: m[0], at: i });
        i += m[0].length;
      }
    } else {
      throw errors.invalid(`Invalid $filter: unexpected '${c}' at position ${i}.`);
    }
  }
  return out;
}

// ---- $filter ----

const CMPS = new Set<string>(["eq", "ne", "gt", "ge", "lt", "le"]);

/** Parses a $filter expression against the collection's schema. */
export function parseFilter(text: string, schema: QuerySchema): Expr {
  if (text.length > MAX_FILTER_LENGTH) throw errors.invalid("Invalid $filter: the expression is too long.");
  if (text.trim() === "") throw errors.invalid("Invalid $filter: the expression is empty.");
  const toks = tokenize(text);
  let pos = 0;
  let depth = 0;
  const fail = (what: string): never => {
    throw errors.invalid(`Invalid $filter '${text}': ${what}.`);
  };
  const peek = () => toks[pos];
  const isIdent = (v: string) => {
    const t = peek();
    return t?.t === "ident" && t.v.toLowerCase() === v;
  };
  const punct = (v: string) => {
    const t = toks[pos++];
    if (!t || t.t !== "punct" || t.v !== v) fail(`expected '${v}'`);
  };
  const propNamed = (name: string): PropDef => {
    const def = schema.props[name];
    if (!def) {
      throw errors.invalid(`Could not find a property named '${name.split("/")[0]}' on type '${schema.typeName}', or it cannot be used in $filter.`);
    }
    return def;
  };
  const literalFor = (name: string, def: PropDef): Value | null => {
    const t = toks[pos++];
    if (!t) return fail("expected a value");
    if (t.t === "ident" && t.v === "null") return null;
    const type = def.type;
    const wrong = (): never => fail(`'${name}' is ${describe(type)}; the value at position ${t.at} is not one`);
    switch (type.kind) {
      case "string":
        return t.t === "str" ? fold(t.v) : wrong();
      case "id":
        return t.t === "str" ? t.v : wrong();
      case "enum": {
        if (t.t !== "str" && t.t !== "typed") return wrong();
        if (t.t === "typed" && t.type !== type.typeName) fail(`'${t.type}' is not the type of '${name}' (${type.typeName})`);
        const i = type.values.indexOf(t.v);
        if (i < 0) throw errors.invalid(`The value '${t.v}' is not a member of ${type.typeName} (${type.values.join(", ")}).`);
        return i;
      }
      case "boolean":
        return t.t === "ident" && (t.v === "true" || t.v === "false") ? t.v === "true" : wrong();
      case "number":
        return t.t === "num" ? t.v : wrong();
      case "dateTimeOffset": {
        // OData writes them bare; a quoted one is accepted too (what many Graph samples send).
        if (t.t !== "dto" && t.t !== "str") return wrong();
        return normaliseDateTimeOffset(t.v) ?? fail(`'${t.v}' is not a valid DateTimeOffset (yyyy-MM-ddTHH:mm:ssZ)`);
      }
      case "localDateTime": {
        // The dateTime of a dateTimeTimeZone is a string; a bare literal in UTC ('Z') reads as the same wall time.
        if (t.t !== "dto" && t.t !== "str") return wrong();
        const v = t.t === "dto" ? t.v.replace(/(Z|[+]00:00)$/, "") : t.v;
        return normaliseDateTime(v) ?? fail(`'${t.v}' is not a valid date and time (yyyy-MM-ddTHH:mm:ss)`);
      }
      case "complex":
      case "stringCollection":
        return wrong();
    }
  };
  const stringArg = (): string => {
    const t = toks[pos++];
    if (!t || t.t !== "str") return fail("expected a quoted string");
    return t.v;
  };
  const propToken = (): string => {
    const t = toks[pos++];
    if (!t || t.t !== "ident") return fail(`expected a property name at position ${t?.at ?? text.length}`);
    return t.v;
  };
  const anyCall = (name: string): Expr => {
    // prop/any(x: x eq 'a' or x eq 'b')
    const def = propNamed(name);
    if (def.type.kind !== "stringCollection") fail(`'${name}' is not a collection`);
    punct("(");
    const v = propToken();
    if (v.includes("/") || v.includes(".")) fail("expected a lambda variable");
    punct(":");
    const values: string[] = [];
    for (;;) {
      const x = propToken();
      if (x !== v) fail(`expected '${v}'`);
      const op = propToken();
      if (op !== "eq") fail(`only '${v} eq …' (joined by 'or') is supported inside any()`);
      values.push(fold(stringArg()));
      if (!isIdent("or")) break;
      pos++;
    }
    punct(")");
    return { op: "any", prop: name, values };
  };
  const primary = (): Expr => {
    const t = peek();
    if (!t) return fail("unexpected end");
    if (t.t === "punct" && t.v === "(") {
      pos++;
      if (++depth > MAX_DEPTH) fail("too deeply nested");
      const e = or();
      depth--;
      punct(")");
      return e;
    }
    if (isIdent("not")) {
      pos++;
      if (++depth > MAX_DEPTH) fail("too deeply nested");
      const inner = primary();
      depth--;
      return { op: "not", inner };
    }
    if (t.t === "ident" && toks[pos + 1]?.t === "punct" && (toks[pos + 1] as { v: string }).v === "(") {
      const fn = t.v.toLowerCase();
      if (fn.endsWith("/any")) {
        pos++;
        return anyCall(t.v.slice(0, -4));
      }
      if (fn !== "startswith" && fn !== "contains") fail(`the function '${t.v}' is not supported (startswith, contains, any)`);
      pos += 2;
      const name = propToken();
      const def = propNamed(name);
      if (def.type.kind !== "string") fail(`${fn} needs a string property; '${name}' is ${describe(def.type)}`);
      punct(",");
      const value = fold(stringArg());
      punct(")");
      const call: Expr = { op: fn as "startswith" | "contains", prop: name, value };
      // `startswith(title,'a') eq true` is the long form some clients send.
      if (isIdent("eq") && toks[pos + 1]?.t === "ident" && /^(true|false)$/.test((toks[pos + 1] as { v: string }).v)) {
        const yes = (toks[pos + 1] as { v: string }).v === "true";
        pos += 2;
        return yes ? call : { op: "not", inner: call };
      }
      return call;
    }
    const name = propToken();
    const def = propNamed(name);
    const opTok = toks[pos++];
    if (!opTok || opTok.t !== "ident") return fail("expected an operator");
    const op = opTok.v;
    if (op === "in") {
      if (def.type.kind === "complex" || def.type.kind === "stringCollection") fail(`'in' does not apply to '${name}'`);
      punct("(");
      const values: Value[] = [];
      for (;;) {
        const v = literalFor(name, def);
        if (v === null) fail("'in' takes values, not null");
        values.push(v as Value);
        if (values.length > MAX_IN) fail(`'in' takes at most ${MAX_IN} values`);
        const sep = peek();
        if (sep?.t === "punct" && sep.v === ",") {
          pos++;
          continue;
        }
        break;
      }
      punct(")");
      return { op: "in", prop: name, values };
    }
    if (!CMPS.has(op)) return fail(`the operator '${op}' is not supported (eq, ne, gt, ge, lt, le, in)`);
    if (def.type.kind === "stringCollection") fail(`'${name}' is a collection: use ${name}/any(c: c eq '…')`);
    const value = literalFor(name, def);
    if (value === null && op !== "eq" && op !== "ne") fail(`'${op} null' is not meaningful; use eq null or ne null`);
    if (def.type.kind === "complex" && value !== null) fail(`'${name}' is a complex value: compare one of its properties, or with null`);
    if (def.type.kind === "boolean" && op !== "eq" && op !== "ne") fail(`'${op}' does not apply to a boolean`);
    return { op: "cmp", cmp: op as Cmp, prop: name, value };
  };
  const and = (): Expr => {
    let left = primary();
    while (isIdent("and")) {
      pos++;
      left = { op: "and", left, right: primary() };
    }
    return left;
  };
  const or = (): Expr => {
    let left = and();
    while (isIdent("or")) {
      pos++;
      left = { op: "or", left, right: and() };
    }
    return left;
  };
  const e = or();
  if (pos !== toks.length) fail(`unexpected text at position ${toks[pos]!.at}`);
  return e;
}

function describe(t: PropType): string {
  switch (t.kind) {
    case "enum":
      return `an enum (${t.typeName})`;
    case "dateTimeOffset":
      return "a DateTimeOffset";
    case "localDateTime":
      return "a date and time";
    case "complex":
      return "a complex value";
    case "stringCollection":
      return "a collection of strings";
    case "id":
      return "a string";
    default:
      return `a ${t.kind}`;
  }
}

// ---- $orderby ----

/** Parses `$orderby` (`prop [asc|desc], …`) against the schema's sortable properties. */
export function parseOrderBy(text: string, schema: QuerySchema): OrderKey[] {
  const keys: OrderKey[] = [];
  const seen = new Set<string>();
  for (const part of text.split(",")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_/]*)(?:\s+(asc|desc))?\s*$/i.exec(part);
    if (!m) throw errors.invalid(`Invalid $orderby '${text}': expected 'property [asc|desc]' separated by commas.`);
    const prop = m[1]!;
    const def = schema.props[prop];
    if (!def || !def.sortable) throw errors.invalid(`Could not find a property named '${prop}' on type '${schema.typeName}' that $orderby can sort by.`);
    if (seen.has(prop)) throw errors.invalid(`Invalid $orderby: '${prop}' is given more than once.`);
    seen.add(prop);
    keys.push({ prop, desc: m[2]?.toLowerCase() === "desc" });
  }
  if (keys.length > MAX_ORDER_KEYS) throw errors.invalid(`Invalid $orderby: at most ${MAX_ORDER_KEYS} properties.`);
  return keys;
}

// ---- evaluation (in memory) ----

/** Reads a normalised property value of one item (null when unset); collections as folded arrays. */
export type Reader = (prop: string) => Value | null | string[];

function compare(a: Value, b: Value): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether an item matches; two-valued: a comparison with an unset value is false (ne: true). */
export function evaluate(e: Expr, read: Reader): boolean {
  switch (e.op) {
    case "and":
      return evaluate(e.left, read) && evaluate(e.right, read);
    case "or":
      return evaluate(e.left, read) || evaluate(e.right, read);
    case "not":
      return !evaluate(e.inner, read);
    case "any": {
      const v = read(e.prop);
      return Array.isArray(v) && v.some((x) => e.values.includes(x));
    }
    case "in": {
      const v = read(e.prop) as Value | null;
      return v !== null && e.values.includes(v);
    }
    case "startswith":
    case "contains": {
      const v = read(e.prop);
      if (typeof v !== "string") return false;
      return e.op === "startswith" ? v.startsWith(e.value) : v.includes(e.value);
    }
    case "cmp": {
      const v = read(e.prop) as Value | null;
      if (e.value === null) return e.cmp === "eq" ? v === null : v !== null;
      if (v === null) return e.cmp === "ne";
      const c = compare(v, e.value);
      switch (e.cmp) {
        case "eq":
          return c === 0;
        case "ne":
          return c !== 0;
        case "gt":
          return c > 0;
        case "ge":
          return c >= 0;
        case "lt":
          return c < 0;
        case "le":
          return c <= 0;
      }
    }
  }
}

/**
 * Orders by the keys (nulls first ascending, last descending, as OData says), then by `id` in the
 * direction of the last key, so equal keys keep one order across pages (and one index serves both).
 */
export function compareBy(keys: OrderKey[], a: Reader, b: Reader): number {
  for (const k of [...keys, { prop: "id", desc: keys[keys.length - 1]?.desc ?? false }]) {
    const x = a(k.prop) as Value | null;
    const y = b(k.prop) as Value | null;
    let c: number;
    if (x === null || y === null) c = x === y ? 0 : x === null ? -1 : 1;
    else c = typeof x === "boolean" ? compare(Number(x), Number(y)) : compare(x, y);
    if (c !== 0) return k.desc ? -c : c;
  }
  return 0;
}

/** A Reader over an item's Graph JSON (a view), for in-memory collections. */
export function viewReader(schema: QuerySchema, view: Record<string, unknown>): Reader {
  return (prop) => {
    const def = schema.props[prop];
    let cur: unknown = view;
    for (const p of prop.split("/")) cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[p] : undefined;
    if (!def) return null;
    if (def.type.kind === "stringCollection") return Array.isArray(cur) ? cur.filter((x): x is string => typeof x === "string").map(fold) : [];
    return normalise(def.type, cur);
  };
}

// ---- one page of a collection ----

/** What a store (or the in-memory pager) is asked for: the filter, the order, which slice, whether to count. */
export interface CollectionQuery {
  filter: Expr | undefined;
  /** Empty: the collection's natural order (creation). */
  orderBy: OrderKey[];
  skip: number;
  /** The page size; one more item is read to know whether another page follows. */
  top: number;
  /** Also count every item the filter keeps (`$count=true`, `/$count`). */
  count: boolean;
  /** `$skiptoken` as sent (opened by the service into `after`). */
  skiptoken?: string;
  /** Start after the item with this sort key (keyset paging); `skip` then counts from there. */
  after?: SortKey;
}

export interface QueryPage<T> {
  items: T[];
  more: boolean;
  /** When asked for: how many items the filter keeps, over all pages. */
  count: number | undefined;
  /** The sort key of the page's last item when more follow (a store that pages by key sets it). */
  last?: SortKey;
  /** The `$skiptoken` of the next page (sealed by the service from `last`). */
  nextToken?: string;
}

/** The in-memory pager: filter, order, slice (for small collections, and the stores' test oracle). */
export function pageInMemory<T>(all: T[], q: CollectionQuery, reader: (t: T) => Reader): QueryPage<T> {
  const withReaders = all.map((item, i) => ({ item, read: reader(item), i }));
  const kept = q.filter ? withReaders.filter((x) => evaluate(q.filter!, x.read)) : withReaders;
  if (q.orderBy.length > 0) kept.sort((a, b) => compareBy(q.orderBy, a.read, b.read));
  const slice = kept.slice(q.skip, q.skip + q.top);
  // $top=0 asks for no items: a nextLink would carry the same $skip and never end.
  return { items: slice.map((x) => x.item), more: q.top > 0 && q.skip + q.top < kept.length, count: q.count ? kept.length : undefined };
}

// ---- keyset paging ($skiptoken) ----
// A nextLink carries `$skiptoken`: the sort key of the page's last item (the values of the order
// keys and `id`, or the creation sequence in the natural order), so the next page starts after
// that item by an index seek instead of reading and dropping `$skip` rows (OFFSET costs every
// skipped row: `$skip=10000` took 54 ms on PostgreSQL against 3 ms for the first page). The token
// is sealed like delta's (base64url(JSON) "." HMAC-SHA256 with the store's key): opaque, bound to
// the owner, the collection and the query's filter and order, so a forged, edited or borrowed one
// is refused. A change between pages moves no item to a page already read or skips one still to
// come (unlike an offset), as the position is a key, not a count.

/** The sort key of the item a page starts after, in the order of the query's keys then `id`. */
export type SortKey = Array<Value | null>;

/** What a `$skiptoken` binds the position to. */
export interface SkipScope {
  owner: string;
  /** The collection: `lists`, or `tasks:<listId>`. */
  collection: string;
}

interface SkipWire {
  v: 1;
  o: string;
  c: string;
  /** The query's fingerprint (filter and order). */
  q: string;
  k: SortKey;
}

// Room for the longest sort key: up to 8 keys, string ones of up to 255 characters (titles, time
// zones) in UTF-8 and base64, still well inside Node's 16 KB request head.
const SKIP_TOKEN = /^[A-Za-z0-9_-]{1,12000}\.[A-Za-z0-9_-]{43}$/;

/** The filter and order a token was issued for, as a short digest. */
function fingerprint(q: Pick<CollectionQuery, "filter" | "orderBy">): string {
  return createHash("sha256").update(JSON.stringify([q.filter ?? null, q.orderBy])).digest("base64url").slice(0, 16);
}

// Separate from delta's tokens: the same store key, a key of its own derived from it, so a delta
// token is never taken for a skiptoken or the other way round.
const skipMac = (key: Buffer, payload: string): string => createHmac("sha256", createHmac("sha256", key).update("skiptoken").digest()).update(payload).digest("base64url");

export function sealSkipToken(key: Buffer, scope: SkipScope, q: Pick<CollectionQuery, "filter" | "orderBy">, after: SortKey): string {
  const w: SkipWire = { v: 1, o: scope.owner, c: scope.collection, q: fingerprint(q), k: after };
  const payload = Buffer.from(JSON.stringify(w)).toString("base64url");
  return `${payload}.${skipMac(key, payload)}`;
}

const badSkipToken = () => errors.invalid("The $skiptoken is malformed or was not issued for this query.");

/**
 * Opens a `$skiptoken` for this owner, collection and query: anything Taskdrop did not seal, or
 * sealed for another user, collection, filter or order, is refused alike (400, nothing revealed).
 */
export function openSkipToken(key: Buffer, token: string, scope: SkipScope, q: Pick<CollectionQuery, "filter" | "orderBy">): SortKey {
  if (!SKIP_TOKEN.test(token)) throw badSkipToken();
  const [payload, sig] = token.split(".") as [string, string];
  const expected = Buffer.from(skipMac(key, payload));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw badSkipToken();
  let w: SkipWire;
  try {
    w = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as SkipWire;
  } catch {
    throw badSkipToken();
  }
  if (w.v !== 1 || w.o !== scope.owner || w.c !== scope.collection || w.q !== fingerprint(q)) throw badSkipToken();
  const width = q.orderBy.length === 0 ? 1 : q.orderBy.length + 1;
  if (!Array.isArray(w.k) || w.k.length !== width || !w.k.every((x) => x === null || ["string", "number", "boolean"].includes(typeof x))) throw badSkipToken();
  return w.k;
}
