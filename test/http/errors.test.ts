// The error envelope and the URL space: every error is Graph-shaped JSON with dates and request
// ids, request ids are echoed or replaced, unknown paths name their segment, health answers.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call, graphError } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { enc, expectError } from "./_foundation.js";

let s: TestServer;
let token: string;
let listUrl: string;
let taskUrl: string;
before(async () => {
  s = await startTestServer();
  token = await s.token({ user: "errors" });
  const l = await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: "Errors" } });
  listUrl = `${s.url}/v1.0/me/todo/lists/${enc(l.json.id)}`;
  const t = await call("POST", `${listUrl}/tasks`, { token, json: { title: "Errors" } });
  taskUrl = `${listUrl}/tasks/${enc(t.json.id)}`;
});
after(() => s.close());

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("the Graph error envelope", () => {
  test("a variety of errors all carry code, message, innerError.date and both request ids, as JSON", async () => {
    const samples = [
      await call("GET", `${s.url}/v1.0/me/todo/lists`),
      await call("GET", `${s.url}/v1.0/me/todo/lists/bad-id`, { token }),
      await call("GET", `${s.url}/v1.0/me/todo/lists/AQMkL${"A".repeat(24)}=`, { token }),
      await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: "{" }),
      await call("PATCH", taskUrl, { token, json: { title: "x" }, headers: { "if-match": 'W/"stale"' } }),
      await call("GET", `${s.url}/v1.0/me/todo/lists?$top=5000`, { token }),
      await call("GET", `${s.url}/v1.0/me/outlook/tasks`, { token }),
      await call("PUT", `${s.url}/v1.0/me/todo/lists`, { token, json: {} }),
    ];
    const statuses = samples.map((r) => r.status);
    assert.deepEqual(statuses, [401, 400, 404, 400, 412, 400, 400, 405]);
    for (const r of samples) {
      const e = graphError(r);
      assert.equal(typeof e.message, "string");
      assert.ok(e.message.length > 0);
      assert.match(r.headers.get("content-type")!, /^application\/json/);
      assert.match(e.innerError["request-id"]!, GUID);
      assert.equal(r.headers.get("request-id"), e.innerError["request-id"]);
      assert.equal(r.headers.get("client-request-id"), e.innerError["client-request-id"]);
      // innerError.date is "now" in UTC.
      assert.ok(Math.abs(Date.parse(`${e.innerError.date}Z`) - Date.now()) < 60_000);
    }
    // Each request gets its own request-id.
    assert.equal(new Set(samples.map((r) => r.headers.get("request-id"))).size, samples.length);
  });

  test("To Do errors nest an Exchange code: the outer message is fixed, the detail is inside", async () => {
    const e = expectError(await call("GET", `${s.url}/v1.0/me/todo/lists/AQMkL${"B".repeat(24)}=`, { token }), 404, "itemNotFound", "ErrorItemNotFound");
    assert.equal(e.message, "Item not found");
    assert.equal(typeof e.innerError.message, "string");
    const bad = expectError(await call("POST", `${listUrl}/tasks`, { token, json: { title: 1 } }), 400, "invalidRequest", "ErrorInvalidRequest");
    assert.equal(bad.message, "Invalid request");
    assert.match(bad.innerError.message!, /title/);
  });
});

describe("request ids", () => {
  test("successes carry request-id and a fresh client-request-id", async () => {
    const r = await call("GET", listUrl, { token });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("request-id")!, GUID);
    assert.match(r.headers.get("client-request-id")!, GUID);
  });

  test("a given client-request-id is echoed, on successes and in errors", async () => {
    const id = "3f2a1b7c-0000-4a4a-9b9b-1234567890ab";
    const ok = await call("GET", listUrl, { token, headers: { "client-request-id": id } });
    assert.equal(ok.headers.get("client-request-id"), id);
    const err = await call("GET", `${s.url}/v1.0/me/todo/lists/nope`, { token, headers: { "client-request-id": id } });
    assert.equal(err.headers.get("client-request-id"), id);
    assert.equal(graphError(err).innerError["client-request-id"], id);
  });

  test("a hostile client-request-id is replaced by a new GUID", async () => {
    for (const hostile of ["<script>alert(1)</script>", "a".repeat(101), "x y", '"}}, "injected": {"', "ü-unicode"]) {
      const r = await call("GET", `${s.url}/v1.0/me/todo/lists/nope`, { token, headers: { "client-request-id": hostile } });
      const echoed = r.headers.get("client-request-id")!;
      assert.match(echoed, GUID, `for ${hostile}`);
      assert.equal(graphError(r).innerError["client-request-id"], echoed);
    }
  });
});

describe("the URL space", () => {
  test("unknown segments → 400 BadRequest \"Resource not found for the segment '…'\"", async () => {
    const cases: [string, string][] = [
      [`${s.url}/v1.0/me/outlook`, "outlook"],
      [`${s.url}/v1.0/me/todo/folders`, "folders"],
      // `lists/delta` and `tasks/delta` are served (test/http/delta.test.ts); below them a function is no id.
      [`${s.url}/v1.0/me/todo/lists/delta/tasks`, "delta"],
      [`${listUrl}/tasks/delta/attachments`, "delta"],
      [`${listUrl}/checklistItems`, "checklistItems"],
      [`${taskUrl}/steps`, "steps"],
      [`${taskUrl}/checklistItems/x/more`, "more"],
      [`${listUrl}/extensions/x/more`, "more"],
      [`${s.url}/beta/users/someone/calendar`, "calendar"],
    ];
    for (const [url, seg] of cases) {
      for (const m of ["GET", "POST", "PATCH", "DELETE"]) {
        const r = await call(m, url, { token, ...(m === "POST" || m === "PATCH" ? { json: {} } : {}) });
        const e = expectError(r, 400, "BadRequest");
        assert.equal(e.message, `Resource not found for the segment '${seg}'.`, `${m} ${url}`);
      }
    }
  });

  test("an unknown version → 400 BadRequest 'Invalid version'", async () => {
    const e = expectError(await call("GET", `${s.url}/v2.0/me/todo/lists`, { token }), 400, "BadRequest");
    assert.match(e.message, /^Invalid version: v2\.0/);
  });

  test("a known path with a method it does not have → 405, Graph-shaped", async () => {
    for (const [m, url] of [["PUT", `${s.url}/v1.0/me/todo/lists`], ["POST", listUrl], ["PUT", taskUrl], ["DELETE", `${listUrl}/tasks`]] as const) {
      const r = await call(m, url, { token, json: {} });
      assert.equal(r.status, 405, `${m} ${url}: ${r.text}`);
      graphError(r);
    }
  });

  test("segment names are matched case-insensitively and trailing slashes are ignored", async () => {
    const upper = listUrl.replace("/me/todo/lists/", "/me/Todo/Lists/");
    assert.equal((await call("GET", upper, { token })).status, 200);
    assert.equal((await call("GET", `${listUrl}/`, { token })).status, 200);
  });
});

describe("/_taskdrop/health", () => {
  test("answers 200 while the store is usable, 503 Graph-shaped once it is not", async () => {
    const h = await startTestServer();
    try {
      const ok = await call("GET", `${h.url}/_taskdrop/health`);
      assert.equal(ok.status, 200);
      assert.equal(ok.json.status, "ok");
      await h.running.store.close();
      const down = await call("GET", `${h.url}/_taskdrop/health`);
      expectError(down, 503, "serviceNotAvailable");
    } finally {
      await h.close();
    }
  });
});

test("a bodiless DELETE labelled application/json is served, not refused as empty JSON", async () => {
  const srv = await startTestServer();
  try {
    const token = await srv.token();
    const todo = `${srv.url}/v1.0/me/todo`;
    const list = await call("POST", `${todo}/lists`, { token, json: { displayName: "to delete" } });
    const del = await call("DELETE", `${todo}/lists/${list.json.id}`, { token, headers: { "content-type": "application/json" } });
    assert.equal(del.status, 204);
    const empty = await call("POST", `${todo}/lists`, { token, headers: { "content-type": "application/json" }, body: "" });
    assert.equal(empty.status, 400);
    assert.match(empty.json.error.innerError.message ?? empty.json.error.message, /empty/);
  } finally {
    await srv.close();
  }
});
