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

// ---- further combinations and errors ----

type Seen = { id: string; createdDateTime: string; lastModifiedDateTime: string };
/** All tasks as the server reports them, for orders on timestamps (equal timestamps fall to id). */
async function seen(): Promise<Seen[]> {
  return (await get(q({ $top: "999" }))).json.value;
}
function byStamp(items: Seen[], key: "createdDateTime" | "lastModifiedDateTime", desc: boolean): string[] {
  const ms = (v: string) => Date.parse(v);
  return [...items]
    .sort((a, b) => {
      const c = cmp(ms(a[key]), ms(b[key])) || cmp(a.id, b.id);
      return desc ? -c : c;
    })
    .map((t) => t.id);
}

describe("$orderby on timestamps", () => {
  test("createdDateTime asc walks the creation order", async () => {
    const { ids } = await walk(q({ $orderby: "createdDateTime asc", $top: "8" }));
    assert.deepEqual(ids, byStamp(await seen(), "createdDateTime", false));
  });

  test("lastModifiedDateTime desc puts the tasks just updated first, newest first", async () => {
    // Touch three tasks without changing what the other tests filter on.
    const touched = [made[4]!, made[17]!, made[9]!];
    for (const m of touched) {
      const r = await call("PATCH", `${tasksUrl}/${enc(m.id)}`, { token, json: { importance: m.importance } });
      assert.equal(r.status, 200, r.text);
      await new Promise((resolve) => setTimeout(resolve, 5)); // distinct stamps
    }
    const { ids } = await walk(q({ $orderby: "lastModifiedDateTime desc", $top: "6" }));
    assert.deepEqual(ids.slice(0, 3), touched.map((m) => m.id).reverse());
    assert.deepEqual(ids, byStamp(await seen(), "lastModifiedDateTime", true));
  });
});

describe("combined options", () => {
  test("$filter + $orderby + $count + maxpagesize: every nextLink keeps filter, order and count", async () => {
    const filter = "(importance eq 'high' or importance eq 'low') and dueDateTime ne null";
    const headers = { prefer: "odata.maxpagesize=3" };
    const want = ordered(made.filter((m) => m.importance !== "normal" && m.due !== undefined), [[(m) => m.due, true], [title, false]]);
    const ids: string[] = [];
    let pages = 0;
    for (let next: string | undefined = q({ $filter: filter, $orderby: "dueDateTime/dateTime desc, title", $count: "true" }); next; pages++) {
      const r = await get(next, headers);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get("preference-applied"), "odata.maxpagesize=3");
      assert.equal(r.json["@odata.count"], want.length);
      assert.ok(r.json.value.length <= 3);
      ids.push(...r.json.value.map((t: { id: string }) => t.id));
      next = r.json["@odata.nextLink"];
      if (next) assert.equal(new URL(next).searchParams.get("$filter"), filter);
    }
    assert.deepEqual(ids, want);
    assert.equal(pages, Math.ceil(want.length / 3));
  });

  test("$skip past the end: an empty page with the count and no nextLink", async () => {
    const r = await get(q({ $skip: "500", $count: "true", $orderby: "title" }));
    assert.deepEqual(r.json.value, []);
    assert.equal(r.json["@odata.count"], N);
    assert.equal(r.json["@odata.nextLink"], undefined);
  });

  test("$top=0 with $count=true: the count alone", async () => {
    const r = await get(q({ $top: "0", $count: "true", $filter: "status eq 'completed'" }));
    assert.deepEqual(r.json.value, []);
    assert.equal(r.json["@odata.count"], made.filter((m) => m.status === "completed").length);
  });
});

describe("$filter, more operators", () => {
  const cases: [string, (m: Made) => boolean][] = [
    ["title eq 'a-0'", (m) => m.title === "A-0"],
    ["title ne 'A-0' and title ne 'b-1'", (m) => m.title !== "A-0" && m.title !== "b-1"],
    ["title gt 'a-4' and title le 'b-2'", (m) => m.title.toLowerCase() > "a-4" && m.title.toLowerCase() <= "b-2"],
    ["importance lt 'normal' or (status eq 'completed' and importance eq 'high')", (m) => m.importance === "low" || (m.status === "completed" && m.importance === "high")],
    ["not (dueDateTime/dateTime le '2026-02-03T00:00:00') and dueDateTime ne null", (m) => m.due !== undefined && m.due > "2026-02-03T00:00:00.0000000"],
    ["dueDateTime/timeZone eq 'utc'", (m) => m.due !== undefined],
    ["categories/any(c: c eq 'red' or c eq 'blue') and not categories/any(c: c eq 'blue')", (m) => m.categories.includes("Red") && !m.categories.includes("blue")],
    ["id in ('" + "x".repeat(4) + "')", () => false],
    ["body/contentType eq 'text'", () => true],
    ["completedDateTime eq null", (m) => m.status !== "completed"],
  ];
  for (const [filter, want] of cases) {
    test(filter, async () => {
      const r = await get(q({ $filter: filter, $top: "999" }));
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.value.map((t: { id: string }) => t.id), made.filter(want).map((m) => m.id));
    });
  }

  test("id eq and in select exactly the tasks named (ids are case-sensitive)", async () => {
    const [a, b] = [made[3]!.id, made[11]!.id];
    const r = await get(q({ $filter: `id in ('${a}', '${b}')` }));
    assert.deepEqual(r.json.value.map((t: { id: string }) => t.id), [a, b]);
    const lower = await get(q({ $filter: `id eq '${a.toLowerCase()}'` }));
    assert.deepEqual(lower.json.value, []);
  });

  test("a quote inside a string literal is doubled, and the value is data, not SQL", async () => {
    const t = await call("POST", tasksUrl, { token, json: { title: "it's; DROP TABLE tasks; --" } });
    assert.equal(t.status, 201, t.text);
    const r = await get(q({ $filter: "title eq 'it''s; drop table tasks; --'" }));
    assert.deepEqual(r.json.value.map((x: { id: string }) => x.id), [t.json.id]);
    const none = await get(q({ $filter: "startswith(title, '%') or contains(title, '_')" }));
    assert.deepEqual(none.json.value, []); // LIKE wildcards are plain characters
    assert.equal((await call("DELETE", `${tasksUrl}/${enc(t.json.id)}`, { token })).status, 204);
  });

  const errors: [string, RegExp][] = [
    ["title eq 'open", /unterminated/],
    ["(status eq 'completed'", /expected '\)'/],
    ["status eq 'completed')", /unexpected/],
    ["", /empty/],
    ["title eq 'x' and", /./],
    ["status eq completed", /./],
    ["importance eq 'urgent'", /low, normal, high/],
    ["dueDateTime/dateTime ge 'tomorrow'", /date and time/],
    ["createdDateTime ge '2026-01-01'", /./],
    ["isReminderOn eq 'yes'", /./],
    ["dueDateTime eq '2026-01-01T00:00:00'", /complex/],
    ["recurrence eq null", /Could not find a property named 'recurrence'/],
    ["body/content eq 'x'", /Could not find a property named 'body'/],
    ["title in ()", /./],
    [`title in (${Array.from({ length: 101 }, (_, i) => `'${i}'`).join(",")})`, /at most 100/],
    ["(".repeat(40) + "title eq 'x'" + ")".repeat(40), /nested/],
    [`title eq '${"x".repeat(2100)}'`, /too long/],
    ["categories/any(c: c ne 'x')", /only/],
    ["substringof('a', title)", /not supported/],
    ["title has 'x'", /not supported/],
  ];
  for (const [bad, message] of errors) {
    test(`${bad.length > 60 ? `${bad.slice(0, 60)}…` : bad} → 400`, async () => {
      const e = expectError(await get(q({ $filter: bad })), 400, "invalidRequest");
      assert.match(JSON.stringify(e), message);
    });
  }
});

describe("$orderby errors", () => {
  const errors: [string, RegExp][] = [
    ["colour", /Could not find a property named 'colour' on type 'microsoft.graph.todoTask'/],
    ["title sideways", /expected/],
    ["title,", /expected/],
    ["title, title desc", /more than once/],
    ["id,title,status,importance,createdDateTime,lastModifiedDateTime,isReminderOn,hasAttachments,bodyLastModifiedDateTime", /at most 8/],
  ];
  for (const [bad, message] of errors) {
    test(`${bad} → 400`, async () => {
      const e = expectError(await get(q({ $orderby: bad })), 400, "invalidRequest");
      assert.match(JSON.stringify(e), message);
    });
  }
  test("a task property on lists is 400 naming the list type", async () => {
    const e = expectError(await get(`${s.url}/v1.0/me/todo/lists?$orderby=title`), 400, "invalidRequest");
    assert.match(JSON.stringify(e), /microsoft\.graph\.todoTaskList/);
  });
});

describe("lists: $filter, $count, paging", () => {
  let t: string;
  const names = ["delta", "Echo", "alpha", "Bravo", "charlie"];
  before(async () => {
    t = await s.token({ user: "queries-lists-2" });
    for (const n of names) assert.equal((await call("POST", `${s.url}/v1.0/me/todo/lists`, { token: t, json: { displayName: n } })).status, 201);
  });
  const lget = (query: string, headers?: Record<string, string>) => call("GET", `${s.url}/v1.0/me/todo/lists?${query}`, { token: t, headers });

  test("filter on wellknownListName and displayName, with $count", async () => {
    const d = await lget(`$filter=${encodeURIComponent("wellknownListName eq 'defaultList'")}&$count=true`);
    assert.deepEqual(d.json.value.map((l: { displayName: string }) => l.displayName), ["Tasks"]);
    assert.equal(d.json["@odata.count"], 1);
    const s2 = await lget(`$filter=${encodeURIComponent("startswith(displayName, 'b') or displayName in ('ECHO', 'delta')")}`);
    assert.deepEqual(s2.json.value.map((l: { displayName: string }) => l.displayName), ["delta", "Echo", "Bravo"]);
    const own = await lget(`$filter=${encodeURIComponent("isOwner eq true and isShared eq false and wellknownListName ne 'defaultList'")}&$count=true`);
    assert.equal(own.json["@odata.count"], names.length);
  });

  test("ordered pages with maxpagesize keep the order across nextLinks", async () => {
    const got: string[] = [];
    for (let next: string | undefined = `${s.url}/v1.0/me/todo/lists?$orderby=displayName`; next; ) {
      const r = await call("GET", next, { token: t, headers: { prefer: "odata.maxpagesize=2" } });
      assert.equal(r.headers.get("preference-applied"), "odata.maxpagesize=2");
      got.push(...r.json.value.map((l: { displayName: string }) => l.displayName));
      next = r.json["@odata.nextLink"];
    }
    assert.deepEqual(got, ["alpha", "Bravo", "charlie", "delta", "Echo", "Tasks"]);
  });

  test("lists/$count with a filter; bad filters are 400", async () => {
    const r = await call("GET", `${s.url}/v1.0/me/todo/lists/$count?$filter=${encodeURIComponent("displayName ge 'c'")}`, { token: t });
    assert.equal(r.text, "4"); // charlie, delta, Echo, Tasks
    expectError(await lget(`$filter=${encodeURIComponent("wellknownListName eq 'inbox'")}`), 400, "invalidRequest");
    expectError(await lget(`$filter=${encodeURIComponent("title eq 'x'")}`), 400, "invalidRequest");
    expectError(await lget("$count=maybe"), 400, "invalidRequest");
  });
});
