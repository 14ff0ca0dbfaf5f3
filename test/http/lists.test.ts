// todoTaskList over HTTP: every route under both versions and all three principal forms, the
// default list, bad input that must change nothing, If-Match, cascade delete and a restart.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { changesNothing, enc, expectError, oidOf, principals, reconnect, unknownId, VERSIONS } from "./_foundation.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

describe("the default list", () => {
  test("a new user has exactly one list, 'Tasks' (defaultList), even when first requests race", async () => {
    const token = await s.token({ user: "fresh-lists" });
    const all = await Promise.all(Array.from({ length: 6 }, () => call("GET", `${s.url}/v1.0/me/todo/lists`, { token })));
    for (const r of all) assert.equal(r.status, 200);
    const r = await call("GET", `${s.url}/v1.0/me/todo/lists`, { token });
    assert.equal(r.json["@odata.context"], `${s.url}/v1.0/$metadata#users('${oidOf("fresh-lists")}')/todo/lists`);
    assert.equal(r.json.value.length, 1);
    const [l] = r.json.value;
    assert.equal(l.displayName, "Tasks");
    assert.equal(l.wellknownListName, "defaultList");
    assert.equal(l.isOwner, true);
    assert.equal(l.isShared, false);
    assert.match(l["@odata.etag"], /^W\/".+"$/);
    assert.match(l.id, /^AQMkL/);
    assert.equal(r.json["@odata.nextLink"], undefined);
  });

  test("cannot be renamed or deleted (400 invalidRequest), and stays as it was", async () => {
    const token = await s.token({ user: "default-guard" });
    const lists = await call("GET", `${s.url}/v1.0/me/todo/lists`, { token });
    const url = `${s.url}/v1.0/me/todo/lists/${enc(lists.json.value[0].id)}`;
    await changesNothing(token, [url], async () => {
      const rename = await call("PATCH", url, { token, json: { displayName: "Renamed" } });
      const e = expectError(rename, 400, "invalidRequest", "ErrorInvalidRequest");
      assert.match(e.innerError.message!, /A default task folder can't be renamed\./);
      const del = await call("DELETE", url, { token });
      expectError(del, 400, "invalidRequest", "ErrorInvalidRequest");
    });
  });
});

describe("CRUD under every version and principal form", () => {
  for (const version of VERSIONS) {
    for (const p of principals("crud-lists")) {
      test(`${version} ${p.name}: POST, GET one, GET collection, PATCH, DELETE`, async () => {
        const token = await s.token({ user: "crud-lists" });
        const lists = `${s.url}/${version}/${p.path}/todo/lists`;
        const created = await call("POST", lists, { token, json: { displayName: `Groceries ${version} ${p.name}` } });
        assert.equal(created.status, 201, created.text);
        const id = created.json.id as string;
        assert.equal(created.json["@odata.context"], `${s.url}/${version}/$metadata#users('${oidOf("crud-lists")}')/todo/lists/$entity`);
        assert.equal(created.json.displayName, `Groceries ${version} ${p.name}`);
        assert.equal(created.json.wellknownListName, "none");
        assert.equal(created.json.isOwner, true);
        assert.equal(created.json.isShared, false);
        assert.equal(created.headers.get("location"), `${s.url}/${version}/users/${oidOf("crud-lists")}/todo/lists/${id}`);
        assert.equal((await call("GET", created.headers.get("location")!, { token })).status, 200, "Location resolves");
        assert.match(created.headers.get("content-type")!, /^application\/json/);

        const one = await call("GET", `${lists}/${enc(id)}`, { token });
        assert.equal(one.status, 200);
        assert.equal(one.json["@odata.context"], `${s.url}/${version}/$metadata#users('${oidOf("crud-lists")}')/todo/lists/$entity`);
        const { ["@odata.context"]: _c1, ...createdBody } = created.json;
        const { ["@odata.context"]: _c2, ...oneBody } = one.json;
        assert.deepEqual(oneBody, createdBody);

        const coll = await call("GET", lists, { token });
        assert.equal(coll.status, 200);
        assert.ok(coll.json.value.some((l: { id: string }) => l.id === id));

        const patched = await call("PATCH", `${lists}/${enc(id)}`, { token, json: { displayName: "Renamed" } });
        assert.equal(patched.status, 200, patched.text);
        assert.equal(patched.json.displayName, "Renamed");
        assert.equal(patched.json.id, id);
        assert.notEqual(patched.json["@odata.etag"], created.json["@odata.etag"]);
        assert.equal((await call("GET", `${lists}/${enc(id)}`, { token })).json.displayName, "Renamed");

        const del = await call("DELETE", `${lists}/${enc(id)}`, { token });
        assert.equal(del.status, 204);
        assert.equal(del.text, "");
        expectError(await call("GET", `${lists}/${enc(id)}`, { token }), 404, "itemNotFound", "ErrorItemNotFound");
        expectError(await call("DELETE", `${lists}/${enc(id)}`, { token }), 404, "itemNotFound", "ErrorItemNotFound");
      });
    }
  }

  test("the UPN in /users/{upn} matches case-insensitively, and a list made under one form is seen by the others", async () => {
    const token = await s.token({ user: "Case.User" });
    const created = await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: "Shared view" } });
    const upper = await call("GET", `${s.url}/beta/users/CASE.USER@TASKDROP.LOCAL/todo/lists/${enc(created.json.id)}`, { token });
    assert.equal(upper.status, 200, upper.text);
    assert.equal(upper.json.displayName, "Shared view");
  });

  test("the keyed form lists('{id}') resolves like lists/{id}", async () => {
    const token = await s.token({ user: "keyed" });
    const created = await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: "Keyed" } });
    const r = await call("GET", `${s.url}/v1.0/me/todo/lists('${enc(created.json.id)}')`, { token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.id, created.json.id);
  });
});

describe("bad input changes nothing", () => {
  let token: string;
  let coll: string;
  let listUrl: string;
  before(async () => {
    token = await s.token({ user: "bad-lists" });
    coll = `${s.url}/v1.0/me/todo/lists`;
    const l = await call("POST", coll, { token, json: { displayName: "Keep me" } });
    listUrl = `${coll}/${enc(l.json.id)}`;
  });

  const badBodies: [string, unknown][] = [
    ["malformed JSON", "{\"displayName\": "],
    ["a JSON array", "[]"],
    ["a JSON string", "\"Groceries\""],
    ["null", "null"],
    ["displayName a number", { displayName: 42 }],
    ["displayName null", { displayName: null }],
    ["displayName empty", { displayName: "" }],
    ["displayName blank", { displayName: "   " }],
    ["displayName over 255 characters", { displayName: "x".repeat(256) }],
    ["displayName with control characters", { displayName: "a\u0001b" }],
    ["an unknown property", { displayName: "ok", colour: "red" }],
    ["read-only id", { displayName: "ok", id: "AQMkLxxxxxxxxxxxxxxxxxxxxxxxx=" }],
    ["read-only wellknownListName", { displayName: "ok", wellknownListName: "defaultList" }],
    ["read-only isOwner", { displayName: "ok", isOwner: false }],
    ["read-only isShared", { displayName: "ok", isShared: true }],
    ["navigation property tasks", { displayName: "ok", tasks: [] }],
    ["the wrong @odata.type", { "@odata.type": "#microsoft.graph.todoTask", displayName: "ok" }],
  ];

  for (const [what, body] of badBodies) {
    test(`POST with ${what} → 400`, async () => {
      await changesNothing(token, [coll], async () => {
        expectError(await call("POST", coll, { token, json: body }), 400, "invalidRequest", "ErrorInvalidRequest");
      });
    });
    test(`PATCH with ${what} → 400`, async () => {
      await changesNothing(token, [coll, listUrl], async () => {
        expectError(await call("PATCH", listUrl, { token, json: body }), 400, "invalidRequest", "ErrorInvalidRequest");
      });
    });
  }

  test("POST without displayName → 400; PATCH with nothing to change → 400", async () => {
    await changesNothing(token, [coll, listUrl], async () => {
      expectError(await call("POST", coll, { token, json: {} }), 400, "invalidRequest", "ErrorInvalidRequest");
      expectError(await call("PATCH", listUrl, { token, json: {} }), 400, "invalidRequest", "ErrorInvalidRequest");
    });
  });

  test("@odata.type annotations of the right type are accepted, with or without '#'", async () => {
    for (const t of ["#microsoft.graph.todoTaskList", "microsoft.graph.todoTaskList"]) {
      const r = await call("POST", coll, { token, json: { "@odata.type": t, displayName: "Annotated" } });
      assert.equal(r.status, 201, r.text);
      assert.equal((await call("DELETE", `${coll}/${enc(r.json.id)}`, { token })).status, 204);
    }
  });

  test("a body that is not JSON (text/plain) → 415, an empty JSON body → 400", async () => {
    await changesNothing(token, [coll, listUrl], async () => {
      const plain = await call("POST", coll, { token, body: '{"displayName":"x"}', headers: { "content-type": "text/plain" } });
      expectError(plain, 415, "invalidRequest");
      expectError(await call("POST", coll, { token, body: "", headers: { "content-type": "application/json" } }), 400, "invalidRequest");
      expectError(await call("PATCH", listUrl, { token, body: "x", headers: { "content-type": "application/xml" } }), 415, "invalidRequest");
    });
  });

  test("a JSON body over the 5 MiB limit → 413; an over-long /users/{key} → 400", async () => {
    await changesNothing(token, [coll], async () => {
      const huge = JSON.stringify({ displayName: "x".repeat(5 * 1024 * 1024) });
      expectError(await call("POST", coll, { token, json: huge }), 413, "invalidRequest");
      const long = await call("GET", `${s.url}/v1.0/users/${"u".repeat(400)}/todo/lists`, { token });
      expectError(long, 400, "invalidRequest");
    });
  });

  test("a malformed list id → 400 ErrorInvalidIdMalformed; a well-formed unknown one → 404", async () => {
    await changesNothing(token, [coll], async () => {
      for (const bad of ["nope", "AQMkT" + "A".repeat(24) + "=", "AQMkL" + "A".repeat(23) + "=", "%00", "x".repeat(400)]) {
        for (const m of ["GET", "PATCH", "DELETE"]) {
          const r = await call(m, `${coll}/${bad}`, { token, ...(m === "PATCH" ? { json: { displayName: "x" } } : {}) });
          expectError(r, 400, "invalidRequest", "ErrorInvalidIdMalformed");
        }
      }
      for (const m of ["GET", "PATCH", "DELETE"]) {
        const r = await call(m, `${coll}/${unknownId("AQMkL")}`, { token, ...(m === "PATCH" ? { json: { displayName: "x" } } : {}) });
        const e = expectError(r, 404, "itemNotFound", "ErrorItemNotFound");
        assert.equal(e.message, "Item not found");
      }
    });
  });
});

describe("If-Match", () => {
  test("a stale etag → 412 on PATCH and DELETE and nothing changes; the current etag and * succeed", async () => {
    const token = await s.token({ user: "etags-lists" });
    const coll = `${s.url}/v1.0/me/todo/lists`;
    const created = await call("POST", coll, { token, json: { displayName: "v1" } });
    const url = `${coll}/${enc(created.json.id)}`;
    const stale = created.json["@odata.etag"] as string;
    const ok = await call("PATCH", url, { token, json: { displayName: "v2" }, headers: { "if-match": stale } });
    assert.equal(ok.status, 200);
    await changesNothing(token, [url], async () => {
      expectError(await call("PATCH", url, { token, json: { displayName: "v3" }, headers: { "if-match": stale } }), 412, "preconditionFailed");
      expectError(await call("DELETE", url, { token, headers: { "if-match": stale } }), 412, "preconditionFailed");
    });
    const star = await call("PATCH", url, { token, json: { displayName: "v4" }, headers: { "if-match": "*" } });
    assert.equal(star.status, 200);
    const del = await call("DELETE", url, { token, headers: { "if-match": star.json["@odata.etag"] } });
    assert.equal(del.status, 204);
  });
});

describe("deleting a list", () => {
  test("deletes its tasks and leaves other lists' tasks alone", async () => {
    const token = await s.token({ user: "cascade" });
    const coll = `${s.url}/v1.0/me/todo/lists`;
    const doomed = (await call("POST", coll, { token, json: { displayName: "Doomed" } })).json.id as string;
    const kept = (await call("POST", coll, { token, json: { displayName: "Kept" } })).json.id as string;
    const t1 = (await call("POST", `${coll}/${enc(doomed)}/tasks`, { token, json: { title: "one" } })).json.id as string;
    const t2 = (await call("POST", `${coll}/${enc(kept)}/tasks`, { token, json: { title: "two" } })).json.id as string;
    assert.equal((await call("DELETE", `${coll}/${enc(doomed)}`, { token })).status, 204);
    expectError(await call("GET", `${coll}/${enc(doomed)}/tasks/${enc(t1)}`, { token }), 404, "itemNotFound");
    expectError(await call("GET", `${coll}/${enc(doomed)}/tasks`, { token }), 404, "itemNotFound");
    expectError(await call("POST", `${coll}/${enc(doomed)}/tasks`, { token, json: { title: "late" } }), 404, "itemNotFound");
    assert.equal((await call("GET", `${coll}/${enc(kept)}/tasks/${enc(t2)}`, { token })).status, 200);
    // The task does not surface under another list either.
    expectError(await call("GET", `${coll}/${enc(kept)}/tasks/${enc(t1)}`, { token }), 404, "itemNotFound");
  });
});

describe("persistence", () => {
  test("lists and tasks, with their etags, survive a restart; the default list is not duplicated", async () => {
    const p = await startTestServer();
    try {
      const token = await p.token({ user: "durable" });
      const coll = `${p.url}/v1.0/me/todo/lists`;
      const l = await call("POST", coll, { token, json: { displayName: "Durable" } });
      const t = await call("POST", `${coll}/${enc(l.json.id)}/tasks`, {
        token,
        json: { title: "Survive", importance: "high", dueDateTime: { dateTime: "2030-01-02T03:04:05.1234567", timeZone: "W. Europe Standard Time" } },
      });
      const beforeLists = (await call("GET", coll, { token })).json;
      const beforeTask = (await call("GET", `${coll}/${enc(l.json.id)}/tasks/${enc(t.json.id)}`, { token })).json;
      await p.restart();
      await reconnect(p.url);
      assert.deepEqual((await call("GET", coll, { token })).json, beforeLists);
      assert.deepEqual((await call("GET", `${coll}/${enc(l.json.id)}/tasks/${enc(t.json.id)}`, { token })).json, beforeTask);
      // Tokens minted before the restart still verify (the signing key is kept in the data directory).
      const fresh = await p.token({ user: "durable" });
      assert.equal((await call("GET", coll, { token: fresh })).json.value.length, 2);
    } finally {
      await p.close();
    }
  });
});
