// Issue 13 item 1: read access never yields write power through upload sessions. The listing shows
// session ids, never the uploadUrl's secret; a request without the secret needs a token, and a
// token is always held to its own rights. Each attack of the issue, reproduced, must fail and change
// nothing; the capability itself (an anonymous PUT to the real uploadUrl) must keep working.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { attachmentBytes, makeSession, makeTask, putRange, sessionState, type TaskFixture } from "../helpers/fixtures.js";
import { call, type Res } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { enc, expectError, oidOf } from "./_foundation.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

/** A task of alice's with one upload session of `size` bytes, and the URLs an attacker would build. */
async function victim(size: number): Promise<{ f: TaskFixture; uploadUrl: string; data: Buffer }> {
  const f = await makeTask(s.url, await s.token());
  return { f, uploadUrl: await makeSession(f, size), data: randomBytes(size) };
}

/** What a reader learns from the sessions listing, and the uploadUrl it would build from the id. */
async function listAsReader(f: TaskFixture, token: string, viaUsers: boolean): Promise<{ listing: Res; guessedUrl: string }> {
  const task = viaUsers
    ? `${s.url}/v1.0/users/${oidOf("alice")}/todo/lists/${enc(f.listId)}/tasks/${enc(f.taskId)}`
    : f.taskUrl;
  const listing = await call("GET", `${task}/attachmentSessions`, { token });
  assert.equal(listing.status, 200, listing.text);
  assert.equal(listing.json.value.length, 1);
  return { listing, guessedUrl: `${task}/attachmentSessions/${enc(listing.json.value[0].id)}` };
}

async function attachmentCount(f: TaskFixture): Promise<number> {
  const r = await call("GET", `${f.taskUrl}/attachments`, { token: f.token });
  assert.equal(r.status, 200, r.text);
  return r.json.value.length;
}

describe("read access never yields write power through upload sessions", () => {
  test("the listing shows the session id but never the uploadUrl's secret", async () => {
    const { f, uploadUrl } = await victim(10);
    const reader = await s.token({ scopes: ["Tasks.Read"] });
    const { listing } = await listAsReader(f, reader, false);
    const secret = uploadUrl.slice(-43);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(uploadUrl.endsWith(`/${listing.json.value[0].id}${secret}`), uploadUrl);
    assert.ok(!listing.text.includes(secret));
    // Nor does the uploadUrl's own status answer repeat it.
    const st = await call("GET", uploadUrl);
    assert.equal(st.status, 200, st.text);
    assert.ok(!st.text.includes(secret));
  });

  test("a Tasks.Read.All app lists alice's sessions; an anonymous PUT to the id it learnt is 401 and creates nothing", async () => {
    const { f, uploadUrl } = await victim(5);
    const app = await s.token({ app: "reporter", roles: ["Tasks.Read.All"] });
    const { guessedUrl } = await listAsReader(f, app, true);
    const bytes = Buffer.from("owned");
    for (const url of [guessedUrl, `${guessedUrl}/content`]) {
      expectError(await putRange(url, bytes, 0, 4), 401, "InvalidAuthenticationToken");
      // With its own token the app is refused too: it is not the owner, and it may only read.
      expectError(await putRange(url, bytes, 0, 4, { authorization: `Bearer ${app}` }), 403, "accessDenied");
    }
    assert.equal(await attachmentCount(f), 0);
    assert.deepEqual(await sessionState(uploadUrl), { status: 200, next: 0 });
  });

  test("a Tasks.Read token's DELETE on the uploadUrl is 403 and the session lives on", async () => {
    const { f, uploadUrl, data } = await victim(8);
    const reader = await s.token({ scopes: ["Tasks.Read"] });
    const { guessedUrl } = await listAsReader(f, reader, false);
    for (const url of [uploadUrl, guessedUrl]) {
      expectError(await call("DELETE", url, { token: reader }), 403, "accessDenied");
    }
    expectError(await call("DELETE", guessedUrl), 401, "InvalidAuthenticationToken");
    // Reading the status is reading: the reader may, with its token, even without the secret.
    const st = await call("GET", guessedUrl, { token: reader });
    assert.equal(st.status, 200, st.text);
    expectError(await call("GET", guessedUrl), 401, "InvalidAuthenticationToken");
    const done = await putRange(uploadUrl, data, 0, 7);
    assert.equal(done.status, 201, done.text);
  });

  test("a reader cannot hijack an upload in progress; the owner's next range still fits", async () => {
    const { f, uploadUrl, data } = await victim(20);
    assert.equal((await putRange(uploadUrl, data, 0, 9)).status, 200);
    const reader = await s.token({ scopes: ["Tasks.Read"] });
    const { guessedUrl } = await listAsReader(f, reader, false);
    const theirs = randomBytes(20);
    expectError(await putRange(guessedUrl, theirs, 10, 19), 401, "InvalidAuthenticationToken");
    expectError(await putRange(guessedUrl, theirs, 10, 19, { authorization: `Bearer ${reader}` }), 403, "accessDenied");
    expectError(await putRange(uploadUrl, theirs, 10, 19, { authorization: `Bearer ${reader}` }), 403, "accessDenied");
    // A guessed secret is an unknown session, however well-formed.
    expectError(await putRange(`${guessedUrl}${"A".repeat(43)}`, theirs, 10, 19), 404, "itemNotFound");
    assert.deepEqual(await sessionState(uploadUrl), { status: 200, next: 10 });
    const done = await putRange(uploadUrl, data, 10, 19);
    assert.equal(done.status, 201, done.text);
    assert.deepEqual(await attachmentBytes(done.headers.get("location")!, f.token), data);
  });

  test("the capability still works alone, and the owner's write token works with the id alone", async () => {
    const { f, uploadUrl, data } = await victim(12);
    // Anonymous, as Microsoft's .NET and Java SDKs send it.
    assert.equal((await putRange(uploadUrl, data, 0, 3)).status, 200);
    assert.equal((await putRange(`${uploadUrl}/content`, data, 4, 7)).status, 200);
    const { guessedUrl } = await listAsReader(f, f.token, false);
    const done = await putRange(guessedUrl, data, 8, 11, { authorization: `Bearer ${f.token}` });
    assert.equal(done.status, 201, done.text);
    assert.deepEqual(await attachmentBytes(done.headers.get("location")!, f.token), data);
  });

  test("a malformed secret is a malformed id (400), before anything else is looked at", async () => {
    const { uploadUrl } = await victim(4);
    for (const bad of [`${uploadUrl}x`, uploadUrl.slice(0, -1), `${uploadUrl}${"A".repeat(43)}`, `${uploadUrl.slice(0, -1)}!`]) {
      expectError(await call("GET", bad), 400, "invalidRequest", "ErrorInvalidIdMalformed");
    }
  });
});
