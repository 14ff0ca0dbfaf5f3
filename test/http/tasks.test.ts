// todoTask over HTTP: every route under both versions and all three principal forms, the task
// semantics of the spec's Resources section, and bad input that must change nothing.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { changesNothing, enc, expectError, oidOf, principals, unknownId, VERSIONS } from "./_foundation.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$/;
const DTZ = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}$/;

async function newList(token: string, base = `${s.url}/v1.0/me/todo`): Promise<string> {
  const r = await call("POST", `${base}/lists`, { token, json: { displayName: "Task tests" } });
  assert.equal(r.status, 201, r.text);
  return `${base}/lists/${enc(r.json.id)}`;
}

function noNulls(v: unknown, path = "$"): void {
  assert.notEqual(v, null, `${path} is null`);
  if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) noNulls(x, `${path}.${k}`);
}

describe("CRUD under every version and principal form", () => {
  for (const version of VERSIONS) {
    for (const p of principals("crud-tasks")) {
      test(`${version} ${p.name}: POST, GET one, GET collection, PATCH, DELETE`, async () => {
        const token = await s.token({ user: "crud-tasks" });
        const list = await newList(token, `${s.url}/${version}/${p.path}/todo`);
        const listId = decodeURIComponent(list.split("/").pop()!);
        const created = await call("POST", `${list}/tasks`, { token, json: { title: "Buy milk" } });
        assert.equal(created.status, 201, created.text);
        const id = created.json.id as string;
        assert.match(id, /^AQMkT/);
        const ctx = `${s.url}/${version}/$metadata#users('${oidOf("crud-tasks")}')/todo/lists('${enc(listId)}')/tasks/$entity`;
        assert.equal(created.json["@odata.context"], ctx);
        assert.equal(created.headers.get("location"), `${s.url}/${version}/users/${oidOf("crud-tasks")}/todo/lists/${listId}/tasks/${id}`);
        assert.equal((await call("GET", created.headers.get("location")!, { token })).status, 200, "Location resolves");

        const one = await call("GET", `${list}/tasks/${enc(id)}`, { token });
        assert.equal(one.status, 200);
        assert.deepEqual(one.json, created.json);

        const coll = await call("GET", `${list}/tasks`, { token });
        assert.equal(coll.status, 200);
        assert.equal(coll.json["@odata.context"], ctx.replace(/\/\$entity$/, ""));
        assert.deepEqual(coll.json.value.map((t: { id: string }) => t.id), [id]);

        const patched = await call("PATCH", `${list}/tasks/${enc(id)}`, { token, json: { title: "Buy oat milk" } });
        assert.equal(patched.status, 200, patched.text);
        assert.equal(patched.json.title, "Buy oat milk");
        assert.notEqual(patched.json["@odata.etag"], created.json["@odata.etag"]);

        const del = await call("DELETE", `${list}/tasks/${enc(id)}`, { token });
        assert.equal(del.status, 204);
        expectError(await call("GET", `${list}/tasks/${enc(id)}`, { token }), 404, "itemNotFound", "ErrorItemNotFound");
        expectError(await call("PATCH", `${list}/tasks/${enc(id)}`, { token, json: { title: "x" } }), 404, "itemNotFound");
        expectError(await call("DELETE", `${list}/tasks/${enc(id)}`, { token }), 404, "itemNotFound");
        assert.deepEqual((await call("GET", `${list}/tasks`, { token })).json.value, []);
      });
    }
  }

  test("tasks can be made in the default list", async () => {
    const token = await s.token({ user: "default-tasks" });
    const lists = await call("GET", `${s.url}/v1.0/me/todo/lists`, { token });
    const r = await call("POST", `${s.url}/v1.0/me/todo/lists/${enc(lists.json.value[0].id)}/tasks`, { token, json: { title: "In Tasks" } });
    assert.equal(r.status, 201, r.text);
  });
});

describe("task semantics", () => {
  let token: string;
  let list: string;
  before(async () => {
    token = await s.token({ user: "semantics" });
    list = await newList(token);
  });

  test("a minimal task has the always-present properties and omits the unset ones (never null)", async () => {
    const r = await call("POST", `${list}/tasks`, { token, json: { title: "Minimal" } });
    const t = r.json;
    assert.equal(t.title, "Minimal");
    assert.equal(t.importance, "normal");
    assert.equal(t.status, "notStarted");
    assert.equal(t.isReminderOn, false);
    assert.equal(t.hasAttachments, false);
    assert.deepEqual(t.categories, []);
    assert.deepEqual(t.body, { content: "", contentType: "text" });
    assert.match(t["@odata.etag"], /^W\/".+"$/);
    for (const k of ["createdDateTime", "lastModifiedDateTime", "bodyLastModifiedDateTime"]) assert.match(t[k], TIMESTAMP, k);
    for (const k of ["completedDateTime", "dueDateTime", "startDateTime", "reminderDateTime", "recurrence"]) assert.equal(k in t, false, k);
    noNulls(t);
  });

  test("dateTimeTimeZone values keep the given dateTime (7 fractional digits) and timeZone", async () => {
    const r = await call("POST", `${list}/tasks`, {
      token,
      json: {
        title: "Dated",
        dueDateTime: { dateTime: "2024-03-31T22:00:00", timeZone: "Pacific Standard Time" },
        startDateTime: { dateTime: "2024-03-30T08:15:30.1234567", timeZone: "UTC" },
        reminderDateTime: { dateTime: "2024-03-31T07:00:00.5", timeZone: "W. Europe Standard Time" },
      },
    });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.dueDateTime, { dateTime: "2024-03-31T22:00:00.0000000", timeZone: "Pacific Standard Time" });
    assert.deepEqual(r.json.startDateTime, { dateTime: "2024-03-30T08:15:30.1234567", timeZone: "UTC" });
    assert.deepEqual(r.json.reminderDateTime, { dateTime: "2024-03-31T07:00:00.5000000", timeZone: "W. Europe Standard Time" });
    // A reminder time turns the reminder on unless the client says otherwise.
    assert.equal(r.json.isReminderOn, true);
    const got = await call("GET", `${list}/tasks/${enc(r.json.id)}`, { token });
    assert.deepEqual(got.json.dueDateTime, r.json.dueDateTime);
    // null removes a date; the others stay.
    const cleared = await call("PATCH", `${list}/tasks/${enc(r.json.id)}`, { token, json: { dueDateTime: null } });
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal("dueDateTime" in cleared.json, false);
    assert.deepEqual(cleared.json.startDateTime, r.json.startDateTime);
  });

  test("status completed sets completedDateTime (now, UTC); leaving completed removes it", async () => {
    const t = (await call("POST", `${list}/tasks`, { token, json: { title: "Finish me" } })).json;
    const url = `${list}/tasks/${enc(t.id)}`;
    const t0 = Date.now();
    const done = await call("PATCH", url, { token, json: { status: "completed" } });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json.status, "completed");
    assert.equal(done.json.completedDateTime.timeZone, "UTC");
    assert.match(done.json.completedDateTime.dateTime, DTZ);
    const when = Date.parse(done.json.completedDateTime.dateTime.slice(0, 19) + "Z");
    assert.ok(Math.abs(when - t0) < 5_000, `completedDateTime ${done.json.completedDateTime.dateTime} is not now`);
    // Completing again keeps the first completion time.
    const again = await call("PATCH", url, { token, json: { status: "completed", title: "Renamed" } });
    assert.deepEqual(again.json.completedDateTime, done.json.completedDateTime);
    const reopened = await call("PATCH", url, { token, json: { status: "inProgress" } });
    assert.equal(reopened.json.status, "inProgress");
    assert.equal("completedDateTime" in reopened.json, false);
    assert.equal("completedDateTime" in (await call("GET", url, { token })).json, false);
    // Created completed: stamped too.
    const born = await call("POST", `${list}/tasks`, { token, json: { title: "Born done", status: "completed" } });
    assert.match(born.json.completedDateTime.dateTime, DTZ);
  });

  test("PATCH changes only the given properties", async () => {
    const full = {
      title: "Full",
      body: { content: "<p>notes</p>", contentType: "html" },
      importance: "high",
      status: "waitingOnOthers",
      categories: ["Red category", "Work"],
      dueDateTime: { dateTime: "2031-05-06T07:08:09.0000000", timeZone: "Tokyo Standard Time" },
      recurrence: { pattern: { type: "weekly", interval: 2, daysOfWeek: ["monday"] }, range: { type: "noEnd", startDate: "2031-05-06" } },
    };
    const created = await call("POST", `${list}/tasks`, { token, json: full });
    assert.equal(created.status, 201, created.text);
    const url = `${list}/tasks/${enc(created.json.id)}`;
    const patched = await call("PATCH", url, { token, json: { importance: "low" } });
    assert.equal(patched.status, 200, patched.text);
    const { importance: i1, lastModifiedDateTime: m1, "@odata.etag": e1, ...rest1 } = created.json;
    const { importance: i2, lastModifiedDateTime: m2, "@odata.etag": e2, ...rest2 } = patched.json;
    assert.deepEqual(rest2, rest1);
    assert.equal(i1, "high");
    assert.equal(i2, "low");
    assert.notEqual(e1, e2);
    assert.ok(Date.parse(m2) >= Date.parse(m1));
    // A body change moves bodyLastModifiedDateTime; a title change does not.
    const body = await call("PATCH", url, { token, json: { body: { content: "new" } } });
    assert.deepEqual(body.json.body, { content: "new", contentType: "html" });
    assert.ok(Date.parse(body.json.bodyLastModifiedDateTime) >= Date.parse(created.json.bodyLastModifiedDateTime));
    const title = await call("PATCH", url, { token, json: { title: "Only title" } });
    assert.equal(title.json.bodyLastModifiedDateTime, body.json.bodyLastModifiedDateTime);
    assert.deepEqual(title.json.recurrence, full.recurrence);
  });

  test("every status and importance value round-trips", async () => {
    for (const status of ["notStarted", "inProgress", "completed", "waitingOnOthers", "deferred"]) {
      for (const importance of ["low", "normal", "high"]) {
        const r = await call("POST", `${list}/tasks`, { token, json: { title: `${status}/${importance}`, status, importance } });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.status, status);
        assert.equal(r.json.importance, importance);
      }
    }
  });

  test("tasks are listed in creation order", async () => {
    const l = await newList(token);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await call("POST", `${l}/tasks`, { token, json: { title: `#${i}` } })).json.id);
    await call("PATCH", `${l}/tasks/${enc(ids[0]!)}`, { token, json: { title: "touched" } });
    assert.deepEqual((await call("GET", `${l}/tasks`, { token })).json.value.map((t: { id: string }) => t.id), ids);
  });

  test("If-Match: a stale etag → 412 and nothing changes; the current one succeeds", async () => {
    const t = (await call("POST", `${list}/tasks`, { token, json: { title: "Versioned" } })).json;
    const url = `${list}/tasks/${enc(t.id)}`;
    const v2 = await call("PATCH", url, { token, json: { title: "v2" }, headers: { "if-match": t["@odata.etag"] } });
    assert.equal(v2.status, 200);
    await changesNothing(token, [url], async () => {
      expectError(await call("PATCH", url, { token, json: { title: "v3" }, headers: { "if-match": t["@odata.etag"] } }), 412, "preconditionFailed");
      expectError(await call("DELETE", url, { token, headers: { "if-match": t["@odata.etag"] } }), 412, "preconditionFailed");
    });
    assert.equal((await call("DELETE", url, { token, headers: { "if-match": v2.json["@odata.etag"] } })).status, 204);
  });
});

describe("bad input changes nothing", () => {
  let token: string;
  let list: string;
  let taskUrl: string;
  before(async () => {
    token = await s.token({ user: "bad-tasks" });
    list = await newList(token);
    const t = await call("POST", `${list}/tasks`, {
      token,
      json: { title: "Keep me", dueDateTime: { dateTime: "2030-01-01T00:00:00", timeZone: "UTC" }, categories: ["a"] },
    });
    taskUrl = `${list}/tasks/${enc(t.json.id)}`;
  });

  const bad: [string, unknown][] = [
    ["malformed JSON", '{"title": "x",'],
    ["a JSON array", '[{"title":"x"}]'],
    ["null", "null"],
    ["title a number", { title: 5 }],
    ["title null", { title: null }],
    ["title over 255 characters", { title: "t".repeat(256) }],
    ["importance not an enum value", { title: "x", importance: "urgent" }],
    ["importance in the wrong case", { title: "x", importance: "High" }],
    ["status not an enum value", { title: "x", status: "done" }],
    ["isReminderOn a string", { title: "x", isReminderOn: "true" }],
    ["categories not an array", { title: "x", categories: "Red" }],
    ["categories holding a number", { title: "x", categories: [1] }],
    ["categories with an empty name", { title: "x", categories: [""] }],
    ["too many categories", { title: "x", categories: Array.from({ length: 26 }, (_, i) => `c${i}`) }],
    ["body a string", { title: "x", body: "text" }],
    ["body.contentType not an enum value", { title: "x", body: { content: "x", contentType: "markdown" } }],
    ["body.content over the limit", { title: "x", body: { content: "b".repeat(65_537) } }],
    ["body with an unknown property", { title: "x", body: { content: "x", format: "y" } }],
    ["dueDateTime a string", { title: "x", dueDateTime: "2024-01-01T00:00:00" }],
    ["dueDateTime without dateTime", { title: "x", dueDateTime: { timeZone: "UTC" } }],
    ["dueDateTime an impossible date", { title: "x", dueDateTime: { dateTime: "2024-02-30T00:00:00", timeZone: "UTC" } }],
    ["dueDateTime not a date", { title: "x", dueDateTime: { dateTime: "tomorrow", timeZone: "UTC" } }],
    ["dueDateTime with 8 fractional digits", { title: "x", dueDateTime: { dateTime: "2024-01-01T00:00:00.12345678", timeZone: "UTC" } }],
    ["dueDateTime with an empty timeZone", { title: "x", dueDateTime: { dateTime: "2024-01-01T00:00:00", timeZone: "" } }],
    ["dueDateTime with an unknown property", { title: "x", dueDateTime: { dateTime: "2024-01-01T00:00:00", timeZone: "UTC", zone: 1 } }],
    ["recurrence without a pattern", { title: "x", recurrence: { range: { type: "noEnd" } } }],
    ["recurrence with a bad pattern type", { title: "x", recurrence: { pattern: { type: "hourly" }, range: { type: "noEnd" } } }],
    ["an unknown property", { title: "x", priority: 1 }],
    ["read-only id", { title: "x", id: "AQMkTxxxxxxxxxxxxxxxxxxxxxxxx=" }],
    ["read-only createdDateTime", { title: "x", createdDateTime: "2020-01-01T00:00:00Z" }],
    ["read-only lastModifiedDateTime", { title: "x", lastModifiedDateTime: "2020-01-01T00:00:00Z" }],
    ["read-only hasAttachments", { title: "x", hasAttachments: true }],
    ["read-only bodyLastModifiedDateTime", { title: "x", bodyLastModifiedDateTime: "2020-01-01T00:00:00Z" }],
    ["navigation property attachments", { title: "x", attachments: [] }],
    ["checklistItems not an array", { title: "x", checklistItems: { displayName: "x" } }],
    ["the wrong @odata.type", { "@odata.type": "#microsoft.graph.todoTaskList", title: "x" }],
  ];

  for (const [what, body] of bad) {
    test(`POST with ${what} → 400`, async () => {
      await changesNothing(token, [`${list}/tasks`], async () => {
        expectError(await call("POST", `${list}/tasks`, { token, json: body }), 400, "invalidRequest", "ErrorInvalidRequest");
      });
    });
    test(`PATCH with ${what} → 400`, async () => {
      await changesNothing(token, [`${list}/tasks`, taskUrl], async () => {
        expectError(await call("PATCH", taskUrl, { token, json: body }), 400, "invalidRequest", "ErrorInvalidRequest");
      });
    });
  }

  test("POST without a title → 400", async () => {
    await changesNothing(token, [`${list}/tasks`], async () => {
      const e = expectError(await call("POST", `${list}/tasks`, { token, json: { importance: "high" } }), 400, "invalidRequest");
      assert.match(e.innerError.message!, /title/);
    });
  });

  test("a non-JSON body → 415", async () => {
    await changesNothing(token, [`${list}/tasks`, taskUrl], async () => {
      expectError(await call("POST", `${list}/tasks`, { token, body: "title=x", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "invalidRequest");
      expectError(await call("PATCH", taskUrl, { token, body: "title=x", headers: { "content-type": "text/plain" } }), 415, "invalidRequest");
    });
  });

  test("malformed ids → 400 ErrorInvalidIdMalformed; well-formed unknown ids → 404", async () => {
    const listId = decodeURIComponent(list.split("/").pop()!);
    const taskId = decodeURIComponent(taskUrl.split("/").pop()!);
    const lists = `${s.url}/v1.0/me/todo/lists`;
    await changesNothing(token, [`${list}/tasks`, taskUrl], async () => {
      for (const [m, json] of [["GET"], ["PATCH", { title: "x" }], ["DELETE"]] as const) {
        const opts = { token, ...(json ? { json } : {}) };
        // Bad task id (including a list id where a task id belongs).
        for (const bad of ["123", enc(listId), "AQMkT" + "!".repeat(24) + "="]) {
          expectError(await call(m, `${list}/tasks/${bad}`, opts), 400, "invalidRequest", "ErrorInvalidIdMalformed");
        }
        // Bad list id in front of a good task id.
        expectError(await call(m, `${lists}/not-an-id/tasks/${enc(taskId)}`, opts), 400, "invalidRequest", "ErrorInvalidIdMalformed");
        // Unknown task; unknown list; the task under another of the user's lists.
        expectError(await call(m, `${list}/tasks/${unknownId("AQMkT")}`, opts), 404, "itemNotFound", "ErrorItemNotFound");
        expectError(await call(m, `${lists}/${unknownId("AQMkL")}/tasks/${enc(taskId)}`, opts), 404, "itemNotFound", "ErrorItemNotFound");
      }
      expectError(await call("GET", `${lists}/bad/tasks`, { token }), 400, "invalidRequest", "ErrorInvalidIdMalformed");
      expectError(await call("POST", `${lists}/bad/tasks`, { token, json: { title: "x" } }), 400, "invalidRequest", "ErrorInvalidIdMalformed");
      expectError(await call("GET", `${lists}/${unknownId("AQMkL")}/tasks`, { token }), 404, "itemNotFound");
      expectError(await call("POST", `${lists}/${unknownId("AQMkL")}/tasks`, { token, json: { title: "x" } }), 404, "itemNotFound");
    });
    const other = await newList(token);
    expectError(await call("GET", `${other}/tasks/${enc(taskId)}`, { token }), 404, "itemNotFound");
    expectError(await call("DELETE", `${other}/tasks/${enc(taskId)}`, { token }), 404, "itemNotFound");
    assert.equal((await call("GET", taskUrl, { token })).status, 200);
  });
});
