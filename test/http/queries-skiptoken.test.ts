// Keyset paging (issue 15): nextLinks of lists and tasks carry an opaque `$skiptoken` (the sort key
// of the page's last item), on both stores. A walk returns every item once in the query's order,
// a change between pages neither repeats nor skips an item, and a token that is not one the server
// issued for this user, collection, filter and order is refused with Graph's 400.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { enc, expectError } from "./_foundation.js";

let s: TestServer;
let token: string;
let other: string;
let tasksUrl: string;
let otherListTasksUrl: string;
const made: { id: string; title: string }[] = [];
const N = 23;

before(async () => {
  s = await startTestServer();
  token = await s.token({ user: "skiptoken" });
  other = await s.token({ user: "skiptoken-other" });
  const l = await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: "Keyset" } });
  tasksUrl = `${s.url}/v1.0/me/todo/lists/${enc(l.json.id)}/tasks`;
  const l2 = await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: "Keyset 2" } });
  otherListTasksUrl = `${s.url}/v1.0/me/todo/lists/${enc(l2.json.id)}/tasks`;
  for (let i = 0; i < N; i++) {
    // Titles repeat (ties broken by id); every third has no due date (nulls in the order).
    const json: Record<string, unknown> = { title: `t-${i % 4}` };
    if (i % 3 !== 0) json.dueDateTime = { dateTime: `2026-03-${String(1 + (i % 5)).padStart(2, "0")}T00:00:00`, timeZone: "UTC" };
    const r = await call("POST", tasksUrl, { token, json });
    assert.equal(r.status, 201, r.text);
    made.push({ id: r.json.id, title: json.title as string });
  }
  await call("POST", otherListTasksUrl, { token, json: { title: "elsewhere" } });
});
after(() => s.close());

const get = (url: string, t = token) => call("GET", url, { token: t });
const q = (base: string, query: Record<string, string>) => `${base}?${Object.entries(query).map(([k, v]) => `${k}=${enc(v)}`).join("&")}`;

/** Follows nextLinks to the end; every link must carry a $skiptoken and no $skip. */
async function walk(url: string): Promise<{ ids: string[]; links: string[] }> {
  const ids: string[] = [];
  const links: string[] = [];
  for (let next: string | undefined = url; next; ) {
    assert.ok(links.length < 100, "nextLink never ends");
    const r = await get(next);
    assert.equal(r.status, 200, r.text);
    ids.push(...r.json.value.map((t: { id: string }) => t.id));
    next = r.json["@odata.nextLink"];
    if (next) {
      const p = new URL(next).searchParams;
      assert.ok(p.get("$skiptoken"), `a nextLink carries $skiptoken: ${next}`);
      assert.equal(p.get("$skip"), null, next);
      links.push(next);
    }
  }
  return { ids, links };
}

/** The first page's nextLink token for a query. */
async function firstToken(url: string, t = token): Promise<string> {
  const r = await get(url, t);
  assert.equal(r.status, 200, r.text);
  return new URL(r.json["@odata.nextLink"]).searchParams.get("$skiptoken")!;
}

describe("tasks: nextLinks page by key", () => {
  test("the natural order: every task once, in creation order, pages of $top", async () => {
    const { ids, links } = await walk(q(tasksUrl, { $top: "5" }));
    assert.deepEqual(ids, made.map((m) => m.id));
    assert.equal(links.length, Math.ceil(N / 5) - 1);
  });

  for (const order of ["title", "title desc", "dueDateTime/dateTime", "dueDateTime/dateTime desc", "title desc,dueDateTime/dateTime"]) {
    test(`$orderby=${order}: the walk equals one page of everything`, async () => {
      const whole = await get(q(tasksUrl, { $orderby: order, $top: "999" }));
      const { ids } = await walk(q(tasksUrl, { $orderby: order, $top: "4" }));
      assert.deepEqual(ids, whole.json.value.map((t: { id: string }) => t.id));
    });
  }

  test("$filter, $count and $select carry over; the count is of the whole collection on every page", async () => {
    const filter = "title ne 't-1'";
    let next: string | undefined = q(tasksUrl, { $filter: filter, $orderby: "title desc", $top: "3", $count: "true", $select: "title" });
    const ids: string[] = [];
    const kept = made.filter((m) => m.title !== "t-1").length;
    while (next) {
      const r = await get(next);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json["@odata.count"], kept);
      for (const t of r.json.value) {
        assert.notEqual(t.title, "t-1");
        assert.deepEqual(Object.keys(t).sort(), ["@odata.etag", "id", "title"]);
        ids.push(t.id);
      }
      next = r.json["@odata.nextLink"];
    }
    assert.equal(ids.length, kept);
    assert.equal(new Set(ids).size, kept);
  });

  test("a task deleted from a page already read moves no later task out of the walk (an offset would skip one)", async () => {
    const l = await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: "Keyset changes" } });
    const url = `${s.url}/v1.0/me/todo/lists/${enc(l.json.id)}/tasks`;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await call("POST", url, { token, json: { title: `c${i}` } })).json.id);
    const p1 = await get(q(url, { $top: "3" }));
    assert.deepEqual(p1.json.value.map((t: { id: string }) => t.id), ids.slice(0, 3));
    assert.equal((await call("DELETE", `${url}/${enc(ids[0]!)}`, { token })).status, 204);
    const added = (await call("POST", url, { token, json: { title: "c6" } })).json.id;
    const p2 = await get(p1.json["@odata.nextLink"]);
    assert.deepEqual(p2.json.value.map((t: { id: string }) => t.id), ids.slice(3, 6));
    const p3 = await get(p2.json["@odata.nextLink"]);
    assert.deepEqual(p3.json.value.map((t: { id: string }) => t.id), [added]);
    assert.equal(p3.json["@odata.nextLink"], undefined);
  });

  test("a client's $skip still works, alone and after a $skiptoken; $skipToken is the same option", async () => {
    const all = made.map((m) => m.id);
    const r = await get(q(tasksUrl, { $skip: "20" }));
    assert.deepEqual(r.json.value.map((t: { id: string }) => t.id), all.slice(20));
    const tok = await firstToken(q(tasksUrl, { $top: "5" }));
    const skipped = await get(`${q(tasksUrl, { $top: "5", $skip: "2" })}&$skiptoken=${tok}`);
    assert.deepEqual(skipped.json.value.map((t: { id: string }) => t.id), all.slice(7, 12));
    const camel = await get(`${q(tasksUrl, { $top: "5" })}&$skipToken=${tok}`);
    assert.deepEqual(camel.json.value.map((t: { id: string }) => t.id), all.slice(5, 10));
    expectError(await get(`${q(tasksUrl, { $top: "5" })}&$skiptoken=${tok}&$skipToken=${tok}`), 400, "invalidRequest");
  });
});

test("the longest sort keys (255-character titles, 100-character zones, non-ASCII) still make tokens that work", async () => {
  const l = await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: "Long keys" } });
  const url = `${s.url}/v1.0/me/todo/lists/${enc(l.json.id)}/tasks`;
  const zone = (c: string) => ({ dateTime: "2026-05-01T00:00:00", timeZone: c.repeat(100) });
  const ids: string[] = [];
  for (const c of ["€", "€", "ü"]) {
    const json = { title: c.repeat(255), dueDateTime: zone(c), startDateTime: zone(c), reminderDateTime: zone(c), isReminderOn: true };
    const r = await call("POST", url, { token, json });
    assert.equal(r.status, 201, r.text);
    ids.push(r.json.id);
  }
  const order = "title desc,dueDateTime/timeZone,startDateTime/timeZone desc,reminderDateTime/timeZone,dueDateTime/dateTime,createdDateTime desc,importance";
  const whole = await get(q(url, { $orderby: order }));
  const { ids: walked } = await walk(q(url, { $orderby: order, $top: "1" }));
  assert.deepEqual(walked, whole.json.value.map((t: { id: string }) => t.id));
  assert.deepEqual([...walked].sort(), [...ids].sort());
});

test("options spelled without $ (top=, skip=) page the same way: the nextLink replaces them", async () => {
  const all = made.map((m) => m.id);
  const ids: string[] = [];
  for (let next: string | undefined = `${tasksUrl}?top=5&skip=3`; next; ) {
    const r = await get(next);
    assert.equal(r.status, 200, r.text);
    ids.push(...r.json.value.map((t: { id: string }) => t.id));
    next = r.json["@odata.nextLink"];
  }
  assert.deepEqual(ids, all.slice(3));
});

describe("tasks: tokens the server did not issue for this query are refused", () => {
  test("malformed, forged or edited tokens → 400 invalidRequest", async () => {
    const tok = await firstToken(q(tasksUrl, { $top: "5" }));
    const [payload, sig] = tok.split(".") as [string, string];
    // The same token with another position (the first task's), signature kept.
    const wire = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    wire.k = [typeof wire.k[0] === "string" ? "1" : 1];
    const edited = Buffer.from(JSON.stringify(wire)).toString("base64url");
    assert.notEqual(edited, payload);
    const forged = Buffer.from(JSON.stringify({ v: 1, o: "x", c: "y", q: "z", k: [1] })).toString("base64url");
    for (const bad of ["", "abc", "1", `${payload}.`, `${payload}.${sig.slice(0, -2)}AA`, `${edited}.${sig}`, `${forged}.${sig}`, `${payload}.${sig}.x`, "%00", "a".repeat(5000)]) {
      const e = expectError(await get(`${q(tasksUrl, { $top: "5" })}&$skiptoken=${enc(bad)}`), 400, "invalidRequest");
      assert.match(e.innerError.message, /\$skiptoken/);
    }
  });

  test("another user's token, another list's, another filter's or order's → 400; the other user learns nothing", async () => {
    const tok = await firstToken(q(tasksUrl, { $top: "5" }));
    // The other user cannot even see the list; with a list of their own the token is still refused.
    const mine = await call("POST", `${s.url}/v1.0/me/todo/lists`, { token: other, json: { displayName: "theirs" } });
    const theirs = `${s.url}/v1.0/me/todo/lists/${enc(mine.json.id)}/tasks`;
    expectError(await get(`${theirs}?$top=5&$skiptoken=${tok}`, other), 400, "invalidRequest");
    expectError(await get(`${otherListTasksUrl}?$top=5&$skiptoken=${tok}`), 400, "invalidRequest");
    expectError(await get(`${q(tasksUrl, { $top: "5", $orderby: "title" })}&$skiptoken=${tok}`), 400, "invalidRequest");
    expectError(await get(`${q(tasksUrl, { $top: "5", $filter: "title eq 't-1'" })}&$skiptoken=${tok}`), 400, "invalidRequest");
    expectError(await get(`${s.url}/v1.0/me/todo/lists?$skiptoken=${tok}`), 400, "invalidRequest");
  });

  test("small collections page by $skip and refuse a $skiptoken; /$count refuses it", async () => {
    const tok = await firstToken(q(tasksUrl, { $top: "5" }));
    expectError(await get(`${tasksUrl}/${enc(made[0]!.id)}/attachments?$skiptoken=${tok}`), 400, "invalidRequest");
    expectError(await get(`${tasksUrl}/$count?$skiptoken=${tok}`), 400, "invalidRequest");
  });
});

describe("lists: nextLinks page by key", () => {
  test("every list once, in the natural order and by displayName desc", async () => {
    const whole = await get(`${s.url}/v1.0/me/todo/lists?$top=999`);
    const walked = await walk(`${s.url}/v1.0/me/todo/lists?$top=1`);
    assert.deepEqual(walked.ids, whole.json.value.map((l: { id: string }) => l.id));
    const byName = await get(q(`${s.url}/v1.0/me/todo/lists`, { $top: "999", $orderby: "displayName desc" }));
    const walkedByName = await walk(q(`${s.url}/v1.0/me/todo/lists`, { $top: "2", $orderby: "displayName desc" }));
    assert.deepEqual(walkedByName.ids, byName.json.value.map((l: { id: string }) => l.id));
  });
});

describe("large pages (streamed in chunks)", () => {
  test("a page of more than 100 tasks is whole, valid JSON, with its count and a keyset nextLink", async () => {
    const l = await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: "Large" } });
    const url = `${s.url}/v1.0/me/todo/lists/${enc(l.json.id)}/tasks`;
    const ids: string[] = [];
    for (let i = 0; i < 130; i++) ids.push((await call("POST", url, { token, json: { title: `L${i}`, body: { content: "é".repeat(300), contentType: "text" } } })).json.id);
    const r = await get(q(url, { $top: "120", $count: "true" }));
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get("content-type")!, /^application\/json/);
    assert.equal(r.json["@odata.count"], 130);
    assert.deepEqual(r.json.value.map((t: { id: string }) => t.id), ids.slice(0, 120));
    assert.equal(r.json.value[119].body.content, "é".repeat(300));
    const rest = await get(r.json["@odata.nextLink"]);
    assert.deepEqual(rest.json.value.map((t: { id: string }) => t.id), ids.slice(120));
    const desc = await walk(q(url, { $top: "101", $orderby: "title desc" }));
    const title = (id: string) => `l${ids.indexOf(id)}`;
    assert.deepEqual(desc.ids, [...ids].sort((a, b) => (title(a) < title(b) ? 1 : -1)));
  });
});
