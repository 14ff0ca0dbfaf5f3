// $orderby, $count, the /$count segment, Prefer: odata.maxpagesize and the richer $filter over
// HTTP (issue 15), on lists and tasks, alone and combined, and what each refuses.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { enc, expectError, oidOf } from "./_foundation.js";

let s: TestServer;
let token: string;
let listUrl: string;
let tasksUrl: string;
interface Made {
  id: string;
  title: string;
  status: string;
  importance: string;
  due: string | undefined;
  categories: string[];
  i: number;
}
const made: Made[] = [];
const N = 30;
const STATUS = ["notStarted", "inProgress", "completed"];
const IMPORTANCE = ["low", "normal", "high"];

before(async () => {
  s = await startTestServer();
  token = await s.token({ user: "queries" });
  const l = await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: "Queries" } });
  listUrl = `${s.url}/v1.0/me/todo/lists/${enc(l.json.id)}`;
  tasksUrl = `${listUrl}/tasks`;
  for (let i = 0; i < N; i++) {
    // Titles repeat (ties broken by id), mixed case (ordered folded), dates on two thirds.
    const m = { title: `${i % 2 ? "b" : "A"}-${i % 5}`, status: STATUS[i % 3]!, importance: IMPORTANCE[(i * 7) % 3]!, due: i % 3 === 2 ? undefined : `2026-02-${String(1 + (i % 10)).padStart(2, "0")}T00:00:00.0000000`, categories: i % 4 === 0 ? ["Red"] : i % 4 === 1 ? ["blue", "Red"] : [] };
    const json: Record<string, unknown> = { title: m.title, status: m.status, importance: m.importance, categories: m.categories };
    if (m.due) json.dueDateTime = { dateTime: m.due, timeZone: "UTC" };
    const r = await call("POST", tasksUrl, { token, json });
    assert.equal(r.status, 201, r.text);
    made.push({ ...m, id: r.json.id, i });
  }
});
after(() => s.close());

const get = (url: string, headers?: Record<string, string>) => call("GET", url, { token, headers });
const q = (query: Record<string, string>) => `${tasksUrl}?${Object.entries(query).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}`;

async function walk(url: string, headers?: Record<string, string>): Promise<{ ids: string[]; pages: number; links: string[] }> {
  const ids: string[] = [];
  const links: string[] = [];
  let pages = 0;
  for (let next: string | undefined = url; next; pages++) {
    assert.ok(pages < 100, "nextLink never ends");
    const r = await get(next, headers);
    assert.equal(r.status, 200, r.text);
    ids.push(...r.json.value.map((t: { id: string }) => t.id));
    next = r.json["@odata.nextLink"];
    if (next) links.push(next);
  }
  return { ids, pages, links };
}

const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
/** The expected order: keys folded as Taskdrop compares them, nulls first ascending, id last in the last key's direction. */
function ordered(items: Made[], keys: [(m: Made) => string | number | undefined, boolean][]): string[] {
  const last = keys[keys.length - 1]![1];
  return [...items]
    .sort((x, y) => {
      for (const [f, desc] of [...keys, [(m: Made) => m.id, last] as [(m: Made) => string, boolean]]) {
        const a = f(x);
        const b = f(y);
        const c = a === b ? 0 : a === undefined ? -1 : b === undefined ? 1 : cmp(a, b);
        if (c !== 0) return desc ? -c : c;
      }
      return 0;
    })
    .map((m) => m.id);
}
const title = (m: Made) => m.title.toLowerCase();

describe("$orderby", () => {
  test("createdDateTime desc with $top=2 gives the two newest (not the oldest)", async () => {
    const r = await get(q({ $orderby: "createdDateTime desc", $top: "2" }));
    assert.deepEqual(r.json.value.map((t: { id: string }) => t.id), [made[N - 1]!.id, made[N - 2]!.id]);
  });

  const cases: [string, [(m: Made) => string | number | undefined, boolean][]][] = [
    ["title", [[title, false]]],
    ["title desc", [[title, true]]],
    ["importance desc,title", [[(m) => IMPORTANCE.indexOf(m.importance), true], [title, false]]],
    ["status,dueDateTime/dateTime desc", [[(m) => STATUS.indexOf(m.status), false], [(m) => m.due, true]]],
    ["dueDateTime/dateTime", [[(m) => m.due, false]]],
  ];
  for (const [order, keys] of cases) {
    test(`${order}: every page in order, nextLinks keep the order`, async () => {
      const { ids, links } = await walk(q({ $orderby: order, $top: "7" }));
      assert.deepEqual(ids, ordered(made, keys));
      for (const l of links) assert.equal(new URL(l).searchParams.get("$orderby"), order);
    });
  }

  test("with $filter, $skip and $select", async () => {
    const r = await get(q({ $orderby: "title desc", $filter: "status ne 'completed'", $skip: "3", $top: "4", $select: "title" }));
    const want = ordered(made.filter((m) => m.status !== "completed"), [[title, true]]).slice(3, 7);
    assert.deepEqual(r.json.value.map((t: { id: string }) => t.id), want);
    for (const t of r.json.value) assert.deepEqual(Object.keys(t).sort(), ["@odata.etag", "id", "title"]);
  });

  test("lists order by displayName", async () => {
    const t = await s.token({ user: "queries-lists" });
    for (const n of ["beta", "Alpha", "gamma"]) await call("POST", `${s.url}/v1.0/me/todo/lists`, { token: t, json: { displayName: n } });
    const r = await call("GET", `${s.url}/v1.0/me/todo/lists?$orderby=displayName desc&$select=displayName`, { token: t });
    assert.deepEqual(r.json.value.map((l: { displayName: string }) => l.displayName), ["Tasks", "gamma", "beta", "Alpha"]);
  });

  for (const bad of ["colour", "categories", "body", "title up", "title,title", "", "dueDateTime"]) {
    test(`$orderby=${bad} → 400`, async () => void expectError(await get(q({ $orderby: bad })), 400, "invalidRequest"));
  }
});

describe("$count", () => {
  test("$count=true adds @odata.count (all matches, not the page) before value", async () => {
    const r = await get(q({ $count: "true", $top: "5", $filter: "importance eq 'high'" }));
    assert.equal(r.json["@odata.count"], made.filter((m) => m.importance === "high").length);
    assert.equal(r.json.value.length, 5);
    assert.deepEqual(Object.keys(r.json).slice(0, 3), ["@odata.context", "@odata.count", "value"]);
    assert.equal(new URL(r.json["@odata.nextLink"]).searchParams.get("$count"), "true");
    const off = await get(q({ $count: "false" }));
    assert.equal(off.json["@odata.count"], undefined);
  });

  test("…/tasks/$count and …/lists/$count answer the number as text/plain, $filter applies", async () => {
    const all = await get(`${tasksUrl}/$count`);
    assert.equal(all.status, 200);
    assert.match(all.headers.get("content-type")!, /^text\/plain/);
    assert.equal(all.text, String(N));
    const some = await get(`${tasksUrl}/$count?$filter=${encodeURIComponent("categories/any(c:c eq 'red')")}`);
    assert.equal(some.text, String(made.filter((m) => m.categories.includes("Red")).length));
    const lists = await get(`${s.url}/v1.0/users/${enc(oidOf("queries"))}/todo/lists/$count`);
    assert.equal(lists.text, "2");
  });

  test("$count: options other than $filter are refused; $count is no list id", async () => {
    expectError(await get(`${tasksUrl}/$count?$top=1`), 400, "invalidRequest");
    expectError(await get(`${tasksUrl}/$count?$filter=${encodeURIComponent("status eq 'done'")}`), 400, "invalidRequest");
    expectError(await get(`${s.url}/v1.0/me/todo/lists/$count/tasks`), 400, "BadRequest");
  });
});

describe("Prefer: odata.maxpagesize", () => {
  test("sets the page size and is answered with Preference-Applied; the smaller of it and $top wins", async () => {
    const r = await get(tasksUrl, { prefer: "odata.maxpagesize=4" });
    assert.equal(r.json.value.length, 4);
    assert.equal(r.headers.get("preference-applied"), "odata.maxpagesize=4");
    const { ids, pages } = await walk(tasksUrl, { prefer: "odata.maxpagesize=4" });
    assert.deepEqual(ids, made.map((m) => m.id));
    assert.equal(pages, Math.ceil(N / 4));
    assert.equal((await get(q({ $top: "3" }), { prefer: "odata.maxpagesize=4" })).json.value.length, 3);
    assert.equal((await get(q({ $top: "9" }), { prefer: "odata.maxpagesize=4" })).json.value.length, 4);
  });

  test("a preference it cannot honour is ignored, not an error", async () => {
    for (const p of ["odata.maxpagesize=0", "odata.maxpagesize=many", "respond-async"]) {
      const r = await get(tasksUrl, { prefer: p });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("preference-applied"), null);
      assert.equal(r.json.value.length, N);
    }
  });
});

describe("$filter", () => {
  const cases: [string, (m: Made) => boolean][] = [
    ["status in ('completed', 'inProgress')", (m) => m.status !== "notStarted"],
    ["importance ge 'normal'", (m) => m.importance !== "low"],
    ["contains(title, '-3')", (m) => m.title.endsWith("-3")],
    ["startswith(title, 'a') and not (status eq 'completed')", (m) => m.title.startsWith("A") && m.status !== "completed"],
    ["dueDateTime/dateTime ge '2026-02-05T00:00:00' and dueDateTime/dateTime lt 2026-02-08T00:00:00Z", (m) => m.due !== undefined && m.due >= "2026-02-05" && m.due < "2026-02-08"],
    ["dueDateTime eq null", (m) => m.due === undefined],
    ["categories/any(c: c eq 'BLUE')", (m) => m.categories.includes("blue")],
    ["lastModifiedDateTime ge 2020-01-01T00:00:00Z", () => true],
    ["createdDateTime lt 2020-01-01T00:00:00Z", () => false],
    ["hasAttachments eq false and isReminderOn eq false", () => true],
  ];
  for (const [filter, want] of cases) {
    test(filter, async () => {
      const r = await get(q({ $filter: filter, $top: "999", $count: "true" }));
      assert.equal(r.status, 200, r.text);
      const expected = made.filter(want).map((m) => m.id);
      assert.deepEqual(r.json.value.map((t: { id: string }) => t.id), expected);
      assert.equal(r.json["@odata.count"], expected.length);
    });
  }

  test("an out-of-enum value is a 400 naming the members, not an empty page", async () => {
    const r = await get(q({ $filter: "status eq 'done'" }));
    const e = expectError(r, 400, "invalidRequest");
    assert.match(JSON.stringify(e), /notStarted/);
  });

  for (const bad of ["createdDateTime ge 2026-02-30T00:00:00Z", "title gt 5", "isReminderOn lt true", "endswith(title,'a')", "categories eq 'Red'", "colour eq 'x'"]) {
    test(`${bad} → 400`, async () => void expectError(await get(q({ $filter: bad })), 400, "invalidRequest"));
  }

  test("$search is refused on tasks and lists", async () => {
    expectError(await get(`${tasksUrl}?$search=${encodeURIComponent('"A"')}`), 400, "invalidRequest");
    expectError(await get(`${s.url}/v1.0/me/todo/lists?$search=x`), 400, "invalidRequest");
  });
});
