// One compiler from a CollectionQuery (domain/query.ts) to SQL for both stores. Values never enter
// the SQL text: every literal becomes a placeholder (`?` on SQLite, `$n` on PostgreSQL) and the
// text is built only from the fixed column table below and the tree's operators.
//
// The semantics the in-memory evaluator defines are kept exactly (test/contract checks the two
// against each other on random data): two-valued logic (a comparison with an unset value is false,
// `ne` true — every leaf is guarded, so NOT never meets SQL's NULL), strings compared after ASCII
// folding in code-point order (PostgreSQL: COLLATE "C"), nulls first ascending and last descending,
// and `id` as the last key. The query columns (`q_*`) hold the folded and ordinal forms; migration
// step 6 of each store makes them (a trigger on SQLite, generated columns on PostgreSQL).
import type { CollectionQuery, Expr, OrderKey, SortKey, Value } from "../../domain/query.js";

export type Dialect = "sqlite" | "postgres";

type Kind = "text" | "int" | "bool" | "json";
interface Column {
  /** The SQL expression, the same on both stores unless given per dialect. */
  sql: string | Record<Dialect, string>;
  kind: Kind;
}

export interface QueryTable {
  table: string;
  /**
   * The columns a page reads (what rows.ts turns into records), not `*`: the query columns (`q_*`)
   * would double the values parsed and held per row, and a large page's rows live long enough
   * (read, then streamed over many turns) for each extra value to cost the collector.
   */
  rowColumns: string;
  columns: Readonly<Record<string, Column>>;
}

const text = (sql: string | Record<Dialect, string>): Column => ({ sql, kind: "text" });
const int = (sql: string): Column => ({ sql, kind: "int" });
const bool = (sql: string): Column => ({ sql, kind: "bool" });

const dateColumns = (name: string, col: string): Record<string, Column> => ({
  [name]: text(`q_${col}`),
  [`${name}/dateTime`]: text(`q_${col}`),
  [`${name}/timeZone`]: text(`q_${col}_zone`),
});

export const TASK_TABLE: QueryTable = {
  table: "tasks",
  rowColumns: "id, list_id, owner, created_at, last_modified_at, change_key, doc, attachment_count",
  columns: {
    id: text("id"),
    title: text("q_title"),
    status: int("q_status"),
    importance: int("q_importance"),
    isReminderOn: bool("q_reminder_on"),
    hasAttachments: bool("(attachment_count > 0)"),
    createdDateTime: text("created_at"),
    lastModifiedDateTime: text("last_modified_at"),
    bodyLastModifiedDateTime: text("q_body_modified"),
    "body/contentType": int("q_body_type"),
    categories: { sql: "q_categories", kind: "json" },
    ...dateColumns("dueDateTime", "due"),
    ...dateColumns("startDateTime", "start"),
    ...dateColumns("completedDateTime", "completed"),
    ...dateColumns("reminderDateTime", "reminder"),
  },
};

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** ASCII folding in SQL: SQLite's lower() is ASCII-only; PostgreSQL's follows the locale, translate() does not. */
const foldSql = (col: string): Record<Dialect, string> => ({ sqlite: `lower(${col})`, postgres: `translate(${col}, '${UPPER}', '${UPPER.toLowerCase()}')` });

export const LIST_TABLE: QueryTable = {
  table: "lists",
  rowColumns: "id, owner, display_name, wellknown, is_owner, is_shared, created_at, change_key",
  columns: {
    id: text("id"),
    displayName: text(foldSql("display_name")),
    isOwner: bool("is_owner"),
    isShared: bool("is_shared"),
    wellknownListName: int("(CASE wellknown WHEN 'none' THEN 0 WHEN 'defaultList' THEN 1 WHEN 'flaggedEmails' THEN 2 ELSE 3 END)"),
  },
};

/** Collects parameters in order and hands out their placeholders. */
export class Params {
  readonly values: unknown[] = [];
  constructor(readonly dialect: Dialect) {}
  add(v: unknown): string {
    this.values.push(v);
    return this.dialect === "sqlite" ? "?" : `$${this.values.length}`;
  }
}

function column(t: QueryTable, prop: string, dialect: Dialect): Column & { expr: string } {
  const c = t.columns[prop];
  // The parser admits only a schema's properties; a property without a column is a programming error.
  if (!c) throw new Error(`no query column for '${prop}' on ${t.table}`);
  const sql = typeof c.sql === "string" ? c.sql : c.sql[dialect];
  return { ...c, expr: sql };
}

/** The expression as compared and ordered: PostgreSQL text in code-point order, like SQLite's BINARY. */
function compared(c: Column & { expr: string }, dialect: Dialect): string {
  return dialect === "postgres" && c.kind === "text" ? `(${c.expr} COLLATE "C")` : c.expr;
}

function param(p: Params, c: Column, v: Value): string {
  if (c.kind === "bool" && p.dialect === "sqlite") return p.add(v ? 1 : 0);
  return p.add(v);
}

const OPS = { eq: "=", ne: "<>", gt: ">", ge: ">=", lt: "<", le: "<=" } as const;

/** A WHERE condition for `e`, never NULL. */
export function whereSql(e: Expr, t: QueryTable, p: Params): string {
  const d = p.dialect;
  switch (e.op) {
    case "and":
    case "or":
      return `(${whereSql(e.left, t, p)} ${e.op.toUpperCase()} ${whereSql(e.right, t, p)})`;
    case "not":
      return `(NOT ${whereSql(e.inner, t, p)})`;
    case "any": {
      const c = column(t, e.prop, d);
      const list = e.values.map((v) => p.add(v)).join(", ");
      return d === "sqlite"
        ? `EXISTS (SELECT 1 FROM json_each(${c.expr}) WHERE value IN (${list}))`
        : `EXISTS (SELECT 1 FROM jsonb_array_elements_text(coalesce(${c.expr}, '[]'::jsonb)) AS v(x) WHERE v.x IN (${list}))`;
    }
    case "in": {
      const c = column(t, e.prop, d);
      const x = compared(c, d);
      return `(${x} IS NOT NULL AND ${x} IN (${e.values.map((v) => param(p, c, v)).join(", ")}))`;
    }
    case "startswith":
    case "contains": {
      const c = column(t, e.prop, d);
      const find = d === "sqlite" ? `instr(${c.expr}, ${p.add(e.value)})` : `strpos(${c.expr}, ${p.add(e.value)})`;
      return `(${c.expr} IS NOT NULL AND ${find} ${e.op === "startswith" ? "= 1" : "> 0"})`;
    }
    case "cmp": {
      const c = column(t, e.prop, d);
      const x = compared(c, d);
      if (e.value === null) return `(${x} IS ${e.cmp === "eq" ? "" : "NOT "}NULL)`;
      const v = param(p, c, e.value);
      return e.cmp === "ne" ? `(${x} IS NULL OR ${x} <> ${v})` : `(${x} IS NOT NULL AND ${x} ${OPS[e.cmp]} ${v})`;
    }
  }
}

/**
 * ORDER BY for the keys, then `id` in the direction of the last key (so one index serves a
 * one-key order both ways); the collection's creation order when there are no keys.
 */
export function orderSql(keys: OrderKey[], t: QueryTable, dialect: Dialect): string {
  if (keys.length === 0) return "seq";
  const last = keys[keys.length - 1]!.desc;
  return [...keys, { prop: "id", desc: last }]
    .map((k) => {
      const x = compared(column(t, k.prop, dialect), dialect);
      // SQLite already puts nulls first ascending and last descending; PostgreSQL does the opposite.
      if (dialect === "sqlite") return `${x} ${k.desc ? "DESC" : "ASC"}`;
      return `${x} ${k.desc ? "DESC NULLS LAST" : "ASC NULLS FIRST"}`;
    })
    .join(", ");
}

/** The keys a page is ordered by, `id` last in the last key's direction; the creation sequence when none. */
function sortKeys(keys: OrderKey[]): Array<OrderKey | "seq"> {
  if (keys.length === 0) return ["seq"];
  return [...keys, { prop: "id", desc: keys[keys.length - 1]!.desc }];
}

/** The SQL of one sort key, as ordered and compared. */
function keyExpr(k: OrderKey | "seq", t: QueryTable, dialect: Dialect): { x: string; c: Column } {
  if (k === "seq") return { x: "seq", c: int("seq") };
  const c = column(t, k.prop, dialect);
  return { x: compared(c, dialect), c };
}

/** The sort key columns a page selects besides the row (`_key0`, …), for the next page's `$skiptoken`. */
function keyColumns(keys: OrderKey[], t: QueryTable, dialect: Dialect): string {
  return sortKeys(keys)
    .map((k, i) => `${k === "seq" ? "seq" : column(t, k.prop, dialect).expr} AS _key${i}`)
    .join(", ");
}

/** The sort key of a row read with keyColumns. */
export function rowKey(row: Record<string, unknown>, keys: OrderKey[]): SortKey {
  return sortKeys(keys).map((_, i) => (row[`_key${i}`] ?? null) as Value | null);
}

/**
 * Rows after `after` in the order of `keys` (keyset paging): the first key that differs from
 * `after`'s is further along, every key before it equal. Nulls sort first ascending and last
 * descending, as orderSql orders them. With one key (the natural order, `seq`) this is a plain
 * range, which the index serves like a first page.
 */
export function afterSql(keys: OrderKey[], after: SortKey, t: QueryTable, p: Params): string {
  const ks = sortKeys(keys).map((k) => ({ ...keyExpr(k, t, p.dialect), desc: k !== "seq" && k.desc }));
  const v = (i: number) => after[i] ?? null;
  // Each placeholder is added where it stands in the text (SQLite's `?` are positional).
  const equal = (i: number) => {
    const { x, c } = ks[i]!;
    const w = v(i);
    return w === null ? `${x} IS NULL` : `(${x} IS NOT NULL AND ${x} = ${param(p, c, w)})`;
  };
  const further = (i: number): string | undefined => {
    const { x, c, desc } = ks[i]!;
    const w = v(i);
    // Nothing is further than a null descending (nulls are last there).
    if (w === null) return desc ? undefined : `${x} IS NOT NULL`;
    return desc ? `(${x} IS NULL OR ${x} < ${param(p, c, w)})` : `(${x} IS NOT NULL AND ${x} > ${param(p, c, w)})`;
  };
  // Ascending on every key with no null in the position: one row-value comparison, which both
  // databases serve as a seek in the order's index (the disjunction below they scan from the
  // collection's start: 2.5 ms against 0.4 ms at 10,000 tasks in on SQLite). Nulls sort first
  // ascending, so a row with a null key is before the position, and the comparison (null) drops it.
  if (ks.every((k, i) => !k.desc && v(i) !== null)) {
    return `((${ks.map((k) => k.x).join(", ")}) > (${ks.map((k, i) => param(p, k.c, v(i)!)).join(", ")}))`;
  }
  const alts: string[] = [];
  ks.forEach((k, i) => {
    if (v(i) === null && k.desc) return;
    const prefix = ks.slice(0, i).map((_, j) => equal(j));
    alts.push(`(${[...prefix, further(i)!].join(" AND ")})`);
  });
  return alts.length === 0 ? "(1 = 0)" : `(${alts.join(" OR ")})`;
}

export interface CompiledQuery {
  /**
   * SELECT (the row columns and the sort key) … LIMIT ? OFFSET ? for top + 1 rows from skip (to know whether more follow); the last
   * two parameters are the limit and the offset, so a store may read the page in slices. Null
   * when top is 0.
   */
  page: { sql: string; params: unknown[] } | null;
  /** SELECT count(*) AS n … when the query asks for a count. */
  count: { sql: string; params: unknown[] } | null;
}

/** Which rows a query may see: a WHERE condition over the table's own columns. */
export type Scope = (p: Params) => string;

/** The owner's lists. */
export const listScope = (owner: string): Scope => (p) => `owner = ${p.add(owner)}`;

/**
 * One list's tasks, the list being the owner's. The ownership check is one probe of the list's
 * row, not a condition on every task: `owner = ?` on tasks would make a count read every row of
 * the list (the owner is in no index), 95 ms at 20,000 tasks against 1 ms this way.
 */
export const taskScope = (owner: string, listId: string): Scope => (p) =>
  `list_id = ${p.add(listId)} AND EXISTS (SELECT 1 FROM lists WHERE lists.id = ${p.add(listId)} AND lists.owner = ${p.add(owner)})`;

/** The statements for one page of `t`'s rows in `scope`, filtered, ordered and sliced as `q` says. */
export function compileQuery(q: CollectionQuery, t: QueryTable, dialect: Dialect, scope: Scope): CompiledQuery {
  const build = (withAfter: boolean, tail: (p: Params, where: string) => string) => {
    const p = new Params(dialect);
    const conds = [scope(p)];
    if (q.filter) conds.push(whereSql(q.filter, t, p));
    if (withAfter && q.after) conds.push(afterSql(q.orderBy, q.after, t, p));
    const sql = tail(p, conds.join(" AND "));
    return { sql, params: p.values };
  };
  const page =
    q.top === 0
      ? null
      : build(
          true,
          (p, where) =>
            `SELECT ${t.rowColumns}, ${keyColumns(q.orderBy, t, dialect)} FROM ${t.table} WHERE ${where} ORDER BY ${orderSql(q.orderBy, t, dialect)} LIMIT ${p.add(q.top + 1)} OFFSET ${p.add(q.skip)}`,
        );
  // The count is over all the items the filter keeps, wherever the page starts.
  const count = q.count ? build(false, (_, where) => `SELECT count(*) AS n FROM ${t.table} WHERE ${where}`) : null;
  return { page, count };
}

/**
 * A row converter that also keeps the sort key of the page's last item (the `top`-th row read),
 * for the next page's `$skiptoken`; rows are converted as they are read (in slices on large pages).
 */
export function keepingLastKey<T>(q: CollectionQuery, from: (r: Record<string, unknown>) => T): { from: (r: Record<string, unknown>) => T; last: (more: boolean) => SortKey | undefined } {
  let n = 0;
  let key: SortKey | undefined;
  return {
    from: (r) => {
      if (n++ === q.top - 1) key = rowKey(r, q.orderBy);
      return from(r);
    },
    last: (more) => (more ? key : undefined),
  };
}
