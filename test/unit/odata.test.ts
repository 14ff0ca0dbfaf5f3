import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { DEFAULT_PAGE_SIZE, entitySelect, MAX_TOP, pageSize, parseQuery, project, refuseQueryOptions, withDollarPrefixes, type EntityShape } from "../../src/domain/odata.js";
import { pageInMemory, parseFilter, viewReader, type QuerySchema } from "../../src/domain/query.js";
import { refused } from "../helpers/refused.js";

const QUERY: QuerySchema = {
  typeName: "test.item",
  props: { id: { type: { kind: "id" }, sortable: true }, title: { type: { kind: "string" }, sortable: true }, status: { type: { kind: "string" }, sortable: true } },
};
const SHAPE: EntityShape = { typeName: "test.item", properties: new Set(["id", "title", "status", "count", "done", "body"]), query: QUERY };


describe("parseQuery", () => {
  test("defaults: page of 50 from the start, no $select or $filter", () => {
    assert.deepEqual(parseQuery({}, SHAPE), { top: DEFAULT_PAGE_SIZE, topGiven: undefined, skip: 0, select: undefined, filter: undefined, orderBy: [], count: false });
  });

  test("$top from 0 to 999 and $skip are whole numbers", () => {
    assert.equal(parseQuery({ $top: "0" }, SHAPE).top, 0);
    assert.equal(parseQuery({ $top: String(MAX_TOP) }, SHAPE).top, 999);
    assert.equal(parseQuery({ $skip: "120" }, SHAPE).skip, 120);
    refused(() => parseQuery({ $top: "1000" }, SHAPE), "999");
    for (const v of ["-1", "1.0", "1e3", " 5", "", "0x10", "9999999999"]) refused(() => parseQuery({ $top: v }, SHAPE));
    for (const v of ["-1", "x", ""]) refused(() => parseQuery({ $skip: v }, SHAPE));
  });

  test("repeated options and unknown $-options are refused; $format=json and non-$ ones pass", () => {
    refused(() => parseQuery({ $top: ["1", "2"] }, SHAPE), "more than once");
    refused(() => parseQuery({ $bogus: "1" }, SHAPE), "$bogus");
    assert.doesNotThrow(() => parseQuery({ $format: "json", tenant: "anything" }, SHAPE));
    refused(() => parseQuery({ $format: "xml" }, SHAPE), "$format=json is the only format");
    // $expand is the route's on a type with navigation properties, refused on one without.
    refused(() => parseQuery({ $expand: "x" }, SHAPE), "Could not find a property named 'x'");
    assert.doesNotThrow(() => parseQuery({ $expand: "x" }, { ...SHAPE, expandable: true }));
  });

  test("one entity takes $select, $format and (expandable types) $expand; collection options are OData's 400", () => {
    assert.deepEqual(entitySelect({ $select: "title", $format: "json" }, SHAPE), ["title"]);
    for (const k of ["$filter", "$orderby", "$count", "$skip", "$top"]) refused(() => entitySelect({ [k]: "1" }, SHAPE), "The requested resource is not a collection.");
    refused(() => entitySelect({ $levels: "1" }, SHAPE), "$levels");
    refused(() => entitySelect({ $search: "a" }, SHAPE), "$search");
  });

  test("$-less system options read as the $ forms; both spellings are a repeat", () => {
    assert.deepEqual(withDollarPrefixes({ top: "1", select: "x", tenant: "t" }), { $top: "1", $select: "x", tenant: "t" });
    refused(() => withDollarPrefixes({ top: "1", $top: "2" }), "more than once");
    refused(() => refuseQueryOptions({ $select: "x" }, "DELETE"), "does not apply to DELETE");
    assert.doesNotThrow(() => refuseQueryOptions({ tenant: "t" }, "DELETE"));
  });

  test("$search is refused (Graph documents it for messages, people and directory objects only)", () => {
    refused(() => parseQuery({ $search: '"milk"' }, SHAPE), "$search");
    refused(() => parseQuery({ $search: undefined }, SHAPE), "$search");
  });

  test("$count is true or false; $orderby is parsed against the schema", () => {
    assert.equal(parseQuery({ $count: "true" }, SHAPE).count, true);
    assert.equal(parseQuery({ $count: "FALSE" }, SHAPE).count, false);
    for (const v of ["", "1", "yes"]) refused(() => parseQuery({ $count: v }, SHAPE), "true or false");
    assert.deepEqual(parseQuery({ $orderby: "title desc,status" }, SHAPE).orderBy, [{ prop: "title", desc: true }, { prop: "status", desc: false }]);
    refused(() => parseQuery({ $orderby: "colour" }, SHAPE), "colour");
  });

  test("the page size: $top, else the preference, the smaller of both when both are given", () => {
    assert.equal(pageSize(parseQuery({}, SHAPE), undefined), DEFAULT_PAGE_SIZE);
    assert.equal(pageSize(parseQuery({}, SHAPE), 7), 7);
    assert.equal(pageSize(parseQuery({ $top: "5" }, SHAPE), 7), 5);
    assert.equal(pageSize(parseQuery({ $top: "9" }, SHAPE), 7), 7);
    assert.equal(pageSize(parseQuery({ $top: "9" }, SHAPE), undefined), 9);
  });

  test("$select names known properties, trimmed", () => {
    assert.deepEqual(parseQuery({ $select: "title, status" }, SHAPE).select, ["title", "status"]);
    refused(() => parseQuery({ $select: "title,colour" }, SHAPE), "colour");
    refused(() => parseQuery({ $select: "" }, SHAPE));
    refused(() => parseQuery({ $select: "title," }, SHAPE));
  });
});

describe("page and project", () => {
  const view = (n: number) => ({ id: String(n), title: `t${n}`, status: n % 2 ? "odd" : "even" });

  test("walking pages by $skip yields every matching item once, in order, and 'more' only while some remain", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 25 }), fc.boolean(), (n, top, filtered) => {
        const items = Array.from({ length: n }, (_, i) => i);
        const filter = filtered ? parseFilter("status eq 'odd'", QUERY) : undefined;
        const want = items.filter((i) => !filtered || i % 2 === 1).map(String);
        const got: string[] = [];
        let skip = 0;
        for (let guard = 0; ; guard++) {
          assert.ok(guard <= 61);
          const r = pageInMemory(items, { top, skip, filter, orderBy: [], count: true }, (i) => viewReader(QUERY, view(i)));
          assert.equal(r.count, want.length);
          got.push(...r.items.map(String));
          assert.equal(r.more, skip + top < want.length);
          if (!r.more) break;
          skip += top;
        }
        assert.deepEqual(got, want);
      }),
    );
  });

  test("$top=0 gives an empty page that claims no more (a nextLink would repeat itself forever)", () => {
    const r = pageInMemory([1, 2, 3], { top: 0, skip: 0, filter: undefined, orderBy: [], count: false }, (i) => viewReader(QUERY, view(i)));
    assert.deepEqual(r, { items: [], more: false, count: undefined });
  });

  test("project keeps id, @odata.etag and @odata.type besides the selected properties", () => {
    const v = { "@odata.etag": 'W/"1"', "@odata.type": "#t", id: "1", title: "x", status: "y", body: {} };
    assert.deepEqual(project(v, ["title"]), { "@odata.etag": 'W/"1"', "@odata.type": "#t", id: "1", title: "x" });
    assert.equal(project(v, undefined), v);
    assert.deepEqual(project(v, ["missing"]), { "@odata.etag": 'W/"1"', "@odata.type": "#t", id: "1" });
  });
});
