import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { GraphError } from "../../src/domain/errors.js";
import { DEFAULT_PAGE_SIZE, MAX_TOP, matches, page, parseFilter, parseQuery, project, type EntityShape, type Filter } from "../../src/domain/odata.js";
import { refused } from "../helpers/refused.js";

const SHAPE: EntityShape = { typeName: "test.item", properties: new Set(["id", "title", "status", "count", "done", "body"]) };


describe("parseQuery", () => {
  test("defaults: page of 50 from the start, no $select or $filter", () => {
    assert.deepEqual(parseQuery({}, SHAPE), { top: DEFAULT_PAGE_SIZE, skip: 0, select: undefined, filter: undefined });
  });

  test("$top from 0 to 999 and $skip are whole numbers", () => {
    assert.equal(parseQuery({ $top: "0" }, SHAPE).top, 0);
    assert.equal(parseQuery({ $top: String(MAX_TOP) }, SHAPE).top, 999);
    assert.equal(parseQuery({ $skip: "120" }, SHAPE).skip, 120);
    refused(() => parseQuery({ $top: "1000" }, SHAPE), "999");
    for (const v of ["-1", "1.0", "1e3", " 5", "", "0x10", "9999999999"]) refused(() => parseQuery({ $top: v }, SHAPE));
    for (const v of ["-1", "x", ""]) refused(() => parseQuery({ $skip: v }, SHAPE));
  });

  test("repeated options and unknown $-options are refused; ignored and non-$ ones pass", () => {
    refused(() => parseQuery({ $top: ["1", "2"] }, SHAPE), "more than once");
    refused(() => parseQuery({ $search: undefined, $bogus: "1" }, SHAPE), "$bogus");
    assert.doesNotThrow(() => parseQuery({ $count: "true", $orderby: "title", $expand: "x", tenant: "anything" }, SHAPE));
  });

  test("$select names known properties, trimmed", () => {
    assert.deepEqual(parseQuery({ $select: "title, status" }, SHAPE).select, ["title", "status"]);
    refused(() => parseQuery({ $select: "title,colour" }, SHAPE), "colour");
    refused(() => parseQuery({ $select: "" }, SHAPE));
    refused(() => parseQuery({ $select: "title," }, SHAPE));
  });
});

describe("parseFilter and matches", () => {
  const item = { id: "1", title: "Buy O'Neil milk", status: "completed", count: 3, done: true, body: { contentType: "html" } };
  const yes = (f: string) => assert.equal(matches(parseFilter(f, SHAPE), item), true, f);
  const no = (f: string) => assert.equal(matches(parseFilter(f, SHAPE), item), false, f);

  test("eq and ne on strings (case-insensitive), numbers, booleans and null", () => {
    yes("status eq 'completed'");
    yes("status eq 'COMPLETED'");
    no("status ne 'completed'");
    yes("count eq 3");
    no("count eq 4");
    yes("done eq true");
    yes("done ne false");
    yes("id ne null");
    yes("title eq 'Buy O''Neil milk'");
    yes("body/contentType eq 'html'");
    yes("body/missing eq null");
  });

  test("startsWith (either spelling, case-insensitive), and/or/not with precedence and parentheses", () => {
    yes("startsWith(title,'buy')");
    yes("startswith( title , 'BUY O''N' )");
    no("startsWith(title,'milk')");
    no("startsWith(count,'3')");
    yes("status eq 'x' or status eq 'completed' and done eq true");
    no("(status eq 'x' or status eq 'completed') and done eq false");
    yes("not status eq 'x'");
    yes("not (status eq 'x' and done eq true)");
  });

  test("refuses what it does not support, naming the problem", () => {
    refused(() => parseFilter("count gt 1", SHAPE), "'gt' is not supported");
    refused(() => parseFilter("colour eq 'red'", SHAPE), "colour");
    refused(() => parseFilter("contains(title,'x')", SHAPE));
    refused(() => parseFilter("title eq 'open", SHAPE), "unterminated");
    refused(() => parseFilter("title eq", SHAPE));
    refused(() => parseFilter("title eq 'a' title", SHAPE), "unexpected text");
    refused(() => parseFilter("(title eq 'a'", SHAPE));
    refused(() => parseFilter("startsWith(title, 1)", SHAPE), "string");
    refused(() => parseFilter("title eq 'a' # x", SHAPE));
    refused(() => parseFilter("", SHAPE));
    refused(() => parseFilter(`${"(".repeat(33)}done eq true${")".repeat(33)}`, SHAPE), "nested");
    refused(() => parseFilter("x".repeat(2049), SHAPE), "too long");
  });

  test("any string is either a filter or a 400, never another error", () => {
    const alphabet = fc.constantFrom(..."()',/ eqnotandorstartsWithtitlestatuscount0123-'".split(""), " eq ", " and ", " or ", "not ", "startsWith(");
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.array(alphabet, { maxLength: 30 }).map((a) => a.join(""))), (s) => {
        try {
          parseFilter(s, SHAPE);
        } catch (e) {
          assert.ok(e instanceof GraphError && e.status === 400, `${JSON.stringify(s)} threw ${String(e)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  // Differential: random expressions printed as OData text, parsed, evaluated; compared with a
  // direct evaluation of the same expression.
  type Expr =
    | { k: "eq" | "ne"; p: "title" | "status"; v: string }
    | { k: "sw"; v: string }
    | { k: "and" | "or"; a: Expr; b: Expr }
    | { k: "not"; a: Expr };
  const word = fc.string({ maxLength: 4, unit: fc.constantFrom("a", "B", "'", " ", "é") });
  const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
    e: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.record({ k: fc.constantFrom("eq" as const, "ne" as const), p: fc.constantFrom("title" as const, "status" as const), v: word }),
      fc.record({ k: fc.constant("sw" as const), v: word }),
      fc.record({ k: fc.constantFrom("and" as const, "or" as const), a: tie("e"), b: tie("e") }),
      fc.record({ k: fc.constant("not" as const), a: tie("e") }),
    ),
  })).e;
  const q = (v: string) => `'${v.replace(/'/g, "''")}'`;
  const print = (e: Expr): string => {
    switch (e.k) {
      case "eq":
      case "ne":
        return `${e.p} ${e.k} ${q(e.v)}`;
      case "sw":
        return `startsWith(title,${q(e.v)})`;
      case "not":
        return `not (${print(e.a)})`;
      default:
        return `(${print(e.a)}) ${e.k} (${print(e.b)})`;
    }
  };
  const evaluate = (e: Expr, it: { title: string; status: string }): boolean => {
    switch (e.k) {
      case "eq":
        return it[e.p].toLowerCase() === e.v.toLowerCase();
      case "ne":
        return it[e.p].toLowerCase() !== e.v.toLowerCase();
      case "sw":
        return it.title.toLowerCase().startsWith(e.v.toLowerCase());
      case "not":
        return !evaluate(e.a, it);
      case "and":
        return evaluate(e.a, it) && evaluate(e.b, it);
      case "or":
        return evaluate(e.a, it) || evaluate(e.b, it);
    }
  };
  test("printed expressions parse and evaluate as written", () => {
    fc.assert(
      fc.property(expr, fc.record({ title: word, status: word }), (e, it) => {
        const text = print(e);
        if (text.length > 2048 || (text.match(/\(/g) ?? []).length > 32) return;
        const f: Filter = parseFilter(text, SHAPE);
        assert.equal(matches(f, it), evaluate(e, it), text);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("page and project", () => {
  const view = (n: number) => ({ id: String(n), title: `t${n}`, status: n % 2 ? "odd" : "even" });

  test("walking pages by $skip yields every matching item once, in order, and 'more' only while some remain", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 25 }), fc.boolean(), (n, top, filtered) => {
        const items = Array.from({ length: n }, (_, i) => i);
        const filter = filtered ? parseFilter("status eq 'odd'", SHAPE) : undefined;
        const want = items.filter((i) => !filtered || i % 2 === 1).map(String);
        const got: string[] = [];
        let skip = 0;
        for (let guard = 0; ; guard++) {
          assert.ok(guard <= 61);
          const r = page(items, { top, skip, select: undefined, filter }, view);
          got.push(...r.value.map((v) => v.id as string));
          assert.equal(r.more, skip + top < want.length);
          if (!r.more) break;
          skip += top;
        }
        assert.deepEqual(got, want);
      }),
    );
  });

  test("$top=0 gives an empty page that claims no more (a nextLink would repeat itself forever)", () => {
    const r = page([1, 2, 3], { top: 0, skip: 0, select: undefined, filter: undefined }, view);
    assert.deepEqual(r, { value: [], more: false });
  });

  test("project keeps id, @odata.etag and @odata.type besides the selected properties", () => {
    const v = { "@odata.etag": 'W/"1"', "@odata.type": "#t", id: "1", title: "x", status: "y", body: {} };
    assert.deepEqual(project(v, ["title"]), { "@odata.etag": 'W/"1"', "@odata.type": "#t", id: "1", title: "x" });
    assert.equal(project(v, undefined), v);
    assert.deepEqual(project(v, ["missing"]), { "@odata.etag": 'W/"1"', "@odata.type": "#t", id: "1" });
  });
});
