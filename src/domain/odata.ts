// The OData query options Taskdrop honours on collections: $top, $skip, $select, $filter (eq, ne,
// startsWith, and/or/not, parentheses). Filters evaluate against the JSON the client would see.
import { errors } from "./errors.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_TOP = 999;

export type Literal = string | number | boolean | null;
export type Filter =
  | { op: "eq" | "ne"; path: string[]; value: Literal }
  | { op: "startsWith"; path: string[]; value: string }
  | { op: "and" | "or"; left: Filter; right: Filter }
  | { op: "not"; inner: Filter };

export interface QueryOptions {
  top: number;
  skip: number;
  select: string[] | undefined;
  filter: Filter | undefined;
}

/** Properties of an entity type, for validating $select and $filter. */
export interface EntityShape {
  typeName: string;
  properties: ReadonlySet<string>;
}

const SUPPORTED = new Set(["$top", "$skip", "$select", "$filter"]);
const IGNORED = new Set(["$count", "$orderby", "$expand", "$search", "$format"]);

function wholeNumber(name: string, v: string, max: number): number {
  if (!/^\d{1,9}$/.test(v)) throw errors.invalid(`Invalid value '${v}' for query option ${name}: a non-negative integer is required.`);
  const n = Number(v);
  if (n > max) throw errors.invalid(`The value of ${name} (${n}) exceeds the maximum of ${max}.`);
  return n;
}

export function parseQuery(query: Record<string, string | string[] | undefined>, shape: EntityShape): QueryOptions {
  const one = (k: string): string | undefined => {
    const v = query[k];
    if (Array.isArray(v)) throw errors.invalid(`Query option ${k} was given more than once.`);
    return v;
  };
  for (const k of Object.keys(query)) {
    if (k.startsWith("$") && !SUPPORTED.has(k) && !IGNORED.has(k)) throw errors.invalid(`Query option '${k}' is not supported.`);
  }
  const topRaw = one("$top");
  const skipRaw = one("$skip");
  const selectRaw = one("$select");
  const filterRaw = one("$filter");
  let select: string[] | undefined;
  if (selectRaw !== undefined) {
    select = selectRaw.split(",").map((s) => s.trim());
    for (const p of select) {
      if (!shape.properties.has(p)) throw errors.invalid(`Could not find a property named '${p}' on type '${shape.typeName}'.`);
    }
  }
  return {
    top: topRaw === undefined ? DEFAULT_PAGE_SIZE : wholeNumber("$top", topRaw, MAX_TOP),
    skip: skipRaw === undefined ? 0 : wholeNumber("$skip", skipRaw, 1_000_000_000),
    select,
    filter: filterRaw === undefined ? undefined : parseFilter(filterRaw, shape),
  };
}

// ---- $filter ----

type Token = { t: "ident"; v: string } | { t: "str"; v: string } | { t: "num"; v: number } | { t: "punct"; v: "(" | ")" | "," };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === " " || c === "\t") {
      i++;
    } else if (c === "(" || c === ")" || c === ",") {
      out.push({ t: "punct", v: c });
      i++;
    } else if (c === "'") {
      let v = "";
      i++;
      for (;;) {
        if (i >= s.length) throw errors.invalid("Invalid $filter: unterminated string literal.");
        if (s[i] === "'") {
          if (s[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += s[i];
        i++;
      }
      out.push({ t: "str", v });
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(s.slice(i));
      if (!m) throw errors.invalid(`Invalid $filter: unexpected '${c}' at position ${i}.`);
      out.push({ t: "num", v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_@]/.test(c)) {
      const m = /^[A-Za-z_@][A-Za-z0-9_./@]*/.exec(s.slice(i))!;
      out.push({ t: "ident", v: m[0] });
      i += m[0].length;
    } else {
      throw errors.invalid(`Invalid $filter: unexpected '${c}' at position ${i}.`);
    }
  }
  return out;
}

export function parseFilter(s: string, shape: EntityShape): Filter {
  if (s.length > 2048) throw errors.invalid("Invalid $filter: the expression is too long.");
  const toks = tokenize(s);
  let pos = 0;
  let depth = 0;
  const peek = () => toks[pos];
  const fail = (what: string): never => {
    throw errors.invalid(`Invalid $filter '${s}': ${what}.`);
  };
  const expectPunct = (v: string) => {
    const t = toks[pos++];
    if (!t || t.t !== "punct" || t.v !== v) fail(`expected '${v}'`);
  };
  const path = (): string[] => {
    const t = toks[pos++];
    if (!t || t.t !== "ident") return fail("expected a property name");
    const parts = t.v.split("/");
    if (!shape.properties.has(parts[0]!)) {
      throw errors.invalid(`Could not find a property named '${parts[0]}' on type '${shape.typeName}'.`);
    }
    return parts;
  };
  const literal = (): Literal => {
    const t = toks[pos++];
    if (!t) return fail("expected a value");
    if (t.t === "str" || t.t === "num") return t.v;
    if (t.t === "ident" && (t.v === "true" || t.v === "false")) return t.v === "true";
    if (t.t === "ident" && t.v === "null") return null;
    return fail("expected a quoted string, a number, true, false or null");
  };
  const primary = (): Filter => {
    const t = peek();
    if (!t) return fail("unexpected end");
    if (t.t === "punct" && t.v === "(") {
      pos++;
      if (++depth > 32) fail("too deeply nested");
      const e = or();
      depth--;
      expectPunct(")");
      return e;
    }
    if (t.t === "ident" && t.v === "not") {
      pos++;
      return { op: "not", inner: primary() };
    }
    if (t.t === "ident" && t.v.toLowerCase() === "startswith") {
      pos++;
      expectPunct("(");
      const p = path();
      expectPunct(",");
      const v = literal();
      if (typeof v !== "string") fail("startsWith needs a string");
      expectPunct(")");
      return { op: "startsWith", path: p, value: v as string };
    }
    const p = path();
    const opTok = toks[pos++];
    if (!opTok || opTok.t !== "ident") return fail("expected an operator");
    if (opTok.v !== "eq" && opTok.v !== "ne") return fail(`the operator '${opTok.v}' is not supported (eq, ne, startsWith)`);
    return { op: opTok.v, path: p, value: literal() };
  };
  const and = (): Filter => {
    let left = primary();
    while (peek()?.t === "ident" && (peek() as { v: string }).v === "and") {
      pos++;
      left = { op: "and", left, right: primary() };
    }
    return left;
  };
  const or = (): Filter => {
    let left = and();
    while (peek()?.t === "ident" && (peek() as { v: string }).v === "or") {
      pos++;
      left = { op: "or", left, right: and() };
    }
    return left;
  };
  const f = or();
  if (pos !== toks.length) fail("unexpected text after the expression");
  return f;
}

function lookup(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function matches(f: Filter, item: Record<string, unknown>): boolean {
  switch (f.op) {
    case "and":
      return matches(f.left, item) && matches(f.right, item);
    case "or":
      return matches(f.left, item) || matches(f.right, item);
    case "not":
      return !matches(f.inner, item);
    case "startsWith": {
      const v = lookup(item, f.path);
      return typeof v === "string" && v.toLowerCase().startsWith(f.value.toLowerCase());
    }
    case "eq":
    case "ne": {
      const v = lookup(item, f.path) ?? null;
      // String comparisons are case-insensitive, as Exchange-backed Graph collections compare them.
      const same = typeof v === "string" && typeof f.value === "string" ? v.toLowerCase() === f.value.toLowerCase() : v === f.value;
      return f.op === "eq" ? same : !same;
    }
  }
}

/** Applies filter and paging; `more` says whether a next page exists. */
export function page<T>(items: T[], q: QueryOptions, view: (t: T) => Record<string, unknown>): { value: Record<string, unknown>[]; more: boolean } {
  const views = items.map(view);
  const kept = q.filter ? views.filter((v) => matches(q.filter!, v)) : views;
  const slice = kept.slice(q.skip, q.skip + q.top);
  // $top=0 asks for no items: a nextLink would carry the same $skip and never end.
  return { value: slice.map((v) => project(v, q.select)), more: q.top > 0 && q.skip + q.top < kept.length };
}

/** $select keeps `id` and `@odata.etag` besides what was selected. */
export function project(v: Record<string, unknown>, select: string[] | undefined): Record<string, unknown> {
  if (!select) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === "id" || k === "@odata.etag" || k === "@odata.type" || select.includes(k)) out[k] = val;
  }
  return out;
}
