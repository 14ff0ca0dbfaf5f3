// The $filter / $orderby language (src/domain/query.ts) over the todoTask and todoTaskList schemas:
// what parses to what, what is refused and how, and the in-memory evaluator and order.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { GraphError } from "../../src/domain/errors.js";
import { compareBy, evaluate, normaliseDateTimeOffset, parseFilter, parseOrderBy, viewReader, type Expr } from "../../src/domain/query.js";
import { LIST_QUERY, TASK_QUERY } from "../../src/domain/todo-query.js";
import { filterSample, orderSample } from "../helpers/query-arbitrary.js";
import { refused } from "../helpers/refused.js";

const parse = (f: string) => parseFilter(f, TASK_QUERY);

describe("$filter parsing", () => {
  test("comparisons on each type normalise the literal", () => {
    assert.deepEqual(parse("title eq 'Buy O''Neil'"), { op: "cmp", cmp: "eq", prop: "title", value: "buy o'neil" });
    assert.deepEqual(parse("status ge 'completed'"), { op: "cmp", cmp: "ge", prop: "status", value: 2 });
    assert.deepEqual(parse("importance eq microsoft.graph.importance'high'"), { op: "cmp", cmp: "eq", prop: "importance", value: 2 });
    assert.deepEqual(parse("isReminderOn ne true"), { op: "cmp", cmp: "ne", prop: "isReminderOn", value: true });
    assert.deepEqual(parse("lastModifiedDateTime ge 2026-01-01T00:00:00Z"), { op: "cmp", cmp: "ge", prop: "lastModifiedDateTime", value: "2026-01-01T00:00:00.000Z" });
    assert.deepEqual(parse("createdDateTime lt 2026-01-01T02:00:00.1234567+02:00"), { op: "cmp", cmp: "lt", prop: "createdDateTime", value: "2026-01-01T00:00:00.123Z" });
    assert.deepEqual(parse("createdDateTime lt '2026-01-01T00:00:00Z'").op, "cmp");
    assert.deepEqual(parse("dueDateTime/dateTime le '2026-03-01T00:00:00'"), { op: "cmp", cmp: "le", prop: "dueDateTime/dateTime", value: "2026-03-01T00:00:00.0000000" });
    assert.deepEqual(parse("dueDateTime/dateTime gt 2026-03-01T00:00:00Z"), { op: "cmp", cmp: "gt", prop: "dueDateTime/dateTime", value: "2026-03-01T00:00:00.0000000" });
    assert.deepEqual(parse("dueDateTime ne null"), { op: "cmp", cmp: "ne", prop: "dueDateTime", value: null });
    assert.deepEqual(parse("body/contentType eq 'html'"), { op: "cmp", cmp: "eq", prop: "body/contentType", value: 1 });
    assert.deepEqual(parseFilter("wellknownListName eq 'defaultList'", LIST_QUERY), { op: "cmp", cmp: "eq", prop: "wellknownListName", value: 1 });
  });

  test("in, startswith, contains, any; and/or/not with precedence and parentheses", () => {
    assert.deepEqual(parse("status in ('completed', 'deferred')"), { op: "in", prop: "status", values: [2, 4] });
    assert.deepEqual(parse("startsWith(title,'BUY')"), { op: "startswith", prop: "title", value: "buy" });
    assert.deepEqual(parse("contains(title, 'Milk') eq false"), { op: "not", inner: { op: "contains", prop: "title", value: "milk" } });
    assert.deepEqual(parse("categories/any(c:c eq 'Red' or c eq 'blue')"), { op: "any", prop: "categories", values: ["red", "blue"] });
    const e = parse("status eq 'completed' or importance eq 'high' and not isReminderOn eq true");
    assert.equal(e.op, "or");
    assert.equal((e as { right: Expr }).right.op, "and");
    assert.equal(parse("(status eq 'completed' or importance eq 'high') and isReminderOn eq true").op, "and");
  });

  test("an enum value outside the enum is a 400 naming the members (not an empty page)", () => {
    refused(() => parse("status eq 'done'"), "notStarted, inProgress, completed, waitingOnOthers, deferred");
    refused(() => parse("importance in ('low', 'urgent')"), "urgent");
    refused(() => parseFilter("wellknownListName eq 'inbox'", LIST_QUERY), "inbox");
    refused(() => parse("status eq microsoft.graph.importance'high'"), "not the type");
  });

  test("type mismatches, unknown names and malformed text are 400s naming the problem", () => {
    const cases: [string, string][] = [
      ["colour eq 'red'", "colour"],
      ["body/content eq 'x'", "body"],
      ["title eq 3", "string"],
      ["isReminderOn eq 'yes'", "boolean"],
      ["isReminderOn gt false", "boolean"],
      ["createdDateTime ge 2026-13-01T00:00:00Z", "DateTimeOffset"],
      ["createdDateTime ge 'yesterday'", "DateTimeOffset"],
      ["dueDateTime/dateTime ge '2026-02-30T00:00:00'", "date and time"],
      ["dueDateTime eq '2026-01-01'", "complex"],
      ["title gt null", "eq null"],
      ["categories eq 'Red'", "any"],
      ["categories/any(c:c ne 'Red')", "any()"],
      ["title/any(c:c eq 'a')", "not a collection"],
      ["endswith(title,'a')", "not supported"],
      ["contains(status,'a')", "string property"],
      ["title has 'a'", "not supported"],
      ["status in ()", "value"],
      ["title eq 'open", "unterminated"],
      ["title eq", "value"],
      ["title eq 'a' title", "unexpected text"],
      ["(title eq 'a'", "')'"],
      ["title eq 'a' # x", "unexpected"],
      ["", "empty"],
      [`${"(".repeat(33)}isReminderOn eq true${")".repeat(33)}`, "nested"],
      [`${"not ".repeat(33)}isReminderOn eq true`, "nested"],
      ["x".repeat(2049), "too long"],
    ];
    for (const [f, why] of cases) refused(() => parse(f), why);
  });

  test("any string is either a filter or a 400, never another error", () => {
    const alphabet = fc.constantFrom(..."()',/: eqnotandorinstatustitle0123-TZ".split(""), " eq ", " and ", " or ", "not ", "startswith(", "categories/any(", "2026-01-01T00:00:00Z");
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.array(alphabet, { maxLength: 30 }).map((a) => a.join(""))), (s) => {
        try {
          parse(s);
        } catch (e) {
          assert.ok(e instanceof GraphError && e.status === 400, `${JSON.stringify(s)} threw ${String(e)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("random printed filters parse to the tree they were printed from", () => {
    fc.assert(
      fc.property(filterSample, (s) => {
        if (s.text.length > 2048 || (s.text.match(/\(/g) ?? []).length > 30) return;
        assert.deepEqual(parse(s.text), s.expr, s.text);
      }),
      { numRuns: 1000 },
    );
  });

  test("DateTimeOffset literals normalise to UTC milliseconds, invalid ones to undefined", () => {
    assert.equal(normaliseDateTimeOffset("2026-06-30T23:30:00-01:00"), "2026-07-01T00:30:00.000Z");
    assert.equal(normaliseDateTimeOffset("2026-01-01T00:00Z"), "2026-01-01T00:00:00.000Z");
    for (const bad of ["2026-01-01T00:00:00", "2026-02-29T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00+15:00", "x"]) {
      assert.equal(normaliseDateTimeOffset(bad), undefined, bad);
    }
  });
});

describe("$orderby parsing", () => {
  test("keys with asc/desc (default asc), case-insensitive direction", () => {
    assert.deepEqual(parseOrderBy("dueDateTime/dateTime DESC, title", TASK_QUERY), [
      { prop: "dueDateTime/dateTime", desc: true },
      { prop: "title", desc: false },
    ]);
    assert.deepEqual(parseOrderBy("displayName desc", LIST_QUERY), [{ prop: "displayName", desc: true }]);
  });

  test("unknown, unsortable, repeated or malformed keys are 400s", () => {
    refused(() => parseOrderBy("colour", TASK_QUERY), "colour");
    refused(() => parseOrderBy("categories", TASK_QUERY), "categories");
    refused(() => parseOrderBy("dueDateTime", TASK_QUERY), "dueDateTime");
    refused(() => parseOrderBy("title,title desc", TASK_QUERY), "more than once");
    refused(() => parseOrderBy("title sideways", TASK_QUERY), "asc|desc");
    refused(() => parseOrderBy("", TASK_QUERY));
    refused(() => parseOrderBy("title,", TASK_QUERY));
  });

  test("random printed orders parse to their keys", () => {
    fc.assert(fc.property(orderSample, (o) => assert.deepEqual(parseOrderBy(o.text, TASK_QUERY), o.keys)));
  });
});

describe("evaluation and order in memory", () => {
  const view = { id: "b", title: "Buy Milk", status: "completed", importance: "high", isReminderOn: false, categories: ["Red"], createdDateTime: "2026-01-02T00:00:00Z" };
  const read = viewReader(TASK_QUERY, view);
  const yes = (f: string) => assert.equal(evaluate(parse(f), read), true, f);
  const no = (f: string) => assert.equal(evaluate(parse(f), read), false, f);

  test("unset values: comparisons false, ne true, eq null true", () => {
    yes("dueDateTime eq null");
    no("dueDateTime/dateTime gt '2000-01-01T00:00:00'");
    yes("dueDateTime/dateTime ne '2000-01-01T00:00:00'");
    no("not (dueDateTime/dateTime ne '2000-01-01T00:00:00')");
  });

  test("strings fold case; enums compare by ordinal; any over folded categories", () => {
    yes("title eq 'buy milk'");
    yes("contains(title,'MILK')");
    yes("startswith(title,'')");
    yes("status gt 'inProgress'");
    yes("importance ge 'normal'");
    yes("categories/any(c:c eq 'RED')");
    no("categories/any(c:c eq 'blue')");
    yes("createdDateTime eq 2026-01-02T01:00:00+01:00");
  });

  test("compareBy is a total order: nulls first ascending, last descending, ties broken by id", () => {
    const items = [
      { id: "c", title: "b" },
      { id: "a", title: "B" },
      { id: "b", title: undefined },
    ].map((v) => viewReader(TASK_QUERY, v));
    const ids = (keys: { prop: string; desc: boolean }[]) =>
      [...items].sort((x, y) => compareBy(keys, x, y)).map((r) => r("id"));
    assert.deepEqual(ids([{ prop: "title", desc: false }]), ["b", "a", "c"]);
    assert.deepEqual(ids([{ prop: "title", desc: true }]), ["c", "a", "b"]);
  });
});
