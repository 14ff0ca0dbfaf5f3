// OData query options on the lists and tasks collections over HTTP: paging with @odata.nextLink,
// $top limits, $select, $filter, and what bad options answer.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { enc, expectError } from "./_foundation.js";

let s: TestServer;
let token: string;
let tasksUrl: string;
/** Task ids in creation order; every 5th is completed, every 3rd is high, titles "Buy #n" / "Call #n". */
const ids: string[] = [];
const N = 63;

before(async () => {
  s = await startTestServer();
  token = await s.token({ user: "odata" });
  const l = await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: "Paging" } });
  tasksUrl = `${s.url}/v1.0/me/todo/lists/${enc(l.json.id)}/tasks`;
  for (let i = 0; i < N; i++) {
    const r = await call("POST", tasksUrl, {
      token,
      json: { title: `${i % 2 === 0 ? "Buy" : "Call"} #${i}`, status: i % 5 === 0 ? "completed" : "notStarted", importance: i % 3 === 0 ? "high" : "normal" },
    });
    assert.equal(r.status, 201, r.text);
    ids.push(r.json.id);
  }
});
after(() => s.close());

/** Follows nextLinks from `url`; returns every item and every page's size. */
async function walk(url: string): Promise<{ items: Record<string, unknown>[]; sizes: number[]; links: string[] }> {
  const items: Record<string, unknown>[] = [];
  const sizes: number[] = [];
  const links: string[] = [];
  let next: string | undefined = url;
  for (let guard = 0; next !== undefined; guard++) {
    assert.ok(guard < 100, "nextLink never ends");
    const r = await call("GET", next, { token });
    assert.equal(r.status, 200, r.text);
    items.push(...r.json.value);
    sizes.push(r.json.value.length);
    next = r.json["@odata.nextLink"];
    if (next) links.push(next);
  }
  return { items, sizes, links };
}

describe("paging", () => {
  test("the default page is 50, then @odata.nextLink (absolute, with a $skiptoken) gives the rest in creation order", async () => {
    const { items, sizes, links } = await walk(tasksUrl);
    assert.deepEqual(sizes, [50, N - 50]);
    assert.deepEqual(items.map((t) => t.id), ids);
    assert.equal(links.length, 1);
    const next = new URL(links[0]!);
    assert.equal(`${next.origin}${next.pathname}`, tasksUrl);
    assert.ok(next.searchParams.get("$skiptoken"), links[0]);
    assert.equal(next.searchParams.get("$skip"), null);
    assert.ok(links[0]!.includes("$skiptoken="), "the $ is not percent-encoded");
  });

  test("$top sets the page size; nextLink keeps the other options", async () => {
    const { items, sizes, links } = await walk(`${tasksUrl}?$top=10&$select=title`);
    assert.deepEqual(sizes, [10, 10, 10, 10, 10, 10, 3]);
    assert.deepEqual(items.map((t) => t.id), ids);
    for (const t of items) assert.deepEqual(Object.keys(t).sort(), ["@odata.etag", "id", "title"]);
    links.forEach((l, i) => {
      const u = new URL(l);
      assert.equal(u.searchParams.get("$top"), "10");
      assert.equal(u.searchParams.get("$select"), "title");
      assert.ok(u.searchParams.get("$skiptoken"), l);
    });
  });

  test("nextLink keeps a $filter with spaces and quotes", async () => {
    const filter = "startsWith(title,'Buy') and status ne 'completed'";
    const { items, sizes } = await walk(`${tasksUrl}?$filter=${encodeURIComponent(filter)}&$top=7`);
    const expected = ids.filter((_, i) => i % 2 === 0 && i % 5 !== 0);
    assert.deepEqual(items.map((t) => t.id), expected);
    assert.ok(sizes.length > 2);
  });

  test("$skip alone skips; beyond the end gives an empty page without nextLink", async () => {
    const r = await call("GET", `${tasksUrl}?$skip=60`, { token });
    assert.deepEqual(r.json.value.map((t: { id: string }) => t.id), ids.slice(60));
    assert.equal(r.json["@odata.nextLink"], undefined);
    const far = await call("GET", `${tasksUrl}?$skip=1000`, { token });
    assert.deepEqual(far.json.value, []);
    assert.equal(far.json["@odata.nextLink"], undefined);
  });

  test("$top=999 is allowed and returns everything; $top=0 returns nothing and no endless nextLink", async () => {
    const all = await call("GET", `${tasksUrl}?$top=999`, { token });
    assert.equal(all.status, 200);
    assert.equal(all.json.value.length, N);
    assert.equal(all.json["@odata.nextLink"], undefined);
    const none = await call("GET", `${tasksUrl}?$top=0`, { token });
    assert.equal(none.status, 200);
    assert.deepEqual(none.json.value, []);
    assert.equal(none.json["@odata.nextLink"], undefined);
  });

  test("lists page the same way", async () => {
    const t = await s.token({ user: "many-lists" });
    const made: string[] = [];
    for (let i = 0; i < 4; i++) made.push((await call("POST", `${s.url}/beta/me/todo/lists`, { token: t, json: { displayName: `L${i}` } })).json.id);
    const r = await call("GET", `${s.url}/beta/me/todo/lists?$top=2&$skip=1`, { token: t });
    assert.deepEqual(r.json.value.map((l: { id: string }) => l.id), made.slice(0, 2));
    // After a client's $skip, the nextLink continues by key from this page's last list.
    const next = await call("GET", r.json["@odata.nextLink"], { token: t });
    assert.deepEqual(next.json.value.map((l: { id: string }) => l.id), made.slice(2, 4));
    assert.ok(r.json["@odata.nextLink"].startsWith(`${s.url}/beta/me/todo/lists?`));
  });
});

describe("$select", () => {
  test("keeps id and @odata.etag besides the selected properties, on collections and single entities", async () => {
    const r = await call("GET", `${tasksUrl}?$select=status,importance&$top=3`, { token });
    for (const t of r.json.value) assert.deepEqual(Object.keys(t).sort(), ["@odata.etag", "id", "importance", "status"]);
    const one = await call("GET", `${tasksUrl}/${enc(ids[0]!)}?$select=title`, { token });
    assert.equal(one.status, 200);
    assert.deepEqual(Object.keys(one.json).sort(), ["@odata.context", "@odata.etag", "id", "title"]);
    const lists = await call("GET", `${s.url}/v1.0/me/todo/lists?$select=displayName`, { token });
    for (const l of lists.json.value) assert.deepEqual(Object.keys(l).sort(), ["@odata.etag", "displayName", "id"]);
  });

  test("an unset optional property selected is simply absent", async () => {
    const r = await call("GET", `${tasksUrl}?$select=dueDateTime&$top=1`, { token });
    assert.deepEqual(Object.keys(r.json.value[0]).sort(), ["@odata.etag", "id"]);
  });
});

describe("$filter", () => {
  const cases: [string, (i: number) => boolean][] = [
    ["status eq 'completed'", (i) => i % 5 === 0],
    ["status ne 'completed'", (i) => i % 5 !== 0],
    ["importance eq 'high' and status eq 'completed'", (i) => i % 3 === 0 && i % 5 === 0],
    ["importance eq 'high' or status eq 'completed'", (i) => i % 3 === 0 || i % 5 === 0],
    ["startsWith(title, 'Call')", (i) => i % 2 === 1],
    ["startswith(title,'call')", (i) => i % 2 === 1],
    ["title eq 'Buy #4'", (i) => i === 4],
    ["(status eq 'completed' or importance eq 'high') and startsWith(title,'Buy')", (i) => (i % 5 === 0 || i % 3 === 0) && i % 2 === 0],
    ["not (status eq 'completed')", (i) => i % 5 !== 0],
    ["body/contentType eq 'text'", () => true],
    ["isReminderOn eq false", () => true],
    ["dueDateTime eq null", () => true],
    ["title eq 'nothing like this'", () => false],
  ];
  for (const [filter, want] of cases) {
    test(filter, async () => {
      const r = await call("GET", `${tasksUrl}?$top=999&$filter=${encodeURIComponent(filter)}`, { token });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.value.map((t: { id: string }) => t.id), ids.filter((_, i) => want(i)));
    });
  }

  test("on lists: wellknownListName eq 'defaultList'", async () => {
    const r = await call("GET", `${s.url}/v1.0/me/todo/lists?$filter=${encodeURIComponent("wellknownListName eq 'defaultList'")}`, { token });
    assert.equal(r.json.value.length, 1);
    assert.equal(r.json.value[0].displayName, "Tasks");
  });
});

describe("bad query options → 400 invalidRequest", () => {
  const bad = [
    "$top=1000",
    "$top=-1",
    "$top=ten",
    "$top=1.5",
    "$top=",
    "$skip=-5",
    "$skip=x",
    "$top=1&$top=2",
    "$select=nope",
    "$select=title,,id",
    "$select=",
    "$filter=title has 'a'",
    "$filter=colour eq 'red'",
    "$filter=title eq",
    "$filter=title eq 'unterminated",
    "$filter=(title eq 'a'",
    "$filter=title eq 'a' extra",
    "$filter=startsWith(title, 5)",
    "$filter=endswith(title,'a')",
    "$filter=status eq 'done'",
    "$orderby=colour",
    "$count=yes",
    "$search=milk",
    "$filter=title eq 'a' & 1",
    "$unknown=1",
  ];
  for (const q of bad) {
    test(q, async () => {
      const [k, ...v] = q.split("=");
      const query = q.includes("&$top") ? q : `${k}=${encodeURIComponent(v.join("="))}`;
      const r = await call("GET", `${tasksUrl}?${query}`, { token });
      expectError(r, 400, "invalidRequest", "ErrorInvalidRequest");
    });
  }

  test("$select on a single entity is validated too", async () => {
    expectError(await call("GET", `${tasksUrl}/${enc(ids[0]!)}?$select=bogus`, { token }), 400, "invalidRequest");
  });

  test("a filter nested too deeply or too long is refused, not a crash", async () => {
    const deep = `${"(".repeat(40)}title eq 'a'${")".repeat(40)}`;
    expectError(await call("GET", `${tasksUrl}?$filter=${encodeURIComponent(deep)}`, { token }), 400, "invalidRequest");
    const long = Array.from({ length: 200 }, (_, i) => `title eq 'x${i}'`).join(" or ");
    expectError(await call("GET", `${tasksUrl}?$filter=${encodeURIComponent(long)}`, { token }), 400, "invalidRequest");
  });

  test("$count, $orderby and $expand on a task collection are answered, not refused", async () => {
    for (const q of ["$count=true", "$orderby=title", "$expand=checklistItems"]) {
      assert.equal((await call("GET", `${tasksUrl}?${q}&$top=1`, { token })).status, 200, q);
    }
  });
});
