// JSON batching over HTTP: inner requests answered as if sent alone (status, headers, body, each
// one's own authorisation), dependsOn and 424, and the envelopes Graph refuses as a whole.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { enc, expectError, oidOf } from "./_foundation.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const batch = (token: string | undefined, requests: unknown, version = "v1.0") => call("POST", `${s.url}/${version}/$batch`, { ...(token ? { token } : {}), json: { requests } });

describe("$batch", () => {
  test("runs each request as if sent alone: status, headers and body per request, in request order", async () => {
    const token = await s.token({ user: "batch-basic" });
    const list = await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: "Batch" } });
    const r = await batch(token, [
      { id: "1", method: "GET", url: "/me/todo/lists?$select=displayName" },
      { id: "2", method: "POST", url: `/me/todo/lists/${enc(list.json.id)}/tasks`, headers: { "Content-Type": "application/json" }, body: { title: "from a batch" } },
      { id: "3", method: "GET", url: `/v1.0/me/todo/lists/${"AQMkL" + "A".repeat(24)}=` },
      { id: "4", method: "PATCH", url: `/me/todo/lists/${enc(list.json.id)}`, headers: { "content-type": "application/json" }, body: { bogus: 1 } },
    ]);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get("content-type")!, /^application\/json/);
    const [one, two, three, four] = r.json.responses;
    assert.deepEqual(r.json.responses.map((x: { id: string }) => x.id), ["1", "2", "3", "4"]);
    assert.equal(one.status, 200);
    assert.equal(one.body["@odata.context"], `${s.url}/v1.0/$metadata#users('${oidOf("batch-basic")}')/todo/lists`);
    assert.deepEqual(Object.keys(one.body.value[0]).sort(), ["@odata.etag", "displayName", "id"]);
    assert.match(one.headers["Content-Type"], /^application\/json/);
    assert.equal(two.status, 201);
    assert.equal(two.body.title, "from a batch");
    assert.ok(two.headers.Location.endsWith(`/tasks/${two.body.id}`));
    assert.equal(three.status, 404);
    assert.equal(three.body.error.code, "itemNotFound");
    assert.equal(four.status, 400);
    assert.equal(four.body.error.code, "invalidRequest");
    const tasks = await call("GET", `${s.url}/v1.0/me/todo/lists/${enc(list.json.id)}/tasks`, { token });
    assert.deepEqual(tasks.json.value.map((t: { title: string }) => t.title), ["from a batch"], "the batch's write happened once");
  });

  test("each inner request is authorised as if alone: a read-only token's writes are 403, reads 200; another user's data 403", async () => {
    const ro = await s.token({ user: "batch-ro", scopes: ["Tasks.Read"] });
    const r = await batch(ro, [
      { id: "r", method: "GET", url: "/me/todo/lists" },
      { id: "w", method: "POST", url: "/me/todo/lists", headers: { "content-type": "application/json" }, body: { displayName: "no" } },
      { id: "x", method: "GET", url: `/users/${oidOf("someone-else")}/todo/lists` },
    ]);
    assert.equal(r.status, 200);
    const byId = Object.fromEntries(r.json.responses.map((x: { id: string }) => [x.id, x]));
    assert.equal(byId.r.status, 200);
    assert.equal(byId.w.status, 403);
    assert.equal(byId.w.body.error.code, "accessDenied");
    assert.equal(byId.x.status, 403);
    assert.equal((await call("GET", `${s.url}/v1.0/me/todo/lists`, { token: ro })).json.value.length, 1, "nothing was created");
    const anon = await batch(undefined, [{ id: "1", method: "GET", url: "/me/todo/lists" }]);
    expectError(anon, 401, "InvalidAuthenticationToken");
  });

  test("all depending on one request (the third shape Graph runs) waits for it", async () => {
    const token = await s.token({ user: "batch-fan" });
    const json = { "content-type": "application/json" };
    const r = await batch(token, [
      { id: "root", method: "POST", url: "/me/todo/lists", headers: json, body: { displayName: "Fan" } },
      { id: "a", method: "GET", url: "/me/todo/lists", dependsOn: ["root"] },
      { id: "b", method: "GET", url: "/me/todo/lists?$select=id", dependsOn: ["root"] },
    ]);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.responses.map((x: { body: { value?: unknown[] } }) => x.body.value?.length), [undefined, 2, 2]);
  });

  test("dependsOn runs in order; a request whose dependency failed answers 424 and is not run", async () => {
    const token = await s.token({ user: "batch-deps" });
    const list = (await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: "Deps" } })).json.id;
    const tasks = `/me/todo/lists/${enc(list)}/tasks`;
    const json = { "content-type": "application/json" };
    const r = await batch(token, [
      { id: "a", method: "POST", url: tasks, headers: json, body: { title: "first" } },
      { id: "b", method: "POST", url: tasks, headers: json, body: { title: "second" }, dependsOn: ["a"] },
      { id: "c", method: "POST", url: tasks, headers: json, body: { title: 5 }, dependsOn: ["B"] },
      { id: "d", method: "POST", url: tasks, headers: json, body: { title: "never" }, dependsOn: ["c"] },
    ]);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.responses.map((x: { status: number }) => x.status), [201, 201, 400, 424]);
    assert.equal(r.json.responses[3].body.error.code, "FailedDependency");
    const titles = (await call("GET", `${s.url}/v1.0${tasks}`, { token })).json.value.map((t: { title: string }) => t.title);
    assert.deepEqual(titles, ["first", "second"], "in dependency order; the dependent of the failure never ran");
  });

  test("non-JSON answers come back base64 ($value), beta works too", async () => {
    const token = await s.token({ user: "batch-bytes" });
    const list = (await call("POST", `${s.url}/beta/me/todo/lists`, { token, json: { displayName: "Bytes" } })).json.id;
    const task = (await call("POST", `${s.url}/beta/me/todo/lists/${enc(list)}/tasks`, { token, json: { title: "t" } })).json.id;
    const base = `/me/todo/lists/${enc(list)}/tasks/${enc(task)}/attachments`;
    const att = await call("POST", `${s.url}/beta${base}`, { token, json: { "@odata.type": "#microsoft.graph.taskFileAttachment", name: "a.txt", contentBytes: Buffer.from("hello").toString("base64"), contentType: "text/plain" } });
    assert.equal(att.status, 201, att.text);
    const r = await batch(token, [{ id: "v", method: "GET", url: `${base}/${enc(att.json.id)}/$value` }, { id: "d", method: "DELETE", url: `${base}/${enc(att.json.id)}`, dependsOn: ["v"] }], "beta");
    assert.equal(r.status, 200, r.text);
    assert.equal(Buffer.from(r.json.responses[0].body, "base64").toString(), "hello");
    assert.equal(r.json.responses[0].headers["Content-Type"], "text/plain");
    assert.equal(r.json.responses[1].status, 204);
    assert.equal(r.json.responses[1].body, undefined);
  });

  test("envelopes Graph refuses whole: 400 BadRequest, nothing run", async () => {
    const token = await s.token({ user: "batch-bad" });
    const get = (id: string) => ({ id, method: "GET", url: "/me/todo/lists" });
    const post = { id: "p", method: "POST", url: "/me/todo/lists", headers: { "content-type": "application/json" }, body: { displayName: "must not exist" } };
    const cases: Array<[string, unknown, RegExp]> = [
      ["21 requests", [post, ...Array.from({ length: 20 }, (_, i) => get(String(i)))], /at most 20/],
      ["no requests", [], /no requests/],
      ["not an array", { id: "1" }, /'requests' array/],
      ["duplicate ids (ignoring case)", [post, get("a"), get("A")], /Request Id A has to be unique in a batch\./],
      ["a missing id", [post, { method: "GET", url: "/me/todo/lists" }], /needs an 'id'/],
      ["an unknown method", [post, { id: "1", method: "TRACE", url: "/me/todo/lists" }], /method/],
      ["a missing url", [post, { id: "1", method: "GET" }], /url/],
      ["an absolute url", [post, { id: "1", method: "GET", url: "https://graph.microsoft.com/v1.0/me/todo/lists" }], /relative/],
      ["another version", [post, { id: "1", method: "GET", url: "/beta/me/todo/lists" }], /names version beta/],
      ["a nested batch", [post, { id: "1", method: "POST", url: "/$batch", headers: { "content-type": "application/json" }, body: {} }], /nested/],
      ["a body without Content-Type", [post, { id: "1", method: "POST", url: "/me/todo/lists", body: { displayName: "x" } }], /Write request id : 1 does not contain Content-Type header or body\./],
      ["a write without a body", [post, { id: "1", method: "PATCH", url: "/me/todo/lists/x", headers: { "content-type": "application/json" } }], /does not contain Content-Type header or body/],
      ["a forward dependency", [post, { ...get("1"), dependsOn: ["2"] }, get("2")], /Invalid dependency for request Id 1/],
      ["a self dependency (a cycle)", [post, { ...get("1"), dependsOn: ["1"] }], /Invalid dependency/],
      ["an unknown dependency", [post, { ...get("1"), dependsOn: ["zz"] }], /Invalid dependency/],
      ["a mix of chained and independent requests", [post, get("1"), { ...get("2"), dependsOn: ["1"] }, { ...get("3"), dependsOn: ["2"] }], /Batch should be either fully sequential or fully parallel\./],
      ["a non-base64 body for bytes", [post, { id: "1", method: "PUT", url: "/me/todo/lists/x", headers: { "content-type": "application/octet-stream" }, body: "not base64!" }], /base64/],
    ];
    for (const [name, requests, message] of cases) {
      const r = await call("POST", `${s.url}/v1.0/$batch`, { token, json: Array.isArray(requests) ? { requests } : { requests } });
      const e = expectError(r, 400, "BadRequest");
      assert.match(e.message, message, name);
    }
    expectError(await call("POST", `${s.url}/v1.0/$batch`, { token, json: "[" }), 400, "invalidRequest");
    expectError(await call("POST", `${s.url}/v1.0/$batch`, { token, body: "{}", headers: { "content-type": "text/plain" } }), 415, "invalidRequest");
    const lists = await call("GET", `${s.url}/v1.0/me/todo/lists`, { token });
    assert.equal(lists.json.value.length, 1, "no refused envelope ran any of its requests");
  });
});
