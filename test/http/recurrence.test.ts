// Completing a recurring task over HTTP: the task moves on to its next occurrence and a new task
// keeps the completed one, in one transaction (a refused change does neither).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { enc, expectError } from "./_foundation.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test("completing a weekly task: same id due a week later and not started; a completed copy without recurrence", async () => {
  const token = await s.token({ user: "recurring" });
  const list = (await call("POST", `${s.url}/v1.0/me/todo/lists`, { token, json: { displayName: "Chores" } })).json.id;
  const tasks = `${s.url}/v1.0/me/todo/lists/${enc(list)}/tasks`;
  const recurrence = { pattern: { type: "weekly", interval: 1, daysOfWeek: ["thursday"] }, range: { type: "noEnd", startDate: "2026-12-03" } };
  const created = await call("POST", tasks, { token, json: { title: "Bins", dueDateTime: { dateTime: "2026-12-03T00:00:00", timeZone: "UTC" }, recurrence } });
  assert.equal(created.status, 201, created.text);
  const id = created.json.id;
  const deltaLink: string = (await call("GET", `${tasks}/delta`, { token })).json["@odata.deltaLink"];

  expectError(await call("PATCH", `${tasks}/${enc(id)}`, { token, json: { status: "completed" }, headers: { "if-match": 'W/"stale"' } }), 412, "preconditionFailed");
  assert.equal((await call("GET", tasks, { token })).json.value.length, 1, "a refused completion creates nothing");

  const done = await call("PATCH", `${tasks}/${enc(id)}`, { token, json: { status: "completed" } });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.id, id);
  assert.equal(done.json.status, "notStarted");
  assert.deepEqual(done.json.dueDateTime, { dateTime: "2026-12-10T00:00:00.0000000", timeZone: "UTC" });
  assert.deepEqual(done.json.recurrence, recurrence);
  const all = (await call("GET", tasks, { token })).json.value;
  assert.equal(all.length, 2);
  const copy = all.find((t: { id: string }) => t.id !== id);
  assert.equal(copy.title, "Bins");
  assert.equal(copy.status, "completed");
  assert.ok(copy.completedDateTime);
  assert.equal(copy.recurrence, undefined);
  assert.deepEqual(copy.dueDateTime, { dateTime: "2026-12-03T00:00:00.0000000", timeZone: "UTC" });
  assert.equal(copy.createdDateTime, created.json.createdDateTime, "the completed occurrence keeps the task's history");
  const changed = (await call("GET", deltaLink, { token })).json.value.map((t: { id: string }) => t.id).sort();
  assert.deepEqual(changed, [id, copy.id].sort(), "delta reports both");

  // Without recurrence (or once it is removed), completing is just completing.
  const plain = await call("PATCH", `${tasks}/${enc(id)}`, { token, json: { recurrence: null, status: "completed" } });
  assert.equal(plain.json.status, "completed");
  assert.equal((await call("GET", tasks, { token })).json.value.length, 2);
});
