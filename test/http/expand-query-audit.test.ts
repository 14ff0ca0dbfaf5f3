// The query-option audit (issue 14): every /todo route against every OData system query option.
// Each answer is either the option applied (2xx) or Graph's 400 invalidRequest; none is accepted and
// ignored. One table: a route class says which options it takes, and every other option must be
// refused. Where an option is taken, the tests of its own feature check what it does (queries,
// expand, delta); here a refusal must change nothing (a refused DELETE deletes nothing, a refused
// POST creates nothing).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { makeSession, makeTask } from "../helpers/fixtures.js";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { enc, expectError, oidOf } from "./_foundation.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

/** Each option with a value that is valid wherever the option is taken. */
const OPTIONS: Record<string, string> = {
  $expand: "", // per route: a navigation property it has, or one the route's type lacks
  $select: "id",
  $filter: "id eq 'none'",
  $orderby: "id",
  $top: "1",
  $skip: "1",
  $count: "true",
  $search: "a",
  $format: "json",
  $skiptoken: "x",
  $deltatoken: "x",
  $levels: "2",
  $apply: "groupby((id))",
  $compute: "id as x",
  $bogus: "1",
};

type RouteClass = "collection" | "plainCollection" | "entity" | "plainEntity" | "count" | "tasksDelta" | "listsDelta" | "write" | "plainWrite" | "none";
const TAKES: Record<RouteClass, string[]> = {
  collection: ["$expand", "$select", "$filter", "$orderby", "$top", "$skip", "$count", "$format"],
  plainCollection: ["$select", "$filter", "$orderby", "$top", "$skip", "$count", "$format"],
  entity: ["$expand", "$select", "$format"],
  plainEntity: ["$select", "$format"],
  count: ["$filter"],
  tasksDelta: ["$expand", "$select", "$top"],
  listsDelta: ["$select", "$top"],
  write: ["$expand", "$select", "$format"],
  plainWrite: ["$select", "$format"],
  none: [],
};

interface Route {
  name: string;
  method: string;
  url: string;
  cls: RouteClass;
  /** A navigation property of the route's type (for $expand). */
  nav?: string;
  json?: unknown;
}

async function routes(version: string, principal: "me" | "users") {
  const user = `audit-${version}-${principal}`;
  const token = await s.token({ user });
  const f = await makeTask(s.url, token, version);
  const todo = `${s.url}/${version}/${principal === "me" ? "me" : `users/${oidOf(user)}`}/todo`;
  const list = `${todo}/lists/${enc(f.listId)}`;
  const task = `${list}/tasks/${enc(f.taskId)}`;
  const post = async (url: string, json: unknown) => {
    const r = await call("POST", url, { token, json });
    assert.equal(r.status, 201, r.text);
    return r.json.id as string;
  };
  const step = await post(`${task}/checklistItems`, { displayName: "s" });
  const link = await post(`${task}/linkedResources`, { webUrl: "https://example.com", applicationName: "Ex" });
  const ext = await post(`${task}/extensions`, { "@odata.type": "#microsoft.graph.openTypeExtension", extensionName: "com.example.a" });
  const listExt = await post(`${list}/extensions`, { "@odata.type": "#microsoft.graph.openTypeExtension", extensionName: "com.example.l" });
  const att = await post(`${task}/attachments`, { "@odata.type": "#microsoft.graph.taskFileAttachment", name: "a.txt", contentBytes: Buffer.from("hi").toString("base64") });
  const uploadUrl = await makeSession({ token, taskUrl: task }, 10);
  const r: Route[] = [
    { name: "GET lists", method: "GET", url: `${todo}/lists`, cls: "collection", nav: "tasks" },
    { name: "GET lists/$count", method: "GET", url: `${todo}/lists/$count`, cls: "count" },
    { name: "GET lists/delta", method: "GET", url: `${todo}/lists/delta`, cls: "listsDelta", nav: "tasks" },
    { name: "GET list", method: "GET", url: list, cls: "entity", nav: "extensions" },
    { name: "PATCH list", method: "PATCH", url: list, cls: "write", nav: "tasks", json: { displayName: "renamed" } },
    { name: "POST lists", method: "POST", url: `${todo}/lists`, cls: "write", nav: "extensions", json: { displayName: "new" } },
    { name: "GET list extensions", method: "GET", url: `${list}/extensions`, cls: "plainCollection", nav: "tasks" },
    { name: "GET list extension", method: "GET", url: `${list}/extensions/${enc(listExt)}`, cls: "plainEntity", nav: "tasks" },
    { name: "GET tasks", method: "GET", url: `${list}/tasks`, cls: "collection", nav: "checklistItems" },
    { name: "GET tasks/$count", method: "GET", url: `${list}/tasks/$count`, cls: "count" },
    { name: "GET tasks/delta", method: "GET", url: `${list}/tasks/delta`, cls: "tasksDelta", nav: "linkedResources" },
    { name: "GET tasks/delta()", method: "GET", url: `${list}/tasks/delta()`, cls: "tasksDelta", nav: "extensions" },
    { name: "POST tasks", method: "POST", url: `${list}/tasks`, cls: "write", nav: "checklistItems", json: { title: "new" } },
    { name: "GET task", method: "GET", url: task, cls: "entity", nav: "linkedResources" },
    { name: "PATCH task", method: "PATCH", url: task, cls: "write", nav: "extensions", json: { title: "renamed" } },
    { name: "GET checklistItems", method: "GET", url: `${task}/checklistItems`, cls: "plainCollection", nav: "checklistItems" },
    { name: "POST checklistItems", method: "POST", url: `${task}/checklistItems`, cls: "plainWrite", nav: "tasks", json: { displayName: "more" } },
    { name: "GET checklistItem", method: "GET", url: `${task}/checklistItems/${enc(step)}`, cls: "plainEntity", nav: "tasks" },
    { name: "PATCH checklistItem", method: "PATCH", url: `${task}/checklistItems/${enc(step)}`, cls: "plainWrite", nav: "tasks", json: { isChecked: true } },
    { name: "GET linkedResources", method: "GET", url: `${task}/linkedResources`, cls: "plainCollection", nav: "tasks" },
    { name: "GET linkedResource", method: "GET", url: `${task}/linkedResources/${enc(link)}`, cls: "plainEntity", nav: "tasks" },
    { name: "GET task extensions", method: "GET", url: `${task}/extensions`, cls: "plainCollection", nav: "tasks" },
    { name: "GET task extension", method: "GET", url: `${task}/extensions/${enc(ext)}`, cls: "plainEntity", nav: "tasks" },
    { name: "GET attachments", method: "GET", url: `${task}/attachments`, cls: "plainCollection", nav: "tasks" },
    { name: "GET attachment", method: "GET", url: `${task}/attachments/${enc(att)}`, cls: "plainEntity", nav: "tasks" },
    { name: "GET attachment $value", method: "GET", url: `${task}/attachments/${enc(att)}/$value`, cls: "none" },
    { name: "GET attachmentSessions", method: "GET", url: `${task}/attachmentSessions`, cls: "plainCollection", nav: "tasks" },
    { name: "POST createUploadSession", method: "POST", url: `${task}/attachments/createUploadSession`, cls: "none", json: { attachmentInfo: { attachmentType: "file", name: "b", size: 5 } } },
    { name: "GET uploadUrl", method: "GET", url: uploadUrl, cls: "none" },
    { name: "DELETE checklistItem", method: "DELETE", url: `${task}/checklistItems/${enc(step)}`, cls: "none" },
    { name: "DELETE linkedResource", method: "DELETE", url: `${task}/linkedResources/${enc(link)}`, cls: "none" },
    { name: "DELETE task extension", method: "DELETE", url: `${task}/extensions/${enc(ext)}`, cls: "none" },
    { name: "DELETE list extension", method: "DELETE", url: `${list}/extensions/${enc(listExt)}`, cls: "none" },
    { name: "DELETE attachment", method: "DELETE", url: `${task}/attachments/${enc(att)}`, cls: "none" },
    { name: "DELETE uploadUrl", method: "DELETE", url: uploadUrl, cls: "none" },
    { name: "DELETE task", method: "DELETE", url: task, cls: "none" },
    { name: "DELETE list", method: "DELETE", url: list, cls: "none" },
  ];
  return { token, routes: r, list, task };
}

const withOption = (url: string, k: string, v: string) => `${url}${url.includes("?") ? "&" : "?"}${k}=${encodeURIComponent(v)}`;

for (const [version, principal] of [["v1.0", "me"], ["beta", "users"]] as const) {
  describe(`${version} /${principal}: every option on every route is applied or refused`, () => {
    test("the table", async () => {
      const { token, routes: all, task, list } = await routes(version, principal);
      const wrong: string[] = [];
      for (const r of all) {
        for (const [k, v0] of Object.entries(OPTIONS)) {
          const takes = TAKES[r.cls].includes(k);
          // $expand names a navigation property the route's type has where it is taken, one it lacks elsewhere.
          const v = k === "$expand" ? (r.nav ?? "tasks") : v0;
          const res = await call(r.method, withOption(r.url, k, v), { token, json: r.json });
          const ok = res.status >= 200 && res.status < 300;
          if (takes !== ok) wrong.push(`${r.name} ${k}=${v}: ${res.status} ${res.text.slice(0, 160)}`);
          if (!ok) {
            if (res.status !== 400) wrong.push(`${r.name} ${k}: status ${res.status}`);
            else expectError(res, 400, "invalidRequest");
          }
        }
      }
      assert.deepEqual(wrong, []);
      // Every refused DELETE deleted nothing: the task and list are still there.
      assert.equal((await call("GET", task, { token })).status, 200);
      assert.equal((await call("GET", list, { token })).status, 200);
    });

    test("$format other than json, options spelled without $, and a repeat", async () => {
      const { token, list } = await routes(version, principal);
      expectError(await call("GET", `${list}/tasks?$format=xml`, { token }), 400, "invalidRequest");
      expectError(await call("GET", `${list}?$format=atom`, { token }), 400, "invalidRequest");
      assert.equal((await call("GET", `${list}/tasks?$format=application/json`, { token })).status, 200);
      // Graph takes the $-less spelling (query-parameters.md, beta; a subset of v1.0): honoured, not ignored.
      const dollarless = await call("GET", `${list}/tasks?top=1&select=title&orderby=title`, { token });
      assert.equal(dollarless.status, 200, dollarless.text);
      assert.equal(dollarless.json.value.length, 1);
      assert.deepEqual(Object.keys(dollarless.json.value[0]).sort(), ["@odata.etag", "id", "title"]);
      expectError(await call("GET", `${list}/tasks?top=1&$top=2`, { token }), 400, "invalidRequest");
      expectError(await call("GET", `${list}/tasks?search=x`, { token }), 400, "invalidRequest");
      expectError(await call("GET", `${list}?top=1`, { token }), 400, "invalidRequest");
      const notCollection = expectError(await call("GET", `${list}?$top=1`, { token }), 400, "invalidRequest");
      assert.match(JSON.stringify(notCollection), /The requested resource is not a collection/);
      // A refused POST creates nothing.
      const before = (await call("GET", `${list}/tasks/$count`, { token })).text;
      expectError(await call("POST", `${list}/tasks?$top=1`, { token, json: { title: "x" } }), 400, "invalidRequest");
      expectError(await call("POST", `${list}/tasks?$select=nope`, { token, json: { title: "x" } }), 400, "invalidRequest");
      assert.equal((await call("GET", `${list}/tasks/$count`, { token })).text, before);
    });
  });
}
