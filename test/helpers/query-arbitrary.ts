// Random $filter and $orderby texts over the todoTask schema, each with the tree it must parse to,
// and random tasks to run them on: for the parser's round-trip test (test/unit/query.test.ts) and
// the stores' differential test against the in-memory evaluator (test/contract/store-contract.ts).
import fc from "fast-check";
import type { Task } from "../../src/domain/models.js";
import { fold, normaliseDateTimeOffset, type Expr, type OrderKey } from "../../src/domain/query.js";
import { IMPORTANCE, TASK_STATUS } from "../../src/domain/todo-query.js";

export interface Sample {
  text: string;
  expr: Expr;
}

const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;
const word = fc.string({ maxLength: 3, unit: fc.constantFrom("a", "B", "b", "'", " ", "é") });
const CATEGORIES = ["Red", "blue", "Green"];
const DAYS = ["2026-01-01", "2026-01-02", "2026-01-03"];
const dto = fc.constantFrom(...DAYS.map((d) => `${d}T00:00:00Z`), "2026-01-02T12:00:00.5+02:00");
const local = fc.constantFrom(...DAYS.map((d) => `${d}T00:00:00`));
const cmp = fc.constantFrom("eq" as const, "ne" as const, "gt" as const, "ge" as const, "lt" as const, "le" as const);

const leaf: fc.Arbitrary<Sample> = fc.oneof(
  fc.tuple(cmp, word).map(([c, v]) => ({ text: `title ${c} ${quote(v)}`, expr: { op: "cmp", cmp: c, prop: "title", value: fold(v) } as Expr })),
  fc.tuple(cmp, fc.constantFrom(...TASK_STATUS)).map(([c, v]) => ({ text: `status ${c} ${quote(v)}`, expr: { op: "cmp", cmp: c, prop: "status", value: TASK_STATUS.indexOf(v) } as Expr })),
  fc.subarray([...IMPORTANCE], { minLength: 1 }).map((vs) => ({
    text: `importance in (${vs.map(quote).join(", ")})`,
    expr: { op: "in", prop: "importance", values: vs.map((v) => IMPORTANCE.indexOf(v)) } as Expr,
  })),
  fc.tuple(fc.constantFrom("eq" as const, "ne" as const), fc.boolean()).map(([c, v]) => ({ text: `isReminderOn ${c} ${v}`, expr: { op: "cmp", cmp: c, prop: "isReminderOn", value: v } as Expr })),
  fc.tuple(cmp, dto, fc.constantFrom("createdDateTime", "lastModifiedDateTime")).map(([c, v, p]) => ({
    text: `${p} ${c} ${v}`,
    expr: { op: "cmp", cmp: c, prop: p, value: normaliseDateTimeOffset(v)! } as Expr,
  })),
  fc.tuple(cmp, local).map(([c, v]) => ({ text: `dueDateTime/dateTime ${c} ${quote(v)}`, expr: { op: "cmp", cmp: c, prop: "dueDateTime/dateTime", value: `${v}.0000000` } as Expr })),
  fc.constantFrom("eq" as const, "ne" as const).map((c) => ({ text: `dueDateTime ${c} null`, expr: { op: "cmp", cmp: c, prop: "dueDateTime", value: null } as Expr })),
  fc.tuple(fc.constantFrom("startswith" as const, "contains" as const), word).map(([f, v]) => ({ text: `${f}(title, ${quote(v)})`, expr: { op: f, prop: "title", value: fold(v) } as Expr })),
  fc.subarray(CATEGORIES, { minLength: 1 }).map((vs) => ({
    text: `categories/any(c: ${vs.map((v) => `c eq ${quote(v)}`).join(" or ")})`,
    expr: { op: "any", prop: "categories", values: vs.map(fold) } as Expr,
  })),
);

export const filterSample: fc.Arbitrary<Sample> = fc.letrec<{ e: Sample }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.tuple(fc.constantFrom("and" as const, "or" as const), tie("e"), tie("e")).map(([op, a, b]) => ({ text: `(${a.text}) ${op} (${b.text})`, expr: { op, left: a.expr, right: b.expr } as Expr })),
    tie("e").map((a) => ({ text: `not (${a.text})`, expr: { op: "not", inner: a.expr } as Expr })),
  ),
})).e;

export const SORTABLE = ["title", "status", "importance", "isReminderOn", "createdDateTime", "lastModifiedDateTime", "dueDateTime/dateTime", "hasAttachments", "id"] as const;

export const orderSample: fc.Arbitrary<{ text: string; keys: OrderKey[] }> = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...SORTABLE), fc.constantFrom("", " asc", " desc")), { minLength: 1, maxLength: 3, selector: (k) => k[0] })
  .map((ks) => ({ text: ks.map(([p, d]) => `${p}${d}`).join(","), keys: ks.map(([p, d]) => ({ prop: p, desc: d === " desc" })) }));

/** Random tasks of one list, with few distinct values so that filters and ties both happen. */
export function taskSamples(owner: string, listId: string): fc.Arbitrary<Task[]> {
  const one = fc.record({
    title: word,
    status: fc.constantFrom(...TASK_STATUS),
    importance: fc.constantFrom(...IMPORTANCE),
    isReminderOn: fc.boolean(),
    categories: fc.subarray(CATEGORIES.flatMap((c) => [c, c.toUpperCase()])),
    due: fc.option(local, { nil: undefined }),
    created: fc.constantFrom(...DAYS),
    hour: fc.integer({ min: 0, max: 23 }),
    attachments: fc.constantFrom(0, 0, 1),
  });
  return fc.array(one, { maxLength: 25 }).map((rows) =>
    rows.map((r, i): Task => {
      const at = `${r.created}T${String(r.hour).padStart(2, "0")}:00:00.000Z`;
      return {
        id: `AAMkTask${String(i).padStart(3, "0")}${r.hour % 2 ? "a" : "B"}`,
        listId,
        ownerOid: owner,
        createdAt: at,
        lastModifiedAt: at,
        changeKey: `ck${i}`,
        attachmentCount: r.attachments,
        doc: {
          title: r.title,
          body: { content: "", contentType: "text" },
          importance: r.importance,
          status: r.status,
          isReminderOn: r.isReminderOn,
          categories: r.categories,
          bodyLastModifiedDateTime: at,
          ...(r.due ? { dueDateTime: { dateTime: `${r.due}.0000000`, timeZone: "UTC" } } : {}),
        },
      };
    }),
  );
}
