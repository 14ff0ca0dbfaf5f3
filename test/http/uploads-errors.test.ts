// Every row of the spec's error table that concerns createUploadSession and PUTs to an uploadUrl,
// over HTTP. After each refusal the session must be exactly as before: GET status still names the
// same next offset, and finishing the upload still yields byte-identical content.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { devUserOid } from "../../src/auth/dev-issuer.js";
import { makeTask, putRange, type TaskFixture } from "../helpers/fixtures.js";
import { sendRequest, type OpenRequest, type RawResponse } from "../helpers/wire.js";
import { call, graphError, type Res } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const MiB = 1_048_576;
/** Short enough for a stalled-body test to finish quickly, long enough for a held PUT to stay held. */
const IDLE_MS = 1000;

let s: TestServer;
before(async () => {
  s = await startTestServer({ bodyIdleTimeout: String(IDLE_MS) });
});
after(() => s.close());

// Raw requests (helpers/wire.ts) for what fetch cannot send: no Content-Length, chunked bodies, a
// body held half-way, a body that stops early, a connection dropped mid-body.

/** A RawResponse seen through the shared Graph-error assertions. */
function asRes(r: RawResponse): Res {
  return { status: r.status, headers: new Headers(r.headers), text: r.body.toString("utf8"), json: r.json, bytes: r.body };
}

// ---------------------------------------------------------------------------------------------
// A session part-way through: `committed` bytes of `data` acknowledged.

interface Upload {
  f: TaskFixture;
  url: string;
  data: Buffer;
  committed: number;
}

async function partial(size = 20, committed = 10, f?: TaskFixture): Promise<Upload> {
  f ??= await makeTask(s.url, await s.token());
  const data = randomBytes(size);
  const r = await call("POST", `${f.taskUrl}/attachments/createUploadSession`, {
    token: f.token,
    json: { attachmentInfo: { attachmentType: "file", name: "partial.bin", size } },
  });
  assert.equal(r.status, 200, r.text);
  if (committed > 0) assert.equal((await putRange(r.json.uploadUrl, data, 0, committed - 1)).status, 200);
  return { f, url: r.json.uploadUrl, data, committed };
}

/** GET status still names the same next offset. */
async function assertUnchanged(u: Upload): Promise<void> {
  const st = await call("GET", u.url);
  assert.equal(st.status, 200, st.text);
  assert.deepEqual(st.json.nextExpectedRanges, [`${u.committed}-`]);
}

/** Uploads the rest (one PUT) and checks the attachment is byte-identical: no refused request left a trace. */
async function finishAndVerify(u: Upload): Promise<void> {
  await assertUnchanged(u);
  const r = await putRange(u.url, u.data, u.committed, u.data.length - 1);
  assert.equal(r.status, 201, r.text);
  const value = await call("GET", `${r.headers.get("location")}/$value`, { token: u.f.token });
  assert.equal(value.status, 200);
  assert.equal(sha(value.bytes), sha(u.data));
  const list = await call("GET", `${u.f.taskUrl}/attachments`, { token: u.f.token });
  assert.equal(list.json.value.length, 1, "exactly one attachment");
}

/**
 * A Graph error with this status and code. `innerCode`: the inner code the spec's table names, or null
 * where it names none (then the detail is `error.message` itself); undefined leaves it unchecked.
 * `message` is matched against wherever the detail is.
 */
function expectError(r: Res, status: number, code: string, innerCode?: string | null, message?: RegExp): ReturnType<typeof graphError> {
  assert.equal(r.status, status, `${r.status} ${r.text}`);
  const e = graphError(r);
  assert.equal(e.code, code);
  if (innerCode !== undefined) assert.equal(e.innerError.code, innerCode ?? undefined, r.text);
  if (innerCode === null) assert.equal(e.innerError.message, undefined, r.text);
  if (message) assert.match(e.innerError.code !== undefined ? e.innerError.message! : e.message, message);
  return e;
}

/** PUT with explicit headers (fetch sets Content-Length from the body). */
function put(url: string, body: Buffer | string, headers: Record<string, string>, token?: string): Promise<Res> {
  return call("PUT", url, { body, headers, ...(token ? { token } : {}) });
}

// ---------------------------------------------------------------------------------------------

describe("createUploadSession refusals (and no session is left behind)", () => {
  let f: TaskFixture;
  before(async () => {
    f = await makeTask(s.url, await s.token());
  });

  async function create(body: unknown, o: { token?: string; headers?: Record<string, string>; url?: string } = {}): Promise<Res> {
    return call("POST", o.url ?? `${f.taskUrl}/attachments/createUploadSession`, {
      token: o.token ?? f.token,
      ...(typeof body === "string" ? { body, headers: { "content-type": "application/json", ...o.headers } } : { json: body, headers: o.headers }),
    });
  }

  async function assertNoSessions(): Promise<void> {
    const r = await call("GET", `${f.taskUrl}/attachmentSessions`, { token: f.token });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.value, []);
  }

  const info = (over: Record<string, unknown>) => ({ attachmentInfo: { attachmentType: "file", name: "x.bin", size: 10, ...over } });

  const invalid: [string, unknown, RegExp][] = [
    ["malformed JSON", '{"attachmentInfo": {', /JSON/],
    ["a JSON array", [], /JSON object/],
    ["no attachmentInfo", {}, /attachmentInfo is required/],
    ["attachmentInfo null", { attachmentInfo: null }, /attachmentInfo is required/],
    ["attachmentInfo a string", { attachmentInfo: "file" }, /must be a JSON object/],
    ["attachmentType missing", { attachmentInfo: { name: "x", size: 1 } }, /attachmentType is required/],
    ["attachmentType item", info({ attachmentType: "item" }), /"item" is not supported/],
    ["attachmentType reference", info({ attachmentType: "reference" }), /"reference" is not supported/],
    ["attachmentType File (case matters)", info({ attachmentType: "File" }), /not supported/],
    ["name missing", info({ name: undefined }), /name is required/],
    ["name empty", info({ name: "" }), /must not be empty/],
    ["name a number", info({ name: 5 }), /must be a string/],
    ["size missing", info({ size: undefined }), /size is required/],
    ["size negative", info({ size: -1 }), /must not be negative/],
    ["size fractional", info({ size: 1.5 }), /whole number/],
    ["size a string", info({ size: "10" }), /JSON number/],
    ["contentType not a MIME type", info({ contentType: "pdf" }), /not a MIME type/],
    ["an unknown property", info({ sizee: 3 }), /"sizee" is not supported/],
  ];
  for (const [what, body, message] of invalid) {
    test(`400 invalidRequest: ${what}`, async () => {
      expectError(await create(body), 400, "invalidRequest", "ErrorInvalidRequest", message);
      await assertNoSessions();
    });
  }

  test("413 for a declared size over 25 MiB (the message says the limit); exactly 25 MiB is accepted", async () => {
    expectError(await create(info({ size: 26_214_401 })), 413, "invalidRequest", null, /26214400 bytes \(25 MiB\)/);
    await assertNoSessions();
    const ok = await create(info({ size: 26_214_400 }));
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await call("DELETE", ok.json.uploadUrl)).status, 204);
  });

  test("403 for an app-only token (even with Tasks.ReadWrite.All); /me with one is the 400 Graph gives", async () => {
    const app = await s.token({ app: "daemon", roles: ["Tasks.ReadWrite.All"] });
    const viaUser = `${s.url}/v1.0/users/${devUserOid("alice")}/todo/lists/${f.listId}/tasks/${f.taskId}/attachments/createUploadSession`;
    // The app can reach the task itself...
    assert.equal((await call("GET", `${s.url}/v1.0/users/${devUserOid("alice")}/todo/lists/${f.listId}/tasks/${f.taskId}`, { token: app })).status, 200);
    // ...but not create an upload session.
    expectError(await create(info({}), { token: app, url: viaUser }), 403, "accessDenied", "ErrorAccessDenied", /delegated/);
    const me = await create(info({}), { token: app });
    assert.equal(me.status, 400);
    assert.equal(graphError(me).code, "BadRequest");
    await assertNoSessions();
  });

  test("403 for a token without Tasks.ReadWrite; 401 without a token", async () => {
    const readOnly = await s.token({ user: "alice", scopes: ["Tasks.Read"] });
    expectError(await create(info({}), { token: readOnly }), 403, "accessDenied", "ErrorAccessDenied");
    const none = await call("POST", `${f.taskUrl}/attachments/createUploadSession`, { json: info({}) });
    assert.equal(none.status, 401);
    assert.equal(graphError(none).code, "InvalidAuthenticationToken");
    await assertNoSessions();
  });

  test("404 for another user's task, an unknown task; 400 for a malformed task id; 415 for a non-JSON body", async () => {
    const bob = await s.token({ user: "bob" });
    expectError(await create(info({}), { token: bob, url: `${s.url}/v1.0/me/todo/lists/${f.listId}/tasks/${f.taskId}/attachments/createUploadSession` }), 404, "itemNotFound", "ErrorItemNotFound");
    const unknownTask = `${f.todo}/lists/${f.listId}/tasks/AQMkTAAAAAAAAAAAAAAAAAAAAAAAA=/attachments/createUploadSession`;
    expectError(await create(info({}), { url: unknownTask }), 404, "itemNotFound", "ErrorItemNotFound");
    const badTask = `${f.todo}/lists/${f.listId}/tasks/not-an-id/attachments/createUploadSession`;
    expectError(await create(info({}), { url: badTask }), 400, "invalidRequest", "ErrorInvalidIdMalformed");
    const text = await call("POST", `${f.taskUrl}/attachments/createUploadSession`, {
      token: f.token,
      body: JSON.stringify(info({})),
      headers: { "content-type": "text/plain" },
    });
    expectError(text, 415, "invalidRequest");
    await assertNoSessions();
  });
});

describe("PUT refusals leave the session and its bytes unchanged", () => {
  test("400 for a missing or malformed Content-Range", async () => {
    const u = await partial();
    const body = u.data.subarray(10, 20);
    expectError(await put(u.url, body, { "content-type": "application/octet-stream" }), 400, "invalidRequest", null, /Content-Range header is required/);
    for (const cr of ["bytes 10-19", "bytes=10-19/20", "items 10-19/20", "bytes 10-19/*", "bytes */20", "bytes 19-10/20", "bytes 10-20/20", "bytes -10-19/20", "bytes 10-19/20, bytes 0-1/20", "bytes  10-19/20", ""]) {
      expectError(await put(u.url, body, { "content-range": cr }), 400, "invalidRequest", null, /Content-Range/);
      await assertUnchanged(u);
    }
    await finishAndVerify(u);
  });

  test("400 when the total is not the session's size, or the range's length is not the Content-Length", async () => {
    const u = await partial();
    expectError(await put(u.url, u.data.subarray(10, 20), { "content-range": "bytes 10-19/21" }), 400, "invalidRequest", null, /total 21 does not match .* 20 bytes/);
    await assertUnchanged(u);
    // Range says 10 bytes, the body (and so Content-Length) is 9.
    expectError(await put(u.url, u.data.subarray(10, 19), { "content-range": "bytes 10-19/20" }), 400, "invalidRequest", null, /Content-Length is 9/);
    await assertUnchanged(u);
    // Range says 9 bytes, the body is 10.
    expectError(await put(u.url, u.data.subarray(10, 20), { "content-range": "bytes 10-18/20" }), 400, "invalidRequest", null, /Content-Length is 10/);
    await assertUnchanged(u);
    // `bytes */0` belongs to 0-byte sessions only.
    expectError(await put(u.url, Buffer.alloc(0), { "content-range": "bytes */0" }), 400, "invalidRequest", null, /0-byte/);
    await finishAndVerify(u);
  });

  test("400 when the body has fewer bytes than Content-Length and then stalls (the idle timeout)", async () => {
    const u = await partial();
    const started = Date.now();
    const req = sendRequest(u.url, "PUT", { "Content-Type": "application/octet-stream", "Content-Range": "bytes 10-19/20", "Content-Length": "10" }, u.data.subarray(10, 15));
    const r = await req.response;
    assert.ok(Date.now() - started >= IDLE_MS - 50, "answered only once the body stalled");
    expectError(asRes(r), 400, "invalidRequest", null, /stalled/);
    // The rest of that body may never come, so the server closes the connection after answering.
    assert.equal(r.headers.connection, "close");
    await finishAndVerify(u);
  });

  test("a client that disconnects mid-body commits nothing and does not keep the session locked", async () => {
    const u = await partial();
    const req = await heldPut(u);
    req.response.catch(() => {});
    req.destroy();
    // The lease is given back as soon as the server notices the reset; the next PUT then succeeds.
    for (let i = 0; ; i++) {
      const st = await call("GET", u.url);
      assert.deepEqual(st.json.nextExpectedRanges, ["10-"]);
      const probe = await put(u.url, u.data.subarray(12, 20), { "content-range": "bytes 12-19/20" });
      if (probe.status === 416) break;
      assert.equal(probe.status, 409, probe.text);
      assert.ok(i < 100, "the session stayed locked");
      await new Promise((r) => setTimeout(r, 20));
    }
    await finishAndVerify(u);
  });

  test("411 for a PUT without Content-Length: chunked, or no body at all", async () => {
    const u = await partial();
    // Framed as bytes: written as a string, the random body would go out as UTF-8 and overrun its chunk size.
    const chunkedBody = Buffer.concat([Buffer.from("a\r\n"), u.data.subarray(10, 20), Buffer.from("\r\n0\r\n\r\n")]);
    const chunked = sendRequest(u.url, "PUT", { "Content-Type": "application/octet-stream", "Content-Range": "bytes 10-19/20", "Transfer-Encoding": "chunked" }, chunkedBody);
    expectError(asRes(await chunked.response), 411, "invalidRequest", null, /Content-Length/);
    await assertUnchanged(u);
    const bodiless = sendRequest(u.url, "PUT", { "Content-Type": "application/octet-stream", "Content-Range": "bytes 10-19/20" });
    expectError(asRes(await bodiless.response), 411, "invalidRequest", null);
    await assertUnchanged(u);
    // fetch with a stream body sends it chunked as well.
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array(u.data.subarray(10, 20)));
        c.close();
      },
    });
    const viaFetch = await fetch(u.url, { method: "PUT", body: stream, headers: { "content-range": "bytes 10-19/20" }, duplex: "half" } as RequestInit);
    assert.equal(viaFetch.status, 411);
    await viaFetch.arrayBuffer();
    await finishAndVerify(u);
  });

  test("413 for a range over the 4 MiB limit, naming the limit and the SDK options", async () => {
    const u = await partial(5 * MiB, 0);
    const over = 4 * MiB + 1;
    const e = expectError(await putRange(u.url, u.data, 0, over - 1), 413, "invalidRequest", null, /4194304 bytes \(4 MiB\)/);
    assert.match(e.message, /rangeSize/);
    assert.match(e.message, /maxSliceSize/);
    assert.match(e.message, /--range-limit/);
    await assertUnchanged(u);
    // The SDKs' 5 MiB default slice, at a later offset too: the same answer.
    expectError(await putRange(u.url, u.data, 0, 5 * MiB - 1), 413, "invalidRequest", null);
    assert.equal((await putRange(u.url, u.data, 0, 4 * MiB - 1)).status, 200);
    u.committed = 4 * MiB;
    await finishAndVerify(u);
  });

  test("416 for a gap or an overlap, naming the next expected offset", async () => {
    const u = await partial(30, 10);
    // Gaps (11-19, 20-29) and overlaps (9-19, 5-14, 0-4: not the acknowledged 0-9, so no replay).
    for (const [start, end] of [[11, 19], [20, 29], [9, 19], [5, 14], [0, 4]] as const) {
      const e = expectError(await putRange(u.url, u.data, start, end), 416, "invalidRange", "ErrorInvalidRange", /next expected offset is 10/);
      assert.match(e.innerError.message!, /\["10-"\]/);
      // The offset is in the outer message too, where SDKs show it.
      assert.match(e.message, /next expected offset is 10/);
      await assertUnchanged(u);
    }
    await finishAndVerify(u);
  });

  test("an exact replay of the last acknowledged range answers 200 with the current state and writes nothing", async () => {
    const u = await partial(30, 10);
    assert.equal((await putRange(u.url, u.data, 10, 19)).status, 200);
    u.committed = 20;
    const replay = await putRange(u.url, u.data, 10, 19);
    assert.equal(replay.status, 200, replay.text);
    assert.deepEqual(replay.json.NextExpectedRanges, ["20"]);
    await assertUnchanged(u);
    // An older range is not "the last acknowledged" one: that is an overlap.
    expectError(await putRange(u.url, u.data, 0, 9), 416, "invalidRange");
    await finishAndVerify(u);
  });

  test("416 for different bytes in the last acknowledged range", async () => {
    const u = await partial(30, 10);
    const other = Buffer.from(u.data);
    other[3] ^= 0x01;
    expectError(await putRange(u.url, other, 0, 9), 416, "invalidRange", "ErrorInvalidRange", /different content/);
    await finishAndVerify(u);
  });

  test("415 for a Content-Type other than application/octet-stream; a missing one is accepted", async () => {
    const u = await partial(30, 10);
    const body = u.data.subarray(10, 20);
    for (const ct of ["text/plain", "application/json", "multipart/form-data; boundary=x", "image/png", "application/x-www-form-urlencoded"]) {
      expectError(await put(u.url, body, { "content-type": ct, "content-range": "bytes 10-19/30" }), 415, "invalidRequest", null);
      await assertUnchanged(u);
    }
    // A JSON body that parses is still not an upload range.
    expectError(await put(u.url, '{"a":1}', { "content-type": "application/json", "content-range": "bytes 10-16/30" }), 415, "invalidRequest");
    await assertUnchanged(u);
    // Parameters on octet-stream are fine, and so is no Content-Type at all.
    assert.equal((await put(u.url, body, { "content-type": "Application/Octet-Stream; foo=bar", "content-range": "bytes 10-19/30" })).status, 200);
    const noType = sendRequest(u.url, "PUT", { "Content-Range": "bytes 20-29/30", "Content-Length": "10" }, u.data.subarray(20, 30));
    const r = await noType.response;
    assert.equal(r.status, 201, r.body.toString());
    const value = await call("GET", `${r.headers.location}/$value`, { token: u.f.token });
    assert.equal(sha(value.bytes), sha(u.data));
  });

  test("409 for a PUT while another PUT on the same session is in flight", async () => {
    const u = await partial(30, 10);
    const held = await heldPut(u);
    // The same, valid range from a second client: refused while the first is in flight.
    expectError(await putRange(u.url, u.data, 10, 19), 409, "conflict", null);
    await assertUnchanged(u);
    held.write(u.data.subarray(15, 20));
    const first = await held.response;
    assert.equal(first.status, 200, first.body.toString());
    assert.deepEqual(first.json.NextExpectedRanges, ["20"]);
    u.committed = 20;
    await finishAndVerify(u);
  });

  test("404 for an unknown or cancelled session; 400 for a malformed session id; 404 for a session under another task", async () => {
    const u = await partial();
    const base = u.url.slice(0, u.url.lastIndexOf("/") + 1);
    const id = u.url.slice(base.length);
    // Tampered: one character changed, still well-formed.
    const tampered = id.slice(0, 10) + (id[10] === "A" ? "B" : "A") + id.slice(11);
    for (const r of [await putRange(base + tampered, u.data, 10, 19), await call("GET", base + tampered), await call("DELETE", base + tampered)]) {
      expectError(r, 404, "itemNotFound", "ErrorItemNotFound");
    }
    for (const bad of ["abc", id.slice(0, -2), `${id}A`, "AQMkS" + "!".repeat(44) + "="]) {
      expectError(await putRange(base + encodeURIComponent(bad), u.data, 10, 19), 400, "invalidRequest", "ErrorInvalidIdMalformed");
      expectError(await call("GET", base + encodeURIComponent(bad)), 400, "invalidRequest", "ErrorInvalidIdMalformed");
    }
    // The real id under another task of the same user.
    const g = await makeTask(s.url, await s.token());
    const elsewhere = `${s.url}/v1.0/users/${devUserOid("alice")}/todo/lists/${g.listId}/tasks/${g.taskId}/attachmentSessions/${id}`;
    expectError(await putRange(elsewhere, u.data, 10, 19), 404, "itemNotFound");
    expectError(await call("GET", elsewhere), 404, "itemNotFound");
    await assertUnchanged(u);
    await finishAndVerify(u);

    const c = await partial();
    assert.equal((await call("DELETE", c.url)).status, 204);
    expectError(await putRange(c.url, c.data, 10, 19), 404, "itemNotFound", "ErrorItemNotFound");
  });

  test("403 for another user's token, or an app token, even with the right uploadUrl", async () => {
    const u = await partial();
    const bob = await s.token({ user: "bob" });
    const app = await s.token({ app: "daemon", roles: ["Tasks.ReadWrite.All"] });
    for (const token of [bob, app]) {
      expectError(await putRange(u.url, u.data, 10, 19, { authorization: `Bearer ${token}` }), 403, "accessDenied", "ErrorAccessDenied");
      expectError(await call("GET", u.url, { token }), 403, "accessDenied");
      expectError(await call("DELETE", u.url, { token }), 403, "accessDenied");
      await assertUnchanged(u);
    }
    // And bob cannot list alice's sessions through his own /users path trick either.
    const bobList = await call("GET", `${s.url}/v1.0/users/${devUserOid("alice")}/todo/lists/${u.f.listId}/tasks/${u.f.taskId}/attachmentSessions`, { token: bob });
    expectError(bobList, 403, "accessDenied");
    await finishAndVerify(u);
  });

  test("400 for a Content-Digest that does not match the body (or is malformed); a matching one is accepted", async () => {
    const u = await partial(30, 10);
    const body = u.data.subarray(10, 20);
    const wrong = createHash("sha256").update(u.data.subarray(0, 10)).digest("base64");
    expectError(await putRange(u.url, u.data, 10, 19, { "content-digest": `sha-256=:${wrong}:` }), 400, "invalidRequest", null, /Content-Digest/);
    await assertUnchanged(u);
    expectError(await putRange(u.url, u.data, 10, 19, { "content-digest": "sha-256=:nope:" }), 400, "invalidRequest", null, /Content-Digest/);
    await assertUnchanged(u);
    const right = createHash("sha256").update(body).digest("base64");
    const ok = await putRange(u.url, u.data, 10, 19, { "content-digest": `sha-512=:AAAA:, sha-256=:${right}:` });
    assert.equal(ok.status, 200, ok.text);
    u.committed = 20;
    // On a replay, a wrong digest is refused too, and the state stays.
    expectError(await putRange(u.url, u.data, 10, 19, { "content-digest": `sha-256=:${wrong}:` }), 400, "invalidRequest");
    await finishAndVerify(u);
  });
});

/**
 * Sends a PUT of the session's next 10 bytes that stops after 5, and returns it once it holds the
 * session's lease. The probes that detect this race it for the lease (the held PUT opens a new
 * connection, and on PostgreSQL taking the lease takes a few milliseconds), so the held PUT gets a
 * head start (one turn of the event loop is usually enough); when a probe still wins, the held PUT
 * is refused with 409 and is sent again with a longer head start.
 */
async function heldPut(u: Upload): Promise<OpenRequest> {
  const [start, end] = [u.committed, u.committed + 9];
  for (const headStart of [0, 10, 30, 90, 270]) {
    const held = sendRequest(u.url, "PUT", { "Content-Type": "application/octet-stream", "Content-Range": `bytes ${start}-${end}/${u.data.length}`, "Content-Length": "10" }, u.data.subarray(start, start + 5));
    await new Promise((r) => setTimeout(r, headStart));
    if (await holdsLease(u, held)) return held;
  }
  assert.fail("the held PUT lost the race for the session's lock 5 times");
}

/**
 * Whether `held` holds the session's lock: a PUT that would be refused with 416 (a gap) is refused
 * with 409 instead while another PUT is in flight, and changes nothing either way. Only `held` can
 * hold it (a probe gives the lock back before it is answered), so a 409 probe while `held` is still
 * unanswered proves it. False when `held` was answered first, which must be a 409: a probe had the lock.
 */
async function holdsLease(u: Upload, held: OpenRequest): Promise<boolean> {
  let answered: RawResponse | Error | undefined;
  held.response.then(
    (r) => (answered = r),
    (e: Error) => (answered = e),
  );
  for (let i = 0; i < 200; i++) {
    const probe = await put(u.url, u.data.subarray(u.committed + 1, u.committed + 2), { "content-range": `bytes ${u.committed + 1}-${u.committed + 1}/${u.data.length}` });
    if (answered !== undefined) {
      if (answered instanceof Error) throw answered;
      expectError(asRes(answered), 409, "conflict", null);
      return false;
    }
    if (probe.status === 409) return true;
    assert.equal(probe.status, 416, probe.text);
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail("the held PUT never took the session's lock");
}
