// $expand over HTTP (issue 14): on lists (tasks, extensions) and tasks (checklistItems,
// linkedResources, extensions), several at once, on /me and /users/{id}, v1.0 and beta; options
// inside parentheses; the cut of an expanded list's tasks and its nextLink; POST and PATCH; tasks
// delta; and every refusal with Graph's message.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { enc, expectError, oidOf, principals, VERSIONS } from "./_foundation.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const EXT = "#microsoft.graph.openTypeExtension";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A user with two lists: "A" with `n` tasks (the first with two steps, a link and an extension) and an extension of its own; "B" empty. */
async function seed(user: string, n = 3, version = "v1.0") {
  const token = await s.token({ user });
  const todo = `${s.url}/${version}/me/todo`;
  const a = (await call("POST", `${todo}/lists`, { token, json: { displayName: "A" } })).json;
  const b = (await call("POST", `${todo}/lists`, { token, json: { displayName: "B" } })).json;
  const aUrl = `${todo}/lists/${enc(a.id)}`;
  assert.equal((await call("POST", `${aUrl}/extensions`, { token, json: { "@odata.type": EXT, extensionName: "com.example.list", colour: "red" } })).status, 201);
  const tasks: Json[] = [];
  for (let i = 0; i < n; i++) tasks.push((await call("POST", `${aUrl}/tasks`, { token, json: { title: `t${i}`, status: i === 0 ? "completed" : "notStarted" } })).json);
  if (n === 0) return { token, todo, a, b, aUrl, tasks, t0: "" };
  const t0 = `${aUrl}/tasks/${enc(tasks[0].id)}`;
  for (const displayName of ["one", "two"]) assert.equal((await call("POST", `${t0}/checklistItems`, { token, json: { displayName } })).status, 201);
  await call("POST", `${t0}/linkedResources`, { token, json: { webUrl: "https://example.com/1", applicationName: "Ex", displayName: "L" } });
  await call("POST", `${t0}/extensions`, { token, json: { "@odata.type": EXT, extensionName: "com.example.task", n: 1 } });
  return { token, todo, a, b, aUrl, tasks, t0 };
}

const byName = (lists: Json[], name: string) => lists.find((l: Json) => l.displayName === name);

describe("$expand on lists", () => {
  for (const version of VERSIONS) {
    for (const [i, p] of principals(`expand-lists-${version}`).slice(0, 2).entries()) {
      test(`${version} ${p.name}: GET lists and GET one list with $expand=tasks,extensions`, async () => {
        const user = `expand-lists-${version}`;
        const f = await seed(user, 3, version);
        // Each test is one user's: the second principal form sees the first one's lists too.
        const lists = i + 1;
        const base = `${s.url}/${version}/${p.path}/todo/lists`;
        const all = await call("GET", `${base}?$expand=tasks,extensions`, { token: f.token });
        assert.equal(all.status, 200, all.text);
        const a = all.json.value.find((l: Json) => l.id === f.a.id);
        assert.deepEqual(a.tasks.map((t: Json) => t.title).sort(), ["t0", "t1", "t2"]);
        assert.equal(a.tasks[0]["@odata.etag"] !== undefined, true);
        assert.deepEqual(a.extensions.map((e: Json) => [e.extensionName, e.colour]), [["com.example.list", "red"]]);
        assert.deepEqual(all.json.value.find((l: Json) => l.id === f.b.id).tasks, []);
        assert.deepEqual(all.json.value.find((l: Json) => l.id === f.b.id).extensions, []);
        assert.ok(Array.isArray(byName(all.json.value, "Tasks").tasks), "the default list expands too");
        const one = await call("GET", `${base}/${enc(f.a.id)}?$expand=extensions,tasks`, { token: f.token });
        assert.equal(one.status, 200, one.text);
        assert.equal(one.json["@odata.context"], `${s.url}/${version}/$metadata#users('${oidOf(user)}')/todo/lists/$entity`);
        assert.equal(one.json.tasks.length, 3);
        assert.equal(one.json.extensions.length, 1);
        // Tasks inside an expanded list do not carry their own children unless asked (nested $expand is refused).
        assert.equal(one.json.tasks[0].checklistItems, undefined);
        assert.equal(all.json.value.filter((l: Json) => l.displayName === "A").length, lists);
      });
    }
  }

  test("$select, $filter, $orderby and $top inside tasks(…); the list's own $select keeps the navigation properties", async () => {
    const f = await seed("expand-lists-options", 5);
    const r = await call("GET", `${f.aUrl}?$select=displayName&$expand=tasks($select=title,status;$filter=status eq 'notStarted';$orderby=title desc;$top=2)`, { token: f.token });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json).sort(), ["@odata.context", "@odata.etag", "displayName", "id", "tasks", "tasks@odata.nextLink"].sort());
    assert.deepEqual(r.json.tasks.map((t: Json) => t.title), ["t4", "t3"]);
    assert.deepEqual(Object.keys(r.json.tasks[0]).sort(), ["@odata.etag", "id", "status", "title"]);
    // The cut carries a nextLink to the rest with the same options.
    const next = await call("GET", r.json["tasks@odata.nextLink"], { token: f.token });
    assert.equal(next.status, 200, next.text);
    assert.deepEqual(next.json.value.map((t: Json) => t.title), ["t2", "t1"]);
    assert.deepEqual(Object.keys(next.json.value[0]).sort(), ["@odata.etag", "id", "status", "title"]);
    const ext = await call("GET", `${f.aUrl}?$expand=extensions($select=extensionName)`, { token: f.token });
    assert.deepEqual(ext.json.extensions, [{ "@odata.type": EXT, id: "microsoft.graph.openTypeExtension.com.example.list", extensionName: "com.example.list" }]);
  });

  test("an expanded list carries at most 50 tasks by default (100 with $top), then tasks@odata.nextLink", async () => {
    const f = await seed("expand-lists-cut", 0);
    const many = Array.from({ length: 51 }, (_, i) => ({ id: `${i}`, method: "POST", url: `/me/todo/lists/${f.a.id}/tasks`, headers: { "content-type": "application/json" }, body: { title: `m${i}` } }));
    for (let i = 0; i < many.length; i += 20) {
      const b = await call("POST", `${s.url}/v1.0/$batch`, { token: f.token, json: { requests: many.slice(i, i + 20) } });
      assert.equal(b.status, 200, b.text);
    }
    const r = await call("GET", `${f.aUrl}?$expand=tasks`, { token: f.token });
    assert.equal(r.json.tasks.length, 50);
    assert.match(r.json["tasks@odata.nextLink"], /\/tasks\?\$top=50&\$skip=50$/);
    assert.equal((await call("GET", r.json["tasks@odata.nextLink"], { token: f.token })).json.value.length, 1);
    const whole = await call("GET", `${f.aUrl}?$expand=tasks($top=100)`, { token: f.token });
    assert.equal(whole.json.tasks.length, 51);
    assert.equal(whole.json["tasks@odata.nextLink"], undefined);
    expectError(await call("GET", `${f.aUrl}?$expand=tasks($top=101)`, { token: f.token }), 400, "invalidRequest");
  });

  test("a page of lists expanding tasks holds at most 100 lists; the nextLink continues", async () => {
    const f = await seed("expand-lists-many", 1);
    const more = Array.from({ length: 100 }, (_, i) => ({ id: `${i}`, method: "POST", url: "/me/todo/lists", headers: { "content-type": "application/json" }, body: { displayName: `L${i}` } }));
    for (let i = 0; i < more.length; i += 20) assert.equal((await call("POST", `${s.url}/v1.0/$batch`, { token: f.token, json: { requests: more.slice(i, i + 20) } })).status, 200);
    const first = await call("GET", `${f.todo}/lists?$top=999&$expand=tasks($select=title)`, { token: f.token });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.value.length, 100);
    assert.match(first.json["@odata.nextLink"], /\$top=100&.*\$skiptoken=[\w-]+\.[\w-]+$/);
    const rest = await call("GET", first.json["@odata.nextLink"], { token: f.token });
    assert.equal(rest.json.value.length, 3, "103 lists: the default, A, B and 100 more");
    assert.ok(rest.json.value.every((l: Json) => Array.isArray(l.tasks)));
    assert.equal((await call("GET", `${f.todo}/lists?$top=999`, { token: f.token })).json.value.length, 103, "without tasks expanded the page is as asked");
  });

  test("POST and PATCH of a list answer with what $expand asks for", async () => {
    const f = await seed("expand-lists-write", 1);
    const made = await call("POST", `${f.todo}/lists?$expand=tasks,extensions`, { token: f.token, json: { displayName: "C" } });
    assert.equal(made.status, 201, made.text);
    assert.deepEqual([made.json.tasks, made.json.extensions], [[], []]);
    const patched = await call("PATCH", `${f.aUrl}?$expand=tasks($select=title)`, { token: f.token, json: { displayName: "A2" } });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.json.tasks.map((t: Json) => t.title), ["t0"]);
  });

  test("refusals: unknown navigation, task navigation on a list, nested $expand, malformed syntax", async () => {
    const f = await seed("expand-lists-bad", 1);
    const cases: Array<[string, string]> = [
      ["$expand=steps", "Could not find a property named 'steps' on type 'microsoft.graph.todoTaskList'."],
      ["$expand=checklistItems", "Could not find a property named 'checklistItems' on type 'microsoft.graph.todoTaskList'."],
      ["$expand=tasks($expand=checklistItems)", "Query option '$expand' is not supported inside $expand=tasks(…)."],
      ["$expand=tasks($levels=2)", "Query option '$levels' is not supported inside $expand=tasks(…)."],
      ["$expand=tasks($skip=1)", "Query option '$skip' is not supported inside $expand=tasks(…)."],
      ["$expand=tasks($count=true)", "Query option '$count' is not supported inside $expand=tasks(…)."],
      ["$expand=tasks($select=nope)", "Could not find a property named 'nope' on type 'microsoft.graph.todoTask'."],
      ["$expand=tasks($filter=nope eq 1)", "nope"],
      ["$expand=tasks(", "Parsing OData Select and Expand failed: Found an unbalanced bracket expression."],
      ["$expand=tasks,", "Parsing OData Select and Expand failed: Expected a navigation property name"],
      ["$expand=tasks/checklistItems", "Parsing OData Select and Expand failed"],
      ["$expand=*", "$expand=* is not supported"],
      ["$expand=tasks&$expand=extensions", "more than once"],
    ];
    for (const [q, message] of cases) {
      for (const url of [`${f.todo}/lists?${q}`, `${f.aUrl}?${q}`]) {
        const e = expectError(await call("GET", url, { token: f.token }), 400, "invalidRequest");
        assert.ok(JSON.stringify(e).includes(JSON.stringify(message).slice(1, -1)), `${q}: ${JSON.stringify(e)}`);
      }
    }
    // A refused $expand on POST creates nothing.
    const before = (await call("GET", `${f.todo}/lists`, { token: f.token })).json.value.length;
    expectError(await call("POST", `${f.todo}/lists?$expand=steps`, { token: f.token, json: { displayName: "X" } }), 400, "invalidRequest");
    assert.equal((await call("GET", `${f.todo}/lists`, { token: f.token })).json.value.length, before);
  });
});

describe("$expand on tasks", () => {
  test("$select inside checklistItems(…), linkedResources(…), extensions(…); several at once; with the task's $select", async () => {
    const f = await seed("expand-tasks-select", 2);
    const r = await call("GET", `${f.t0}?$select=title&$expand=checklistItems($select=displayName;$orderby=displayName desc),linkedResources($select=webUrl),extensions`, { token: f.token });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.checklistItems.map((c: Json) => Object.keys(c).sort()), [["displayName", "id"], ["displayName", "id"]]);
    assert.deepEqual(r.json.checklistItems.map((c: Json) => c.displayName), ["two", "one"]);
    assert.deepEqual(Object.keys(r.json.linkedResources[0]).sort(), ["id", "webUrl"]);
    assert.equal(r.json.extensions[0].n, 1);
    assert.equal(r.json.status, undefined);
    const page = await call("GET", `${f.aUrl}/tasks?$orderby=title&$top=1&$expand=checklistItems($filter=displayName eq 'two';$select=displayName),extensions`, { token: f.token });
    assert.equal(page.status, 200, page.text);
    assert.deepEqual(page.json.value.map((t: Json) => [t.title, t.checklistItems.map((c: Json) => c.displayName), t.extensions.length]), [["t0", ["two"], 1]]);
    const top = await call("GET", `${f.t0}?$expand=checklistItems($top=1)`, { token: f.token });
    assert.equal(top.json.checklistItems.length, 1);
  });

  test("POST with $expand shows the kinds asked for (a new task has only its inline children); PATCH expands", async () => {
    const f = await seed("expand-tasks-write", 1);
    const made = await call("POST", `${f.aUrl}/tasks?$expand=checklistItems,extensions`, { token: f.token, json: { title: "n", checklistItems: [{ displayName: "s" }] } });
    assert.equal(made.status, 201, made.text);
    assert.deepEqual([made.json.checklistItems.map((c: Json) => c.displayName), made.json.extensions], [["s"], []]);
    const patched = await call("PATCH", `${f.t0}?$expand=linkedResources($select=displayName)`, { token: f.token, json: { title: "t0b" } });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.json.linkedResources.map((l: Json) => l.displayName), ["L"]);
  });

  test("refusals inside parentheses and malformed syntax, on one task and on the collection", async () => {
    const f = await seed("expand-tasks-bad", 1);
    for (const q of ["checklistItems($expand=x)", "checklistItems($search=a)", "checklistItems($select=title)", "checklistItems($top=-1)", "checklistItems($top=101)", "linkedResources($filter=bogus eq 1)", "checklistItems(;)", "checklistItems)(", "attachments", "tasks"]) {
      expectError(await call("GET", `${f.t0}?$expand=${enc(q)}`, { token: f.token }), 400, "invalidRequest");
      expectError(await call("GET", `${f.aUrl}/tasks?$expand=${enc(q)}`, { token: f.token }), 400, "invalidRequest");
    }
  });
});

describe("$expand on delta", () => {
  test("tasks delta carries $expand of the task's children through its links; lists delta refuses it", async () => {
    const f = await seed("expand-delta", 3);
    const first = await call("GET", `${f.aUrl}/tasks/delta?$expand=checklistItems,extensions&$select=title`, { token: f.token, headers: { prefer: "odata.maxpagesize=2" } });
    assert.equal(first.status, 200, first.text);
    const seen: Json[] = [...first.json.value];
    let next = first.json["@odata.nextLink"];
    assert.ok(next, first.text);
    while (next) {
      const r = await call("GET", next, { token: f.token, headers: { prefer: "odata.maxpagesize=2" } });
      assert.equal(r.status, 200, r.text);
      seen.push(...r.json.value);
      next = r.json["@odata.nextLink"];
      if (!next) {
        // A change since the round: the deltaLink's round still expands.
        await call("POST", `${f.t0}/checklistItems`, { token: f.token, json: { displayName: "three" } });
        const later = await call("GET", r.json["@odata.deltaLink"], { token: f.token });
        assert.equal(later.status, 200, later.text);
        assert.deepEqual(later.json.value.map((t: Json) => t.checklistItems.length), [3]);
      }
    }
    const t0 = seen.find((t) => t.title === "t0");
    assert.deepEqual(t0.checklistItems.map((c: Json) => c.displayName), ["one", "two"]);
    assert.equal(t0.extensions.length, 1);
    assert.equal(t0.status, undefined, "$select carried");
    assert.ok(seen.every((t) => Array.isArray(t.checklistItems) && Array.isArray(t.extensions)));
    expectError(await call("GET", `${f.aUrl}/tasks/delta?$expand=steps`, { token: f.token }), 400, "invalidRequest");
    expectError(await call("GET", `${f.aUrl}/tasks/delta?$expand=checklistItems($top=1)`, { token: f.token }), 400, "invalidRequest");
    expectError(await call("GET", `${f.todo}/lists/delta?$expand=tasks`, { token: f.token }), 400, "invalidRequest");
    expectError(await call("GET", `${first.json["@odata.nextLink"] ?? ""}&$expand=checklistItems`, { token: f.token }), 400, "invalidRequest");
  });
});
