// delta over HTTP: first rounds in pages, later rounds with exactly what changed, both URL forms,
// every principal form, $select and Prefer: odata.maxpagesize, tokens that do not fit, 410 past the
// kept history, and tokens that outlive a restart.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call, type Res } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { enc, expectError, oidOf, principals, reconnect, unknownId } from "./_foundation.js";

let s: TestServer;
let clock = 0;
before(async () => {
  s = await startTestServer({ now: () => new Date(Date.now() + clock) });
});
after(() => s.close());

async function newList(token: string, name = "Delta list"): Promise<{ id: string; tasks: string }> {
  const l = await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: name } });
  assert.equal(l.status, 201);
  return { id: l.json.id, tasks: `${s.url}/v1.0/me/todo/lists/${enc(l.json.id)}/tasks` };
}

async function newTask(token: string, tasksUrl: string, title: string): Promise<string> {
  const r = await call("POST", tasksUrl, { token, json: { title } });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

/** Follows nextLinks to the round's deltaLink; returns every page's answer. */
async function round(url: string, token: string, headers: Record<string, string> = {}): Promise<{ pages: Res[]; value: Record<string, unknown>[]; deltaLink: string }> {
  const pages: Res[] = [];
  for (let next = url; ; ) {
    const r = await call("GET", next, { token, headers });
    assert.equal(r.status, 200, r.text);
    pages.push(r);
    if (r.json["@odata.nextLink"]) {
      assert.equal(r.json["@odata.deltaLink"], undefined, "a page carries one link");
      next = r.json["@odata.nextLink"];
      continue;
    }
    assert.ok(r.json["@odata.deltaLink"], `the last page carries the deltaLink: ${r.text}`);
    return { pages, value: pages.flatMap((p) => p.json.value), deltaLink: r.json["@odata.deltaLink"] };
  }
}

describe("tasks delta", () => {
  test("the first round pages every task (nextLink with $skiptoken, Preference-Applied), the last page has the deltaLink", async () => {
    const token = await s.token({ user: "delta-first" });
    const list = await newList(token);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await newTask(token, list.tasks, `t${i}`));
    const r = await round(`${list.tasks}/delta`, token, { prefer: "odata.maxpagesize=2" });
    assert.deepEqual(r.pages.map((p) => p.json.value.length), [2, 2, 1]);
    for (const p of r.pages) assert.equal(p.headers.get("preference-applied"), "odata.maxpagesize=2");
    assert.match(r.pages[0]!.json["@odata.nextLink"], new RegExp(`^${s.url}/v1\\.0/me/todo/lists/[^/]+/tasks/delta\\?\\$skiptoken=[A-Za-z0-9_.-]+$`));
    assert.match(r.deltaLink, /\/tasks\/delta\?\$deltatoken=[A-Za-z0-9_.-]+$/);
    assert.equal(r.pages[0]!.json["@odata.context"], `${s.url}/v1.0/$metadata#Collection(todoTask)`);
    assert.deepEqual(r.value.map((t) => t.id).sort(), [...ids].sort());
    const full = (await call("GET", `${list.tasks}/${enc(ids[0]!)}`, { token })).json;
    delete full["@odata.context"];
    assert.deepEqual(r.value.find((t) => t.id === ids[0]), full, "items in full, as GET shows them");
    // Without the preference the pages are Exchange's 10, and no Preference-Applied.
    const plain = await call("GET", `${list.tasks}/delta`, { token });
    assert.equal(plain.json.value.length, 5);
    assert.equal(plain.headers.get("preference-applied"), null);
  });

  test("a later round returns exactly what changed: created and updated in full, deleted as @removed; then nothing", async () => {
    const token = await s.token({ user: "delta-changes" });
    const list = await newList(token);
    const keep = await newTask(token, list.tasks, "keep");
    const edit = await newTask(token, list.tasks, "edit");
    const gone = await newTask(token, list.tasks, "gone");
    const first = await round(`${list.tasks}/delta`, token);
    assert.equal(first.value.length, 3);
    const added = await newTask(token, list.tasks, "added");
    assert.equal((await call("PATCH", `${list.tasks}/${enc(edit)}`, { token, json: { title: "edited", importance: "high" } })).status, 200);
    assert.equal((await call("DELETE", `${list.tasks}/${enc(gone)}`, { token })).status, 204);
    const second = await round(first.deltaLink, token);
    const byId = new Map(second.value.map((t) => [t.id as string, t]));
    assert.deepEqual([...byId.keys()].sort(), [added, edit, gone].sort(), `not ${keep}`);
    assert.equal(byId.get(edit)!.title, "edited");
    assert.equal(byId.get(edit)!.importance, "high");
    assert.equal(byId.get(added)!.title, "added");
    assert.deepEqual(byId.get(gone), { id: gone, "@removed": { reason: "deleted" } });
    assert.notEqual(second.deltaLink, first.deltaLink);
    const third = await round(second.deltaLink, token);
    assert.deepEqual(third.value, []);
    const again = await round(first.deltaLink, token);
    assert.equal(again.value.length, 3, "an older deltaLink still answers from its own point");
  });

  test("$select is kept by the round's links and the next rounds; a link followed with its own $select is refused", async () => {
    const token = await s.token({ user: "delta-select" });
    const list = await newList(token);
    for (let i = 0; i < 3; i++) await newTask(token, list.tasks, `s${i}`);
    const r = await round(`${list.tasks}/delta?$select=title,status`, token, { prefer: "odata.maxpagesize=2" });
    for (const t of r.value) assert.deepEqual(Object.keys(t).sort(), ["@odata.etag", "id", "status", "title"]);
    const id = r.value[0]!.id as string;
    await call("PATCH", `${list.tasks}/${enc(id)}`, { token, json: { importance: "low" } });
    const next = await round(r.deltaLink, token);
    assert.deepEqual(Object.keys(next.value[0]!).sort(), ["@odata.etag", "id", "status", "title"]);
    expectError(await call("GET", `${r.deltaLink}&$select=title`, { token }), 400, "invalidRequest", "ErrorInvalidRequest");
    expectError(await call("GET", `${list.tasks}/delta?$select=nope`, { token }), 400, "invalidRequest");
    expectError(await call("GET", `${list.tasks}/delta?$filter=status eq 'completed'`, { token }), 400, "invalidRequest");
    const top = await call("GET", `${list.tasks}/delta?$top=1`, { token });
    assert.equal(top.json.value.length, 1, "$top of the first request is the page size");
    assert.ok(top.json["@odata.nextLink"]);
    assert.equal((await call("GET", top.json["@odata.nextLink"], { token })).json.value.length, 1);
  });

  test("both forms (delta and delta()) under every principal and both versions", async () => {
    const token = await s.token({ user: "delta-forms" });
    const list = await newList(token);
    const id = await newTask(token, list.tasks, "one");
    for (const version of ["v1.0", "beta"]) {
      for (const p of principals("delta-forms")) {
        for (const fn of ["delta", "delta()", "microsoft.graph.delta()"]) {
          const r = await call("GET", `${s.url}/${version}/${p.path}/todo/lists/${enc(list.id)}/tasks/${fn}`, { token });
          assert.equal(r.status, 200, `${version} ${p.name} ${fn}: ${r.text}`);
          assert.deepEqual(r.json.value.map((t: { id: string }) => t.id), [id]);
          assert.ok(r.json["@odata.deltaLink"].startsWith(`${s.url}/${version}/${p.path}/todo/lists/`));
        }
      }
    }
    // The deltaLink taken on one principal form serves the same collection on the others.
    const me = await call("GET", `${s.url}/v1.0/me/todo/lists/${enc(list.id)}/tasks/delta()`, { token });
    const viaUsers = me.json["@odata.deltaLink"].replace("/me/", `/users/${oidOf("delta-forms")}/`);
    assert.equal((await call("GET", viaUsers, { token })).status, 200);
  });

  test("tokens for another user or list, malformed ones, both tokens at once: 400; an unknown list: 404; no token: 401", async () => {
    const alice = await s.token({ user: "delta-alice" });
    const bob = await s.token({ user: "delta-bob" });
    const a1 = await newList(alice, "a1");
    const a2 = await newList(alice, "a2");
    await newTask(alice, a1.tasks, "x");
    const link = (await round(`${a1.tasks}/delta`, alice, { prefer: "odata.maxpagesize=1" })).deltaLink;
    const token = new URL(link).searchParams.get("$deltatoken")!;
    const b1 = await newList(bob, "b1");
    expectError(await call("GET", `${b1.tasks}/delta?$deltatoken=${token}`, { token: bob }), 400, "invalidRequest");
    expectError(await call("GET", `${a2.tasks}/delta?$deltatoken=${token}`, { token: alice }), 400, "invalidRequest");
    expectError(await call("GET", `${s.url}/v1.0/me/todo/lists/delta?$deltatoken=${token}`, { token: alice }), 400, "invalidRequest");
    expectError(await call("GET", `${a1.tasks}/delta?$skiptoken=${token}`, { token: alice }), 400, "invalidRequest");
    for (const bad of ["", "abc", `${token}x`, token.replace(/.$/, (c) => (c === "A" ? "B" : "A"))]) {
      expectError(await call("GET", `${a1.tasks}/delta?$deltatoken=${enc(bad)}`, { token: alice }), 400, "invalidRequest");
    }
    expectError(await call("GET", `${a1.tasks}/delta?$deltatoken=${token}&$skiptoken=${token}`, { token: alice }), 400, "invalidRequest");
    expectError(await call("GET", `${s.url}/v1.0/me/todo/lists/${unknownId("AQMkL")}/tasks/delta`, { token: alice }), 404, "itemNotFound");
    expectError(await call("GET", `${a1.tasks}/delta`, { token: bob }), 404, "itemNotFound");
    assert.equal((await call("GET", `${a1.tasks}/delta`)).status, 401);
    const readOnly = await s.token({ user: "delta-alice", scopes: ["Tasks.Read"] });
    assert.equal((await call("GET", `${a1.tasks}/delta`, { token: readOnly })).status, 200, "delta is a read");
  });
});

describe("lists delta", () => {
  test("the default list and created lists; a rename and a deletion in the next round", async () => {
    const token = await s.token({ user: "delta-lists" });
    const a = await newList(token, "A");
    const b = await newList(token, "B");
    const first = await round(`${s.url}/v1.0/me/todo/lists/delta()`, token, { prefer: "odata.maxpagesize=1" });
    assert.equal(first.pages.length, 3);
    assert.equal(first.pages[0]!.json["@odata.context"], `${s.url}/v1.0/$metadata#Collection(todoTaskList)`);
    assert.deepEqual(first.value.map((l) => l.displayName).sort(), ["A", "B", "Tasks"]);
    assert.equal((await call("PATCH", `${s.url}/v1.0/me/todo/lists/${enc(a.id)}`, { token, json: { displayName: "A2" } })).status, 200);
    assert.equal((await call("DELETE", `${s.url}/v1.0/me/todo/lists/${enc(b.id)}`, { token })).status, 204);
    const second = await round(first.deltaLink, token);
    assert.equal(second.value.length, 2);
    assert.equal(second.value.find((l) => l.id === a.id)!.displayName, "A2");
    assert.deepEqual(second.value.find((l) => l.id === b.id), { id: b.id, "@removed": { reason: "deleted" } });
    // The deleted list's task delta is gone with it.
    expectError(await call("GET", `${b.tasks}/delta`, { token }), 404, "itemNotFound");
  });
});

describe("history", () => {
  test("a token older than the kept deletions gets 410 syncStateNotFound; a fresh round works", async () => {
    const token = await s.token({ user: "delta-expired" });
    const list = await newList(token);
    const id = await newTask(token, list.tasks, "short-lived");
    const old = (await round(`${list.tasks}/delta`, token)).deltaLink;
    await call("DELETE", `${list.tasks}/${enc(id)}`, { token });
    const fresh = (await round(`${list.tasks}/delta`, token)).deltaLink;
    clock += 31 * 86_400_000;
    try {
      await s.running.sweep();
    } finally {
      clock = 0;
    }
    const e = expectError(await call("GET", old, { token }), 410, "syncStateNotFound");
    assert.match(e.message, /sync state/i);
    assert.equal((await call("GET", fresh, { token })).status, 200, "a token from after the forgotten deletion still works");
    assert.equal((await round(`${list.tasks}/delta`, token)).value.length, 0);
  });

  test("tokens survive a restart", async () => {
    const token = await s.token({ user: "delta-restart" });
    const list = await newList(token);
    await newTask(token, list.tasks, "before");
    const page = await call("GET", `${list.tasks}/delta`, { token, headers: { prefer: "odata.maxpagesize=1" } });
    const { deltaLink } = await round(`${list.tasks}/delta`, token);
    await s.restart();
    await reconnect(s.url);
    const after = await newTask(token, list.tasks, "after");
    assert.deepEqual((await round(deltaLink, token)).value.map((t) => t.id), [after]);
    assert.equal((await call("GET", page.json["@odata.deltaLink"] ?? page.json["@odata.nextLink"], { token })).status, 200);
  });
});
