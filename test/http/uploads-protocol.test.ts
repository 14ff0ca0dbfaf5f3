// Upload sessions over HTTP, the happy paths: every response shape the spec pins down (create,
// intermediate 200, final 201, status, cancel), completion that can be repeated, expiry, who may
// use an uploadUrl, and every URL form (`/content`, `/me` and `/users/{id}`, `/v1.0` and `/beta`).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { devUpn, devUserOid } from "../../src/auth/dev-issuer.js";
import { makeSession, makeTask, putRange, type TaskFixture } from "../helpers/fixtures.js";
import { call, graphError } from "../helpers/http.js";
import { startTestServer, storedBlobs, type TestServer } from "../helpers/server.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
/** Graph's timestamp: UTC, up to 7 fractional digits without trailing zeros, and a Z. */
const GRAPH_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,6}[1-9])?Z$/;

async function createSession(f: TaskFixture, info: Record<string, unknown>, taskUrl = f.taskUrl) {
  return call("POST", `${taskUrl}/attachments/createUploadSession`, { token: f.token, json: { attachmentInfo: info } });
}

/** Objects whose bytes the store keeps (one per session or attachment: files on SQLite, chunk rows on PostgreSQL). */
const blobCount = async (s: TestServer) => (await storedBlobs(s)).count;

/** The uploadUrl's last segment: `{sessionId}{secret}`. */
const uploadKeyOf = (uploadUrl: string) => decodeURIComponent(uploadUrl.slice(uploadUrl.lastIndexOf("/") + 1));

describe("upload sessions (default server)", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  test("createUploadSession answers 200 with exactly Graph's uploadSession and an uploadUrl under /users/{oid}", async () => {
    const f = await makeTask(s.url, await s.token());
    const before = Date.now();
    const r = await createSession(f, { "@odata.type": "microsoft.graph.attachmentInfo", attachmentType: "file", name: "a.txt", size: 10 });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get("content-type")!, /^application\/json/);
    assert.deepEqual(Object.keys(r.json).sort(), ["@odata.context", "expirationDateTime", "nextExpectedRanges", "uploadUrl"]);
    assert.equal(r.json["@odata.context"], `${s.url}/v1.0/$metadata#microsoft.graph.uploadSession`);
    assert.deepEqual(r.json.nextExpectedRanges, ["0-"]);
    const oid = devUserOid("alice");
    const prefix = `${s.url}/v1.0/users/${oid}/todo/lists/${f.listId}/tasks/${f.taskId}/attachmentSessions/`;
    assert.ok(r.json.uploadUrl.startsWith(prefix), r.json.uploadUrl);
    const id = r.json.uploadUrl.slice(prefix.length);
    assert.match(id, /^[A-Za-z0-9_=-]{40,}$/, "one opaque path segment, no query string");
    // Default TTL: 24 hours from now, printed as Graph prints timestamps.
    assert.match(r.json.expirationDateTime, GRAPH_TIME);
    const expires = Date.parse(r.json.expirationDateTime);
    assert.ok(expires >= before + 86_400_000 - 1000 && expires <= Date.now() + 86_400_000 + 1000, r.json.expirationDateTime);

    // Annotations with a '#' are ignored too, and a missing contentType becomes application/octet-stream.
    const r2 = await createSession(f, { "@odata.type": "#microsoft.graph.attachmentInfo", attachmentType: "file", name: "b.bin", size: 1 });
    assert.equal(r2.status, 200, r2.text);
    const done = await call("PUT", r2.json.uploadUrl, { body: Buffer.from("x"), headers: { "content-range": "bytes 0-0/1" } });
    assert.equal(done.status, 201, done.text);
    const att = await call("GET", done.headers.get("location")!, { token: f.token });
    assert.equal(att.json.contentType, "application/octet-stream");
    assert.equal(att.json.name, "b.bin");
  });

  test("intermediate 200 is exactly {@odata.context, ExpirationDateTime, NextExpectedRanges: [bare offset]} with no id", async () => {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(3000);
    const created = await createSession(f, { attachmentType: "file", name: "three.bin", size: data.length, contentType: "application/pdf" });
    const url = created.json.uploadUrl;
    for (const [start, end] of [[0, 999], [1000, 1999]] as const) {
      const r = await putRange(url, data, start, end);
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers.get("content-type")!, /^application\/json/);
      assert.deepEqual(Object.keys(r.json), ["@odata.context", "ExpirationDateTime", "NextExpectedRanges"]);
      assert.equal(r.json["@odata.context"], `${s.url}/v1.0/$metadata#microsoft.graph.uploadSession`);
      assert.deepEqual(r.json.NextExpectedRanges, [String(end + 1)]);
      // The expiry is fixed at creation: PUTs do not extend it.
      assert.equal(r.json.ExpirationDateTime, created.json.expirationDateTime);
      assert.equal("id" in r.json, false);
    }
    const last = await putRange(url, data, 2000, 2999);
    assert.equal(last.status, 201);
    const value = await call("GET", `${last.headers.get("location")}/$value`, { token: f.token });
    assert.equal(value.headers.get("content-type"), "application/pdf");
    assert.equal(sha(value.bytes), sha(data));
  });

  test("GET status is camelCase with the trailing dash, and tracks progress", async () => {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(100);
    const created = await createSession(f, { attachmentType: "file", name: "s.bin", size: 100 });
    const url = created.json.uploadUrl;
    const st0 = await call("GET", url);
    assert.equal(st0.status, 200, st0.text);
    assert.match(st0.headers.get("content-type")!, /^application\/json/);
    assert.deepEqual(Object.keys(st0.json).sort(), ["@odata.context", "expirationDateTime", "id", "nextExpectedRanges"]);
    assert.equal(st0.json["@odata.context"], `${s.url}/v1.0/$metadata#microsoft.graph.attachmentSession`);
    // The id is the session's; the uploadUrl adds the secret that makes it a capability.
    assert.equal(st0.json.id, uploadKeyOf(url).slice(0, st0.json.id.length));
    assert.equal(st0.json.expirationDateTime, created.json.expirationDateTime);
    assert.deepEqual(st0.json.nextExpectedRanges, ["0-"]);
    assert.equal(st0.headers.get("location"), null);
    await putRange(url, data, 0, 41);
    const st1 = await call("GET", url);
    assert.deepEqual(st1.json.nextExpectedRanges, ["42-"]);
  });

  test("the final 201 has Location …/Attachments('{id}'), Content-Length 0, no body and no Content-Type", async () => {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(20);
    const url = await makeSession(f, 20, "fin.bin");
    assert.equal((await putRange(url, data, 0, 9)).status, 200);
    const r = await putRange(url, data, 10, 19);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get("content-length"), "0");
    assert.equal(r.headers.get("content-type"), null);
    assert.equal(r.bytes.length, 0);
    const loc = r.headers.get("location")!;
    const m = /^(.*)\/Attachments\('([^']+)'\)$/.exec(loc);
    assert.ok(m, loc);
    assert.equal(m[1], `${s.url}/v1.0/users/${devUserOid("alice")}/todo/lists/${f.listId}/tasks/${f.taskId}`);
    const list = await call("GET", `${f.taskUrl}/attachments`, { token: f.token });
    assert.deepEqual(list.json.value.map((a: { id: string }) => a.id), [decodeURIComponent(m[2]!)]);
    const task = await call("GET", f.taskUrl, { token: f.token });
    assert.equal(task.json.hasAttachments, true);
  });

  test("after completion: the final PUT again answers the same 201 and creates nothing; GET status gives [] and the Location", async () => {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(30);
    const url = await makeSession(f, 30, "again.bin");
    assert.equal((await putRange(url, data, 0, 14)).status, 200);
    const first = await putRange(url, data, 15, 29);
    assert.equal(first.status, 201);
    const again = await putRange(url, data, 15, 29);
    assert.equal(again.status, 201, again.text);
    assert.equal(again.headers.get("location"), first.headers.get("location"));
    assert.equal(again.headers.get("content-length"), "0");
    assert.equal(again.bytes.length, 0);
    const list = await call("GET", `${f.taskUrl}/attachments`, { token: f.token });
    assert.equal(list.json.value.length, 1);

    const st = await call("GET", url);
    assert.equal(st.status, 200, st.text);
    assert.deepEqual(st.json.nextExpectedRanges, []);
    assert.equal(st.headers.get("location"), first.headers.get("location"));

    // Only the final range may be repeated, and only with its own bytes.
    const earlier = await putRange(url, data, 0, 14);
    assert.equal(earlier.status, 416);
    assert.equal(graphError(earlier).code, "invalidRange");
    const tampered = Buffer.from(data);
    tampered[20] ^= 0xff;
    const other = await putRange(url, tampered, 15, 29);
    assert.equal(other.status, 416);
    assert.equal((await call("GET", `${f.taskUrl}/attachments`, { token: f.token })).json.value.length, 1);
    const value = await call("GET", `${first.headers.get("location")}/$value`, { token: f.token });
    assert.equal(sha(value.bytes), sha(data));
    // The open-sessions collection no longer shows it.
    const open = await call("GET", `${f.taskUrl}/attachmentSessions`, { token: f.token });
    assert.deepEqual(open.json.value, []);
  });

  test("DELETE cancels: 204, staged bytes freed, then 404 for GET, PUT and DELETE", async () => {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(64);
    const url = await makeSession(f, 64, "cancel.bin");
    const blobsBefore = await blobCount(s);
    assert.equal((await putRange(url, data, 0, 31)).status, 200);
    assert.equal(await blobCount(s), blobsBefore + 1, "the staged bytes live in one stored object");
    const del = await call("DELETE", url);
    assert.equal(del.status, 204);
    assert.equal(del.bytes.length, 0);
    assert.equal(await blobCount(s), blobsBefore, "cancelling frees the staged bytes");
    for (const r of [await call("GET", url), await putRange(url, data, 32, 63), await call("DELETE", url)]) {
      assert.equal(r.status, 404);
      const e = graphError(r);
      assert.equal(e.code, "itemNotFound");
      assert.equal(e.innerError.code, "ErrorItemNotFound");
    }
    const list = await call("GET", `${f.taskUrl}/attachments`, { token: f.token });
    assert.deepEqual(list.json.value, []);
    assert.equal((await call("GET", f.taskUrl, { token: f.token })).json.hasAttachments, false);
  });

  test("the uploadUrl works with no Authorization and with the owner's token; another token is refused", async () => {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(30);
    const url = await makeSession(f, 30, "auth.bin");
    assert.equal((await call("PUT", url, { body: data.subarray(0, 10), headers: { "content-range": "bytes 0-9/30" } })).status, 200);
    const withOwner = await call("PUT", url, { token: f.token, body: data.subarray(10, 20), headers: { "content-range": "bytes 10-19/30" } });
    assert.equal(withOwner.status, 200, withOwner.text);
    assert.equal((await call("GET", url, { token: f.token })).json.nextExpectedRanges[0], "20-");
    const bad = await call("GET", url, { token: "not.a.token" });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get("www-authenticate")!, /^Bearer/);
    const done = await call("PUT", url, { token: f.token, body: data.subarray(20), headers: { "content-range": "bytes 20-29/30" } });
    assert.equal(done.status, 201);
    assert.equal(sha((await call("GET", `${done.headers.get("location")}/$value`, { token: f.token })).bytes), sha(data));
  });

  test("uploadUrl + '/content' takes PUT, GET and DELETE like the uploadUrl itself", async () => {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(10);
    const url = await makeSession(f, 10, "content.bin");
    const put1 = await putRange(`${url}/content`, data, 0, 4);
    assert.equal(put1.status, 200, put1.text);
    assert.deepEqual(put1.json.NextExpectedRanges, ["5"]);
    const st = await call("GET", `${url}/content`);
    assert.equal(st.status, 200);
    assert.deepEqual(st.json.nextExpectedRanges, ["5-"]);
    // Mixing the two forms on one session is fine: they name the same session.
    const put2 = await putRange(url, data, 5, 9);
    assert.equal(put2.status, 201);
    assert.equal((await putRange(`${url}/content`, data, 5, 9)).headers.get("location"), put2.headers.get("location"));

    const url2 = await makeSession(f, 10, "content2.bin");
    assert.equal((await call("DELETE", `${url2}/content`)).status, 204);
    assert.equal((await call("GET", url2)).status, 404);
  });

  test("/users/{oid}, /users/{upn} and /me reach the same sessions; the uploadUrl also works under /me", async () => {
    const f = await makeTask(s.url, await s.token({ user: "carol" }));
    const oid = devUserOid("carol");
    const data = randomBytes(12);
    const viaUpn = `${s.url}/v1.0/users/${encodeURIComponent(devUpn("carol"))}/todo/lists/${f.listId}/tasks/${f.taskId}`;
    const viaOid = `${s.url}/v1.0/users/${oid}/todo/lists/${f.listId}/tasks/${f.taskId}`;
    const a = await createSession(f, { attachmentType: "file", name: "upn.bin", size: 12 }, viaUpn);
    assert.equal(a.status, 200, a.text);
    const b = await createSession(f, { attachmentType: "file", name: "oid.bin", size: 12 }, viaOid);
    assert.equal(b.status, 200, b.text);
    // Whichever way it was created, the uploadUrl names the owner by object id.
    for (const r of [a, b]) assert.ok(r.json.uploadUrl.startsWith(`${viaOid}/attachmentSessions/`), r.json.uploadUrl);

    const sid = uploadKeyOf(a.json.uploadUrl);
    const tail = `/todo/lists/${f.listId}/tasks/${f.taskId}/attachmentSessions/${sid}`;
    assert.equal((await putRange(`${s.url}/v1.0/me${tail}`, data, 0, 3)).status, 200);
    assert.equal((await putRange(`${s.url}/v1.0/users/${encodeURIComponent(devUpn("carol"))}${tail}`, data, 4, 7)).status, 200);
    const done = await putRange(`${s.url}/v1.0/me${tail}`, data, 8, 11, { authorization: `Bearer ${f.token}` });
    assert.equal(done.status, 201, done.text);
    assert.ok(done.headers.get("location")!.startsWith(`${viaOid}/Attachments('`));
    // A /users/{id} path naming someone else does not reach carol's session.
    const stranger = await call("GET", `${s.url}/v1.0/users/${devUserOid("nobody")}${tail}`);
    assert.equal(stranger.status, 404);
  });

  test("/beta works end to end and its URLs stay under /beta", async () => {
    const f = await makeTask(s.url, await s.token(), "beta");
    const data = randomBytes(8);
    const r = await createSession(f, { attachmentType: "file", name: "beta.bin", size: 8 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json["@odata.context"], `${s.url}/beta/$metadata#microsoft.graph.uploadSession`);
    assert.ok(r.json.uploadUrl.startsWith(`${s.url}/beta/users/${devUserOid("alice")}/todo/lists/`), r.json.uploadUrl);
    const mid = await putRange(r.json.uploadUrl, data, 0, 3);
    assert.equal(mid.json["@odata.context"], `${s.url}/beta/$metadata#microsoft.graph.uploadSession`);
    const st = await call("GET", r.json.uploadUrl);
    assert.equal(st.json["@odata.context"], `${s.url}/beta/$metadata#microsoft.graph.attachmentSession`);
    const done = await putRange(r.json.uploadUrl, data, 4, 7);
    assert.equal(done.status, 201);
    const loc = done.headers.get("location")!;
    assert.ok(loc.startsWith(`${s.url}/beta/users/`), loc);
    assert.equal(sha((await call("GET", `${loc}/$value`, { token: f.token })).bytes), sha(data));
    // The same session is reachable under /v1.0 too: versions share the data.
    const v1 = r.json.uploadUrl.replace("/beta/", "/v1.0/");
    assert.deepEqual((await call("GET", v1)).json.nextExpectedRanges, []);
  });

  test("attachmentSessions lists the owner's open sessions, shaped like GET status", async () => {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(10);
    const url1 = await makeSession(f, 10, "one.bin");
    const url2 = await makeSession(f, 10, "two.bin");
    const url3 = await makeSession(f, 10, "three.bin");
    await putRange(url1, data, 0, 2);
    await putRange(url3, data, 0, 9); // completed: no longer open
    const url4 = await makeSession(f, 10, "four.bin");
    assert.equal((await call("DELETE", url4)).status, 204); // cancelled
    const r = await call("GET", `${f.taskUrl}/attachmentSessions`, { token: f.token });
    assert.equal(r.status, 200, r.text);
    // @odata.context percent-encodes ids (as Graph does: `=` is %3D there, unlike in uploadUrl and Location).
    const enc = encodeURIComponent;
    assert.equal(r.json["@odata.context"], `${s.url}/v1.0/$metadata#users('${devUserOid("alice")}')/todo/lists('${enc(f.listId)}')/tasks('${enc(f.taskId)}')/attachmentSessions`);
    const st1 = (await call("GET", url1)).json;
    const st2 = (await call("GET", url2)).json;
    delete st1["@odata.context"];
    delete st2["@odata.context"];
    assert.deepEqual(r.json.value, [st1, st2]);
    assert.deepEqual(r.json.value[0].nextExpectedRanges, ["3-"]);
    // Sessions of another task are not listed here.
    const g = await makeTask(s.url, await s.token());
    assert.deepEqual((await call("GET", `${g.taskUrl}/attachmentSessions`, { token: g.token })).json.value, []);
    // Reading the collection needs a token (the capability is per session, not per task).
    assert.equal((await call("GET", `${f.taskUrl}/attachmentSessions`)).status, 401);
  });
});

test("--session-casing camel: the intermediate answer is camelCase with the same bare offsets", async () => {
  const s = await startTestServer({ sessionCasing: "camel" });
  try {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(10);
    const created = await createSession(f, { attachmentType: "file", name: "camel.bin", size: 10 });
    const r = await putRange(created.json.uploadUrl, data, 0, 3);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json), ["@odata.context", "expirationDateTime", "nextExpectedRanges"]);
    assert.deepEqual(r.json.nextExpectedRanges, ["4"]);
    assert.equal(r.json.expirationDateTime, created.json.expirationDateTime);
    // GET status is camelCase with the dash whatever the setting.
    assert.deepEqual((await call("GET", created.json.uploadUrl)).json.nextExpectedRanges, ["4-"]);
    assert.equal((await putRange(created.json.uploadUrl, data, 4, 9)).status, 201);
  } finally {
    await s.close();
  }
});

test("an expired session is 404 everywhere, whether open or completed; PUTs never extend the expiry", async () => {
  let skew = 0;
  const s = await startTestServer({ sessionTtl: "60", now: () => new Date(Date.now() + skew) });
  try {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(10);
    const open = await createSession(f, { attachmentType: "file", name: "exp.bin", size: 10 });
    const doneUrl = await makeSession(f, 4, "done.bin");
    const fin = await putRange(doneUrl, data.subarray(0, 4), 0, 3);
    assert.equal(fin.status, 201);

    skew = 30_000;
    const mid = await putRange(open.json.uploadUrl, data, 0, 4);
    assert.equal(mid.status, 200);
    assert.equal(mid.json.ExpirationDateTime, open.json.expirationDateTime);

    skew = 61_000;
    const url = open.json.uploadUrl;
    for (const r of [await call("GET", url), await putRange(url, data, 5, 9), await call("DELETE", url), await call("GET", url, { token: f.token })]) {
      assert.equal(r.status, 404, r.text);
      assert.equal(graphError(r).innerError.code, "ErrorItemNotFound");
    }
    // A completed session stops answering too (its attachment stays).
    assert.equal((await putRange(doneUrl, data.subarray(0, 4), 0, 3)).status, 404);
    assert.equal((await call("GET", doneUrl)).status, 404);
    assert.equal((await call("GET", fin.headers.get("location")!, { token: f.token })).status, 200);
    assert.deepEqual((await call("GET", `${f.taskUrl}/attachmentSessions`, { token: f.token })).json.value, []);
  } finally {
    await s.close();
  }
});
