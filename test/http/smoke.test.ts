import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { makeSession, makeTask, putRange } from "../helpers/fixtures.js";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test("a file uploaded in three ranges comes back byte-identical and the task has attachments", async () => {
  const f = await makeTask(s.url, await s.token());
  const data = randomBytes(5_000_000);
  const url = await makeSession(f, data.length, "photo.jpg", "image/jpeg");
  assert.equal((await putRange(url, data, 0, 1_999_999)).status, 200);
  assert.equal((await putRange(url, data, 2_000_000, 3_999_999)).status, 200);
  const last = await putRange(url, data, 4_000_000, 4_999_999);
  assert.equal(last.status, 201);
  const location = last.headers.get("location")!;
  const got = await call("GET", location, { token: f.token });
  assert.equal(got.status, 200);
  assert.equal(got.json.size, data.length);
  assert.equal(got.json.contentType, "image/jpeg");
  const value = await call("GET", `${location}/$value`, { token: f.token });
  assert.equal(createHash("sha256").update(value.bytes).digest("hex"), createHash("sha256").update(data).digest("hex"));
  const task = await call("GET", f.taskUrl, { token: f.token });
  assert.equal(task.json.hasAttachments, true);
});
