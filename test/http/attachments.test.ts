// taskFileAttachment over HTTP: list, get (with contentBytes), $value (with Range), delete, the
// small-file POST at its 3 MiB boundary, every key syntax clients use, and what deleting a task takes
// with it.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { devUserOid } from "../../src/auth/dev-issuer.js";
import { makeSession, makeTask, putRange, type TaskFixture } from "../helpers/fixtures.js";
import { call, graphError, type Res } from "../helpers/http.js";
import { startTestServer, storedBlobs, type TestServer } from "../helpers/server.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const SMALL_LIMIT = 3 * 1_048_576;
const GRAPH_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,6}[1-9])?Z$/;

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

/** Objects whose bytes the store keeps (files on SQLite, chunk rows on PostgreSQL). */
async function blobCount(): Promise<number> {
  return (await storedBlobs(s)).count;
}

function post(f: TaskFixture, body: unknown): Promise<Res> {
  return call("POST", `${f.taskUrl}/attachments`, { token: f.token, json: body });
}

function small(name: string, bytes: Buffer, contentType?: string): Record<string, unknown> {
  return { "@odata.type": "#microsoft.graph.taskFileAttachment", name, contentBytes: bytes.toString("base64"), ...(contentType ? { contentType } : {}) };
}

/** Uploads through a session and returns the attachment id. */
async function upload(f: TaskFixture, data: Buffer, name: string, contentType?: string): Promise<string> {
  const url = await makeSession(f, data.length, name, contentType);
  const r = await putRange(url, data, 0, data.length - 1);
  assert.equal(r.status, 201, r.text);
  return decodeURIComponent(/Attachments\('([^']+)'\)$/.exec(r.headers.get("location")!)![1]!);
}

function expectError(r: Res, status: number, code: string, innerCode?: string | null): ReturnType<typeof graphError> {
  assert.equal(r.status, status, r.text);
  const e = graphError(r);
  assert.equal(e.code, code);
  if (innerCode !== undefined) assert.equal(e.innerError.code, innerCode ?? undefined);
  return e;
}

describe("reading attachments", () => {
  let f: TaskFixture;
  let data: Buffer;
  let id: string;
  before(async () => {
    f = await makeTask(s.url, await s.token());
    data = randomBytes(70_001); // not a multiple of 3: base64 padding, and more than one read chunk
    id = await upload(f, data, "report.pdf", "application/pdf");
  });

  test("the list has every attachment in creation order, without contentBytes", async () => {
    const second = await post(f, small("notes.txt", Buffer.from("hello"), "text/plain"));
    assert.equal(second.status, 201, second.text);
    const r = await call("GET", `${f.taskUrl}/attachments`, { token: f.token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json["@odata.context"], `${s.url}/v1.0/$metadata#users('${devUserOid("alice")}')/todo/lists('${encodeURIComponent(f.listId)}')/tasks('${encodeURIComponent(f.taskId)}')/attachments`);
    assert.equal(r.json.value.length, 2);
    const [a, b] = r.json.value;
    assert.deepEqual(Object.keys(a).sort(), ["@odata.type", "contentType", "id", "lastModifiedDateTime", "name", "size"]);
    assert.deepEqual({ ...a, lastModifiedDateTime: undefined }, {
      "@odata.type": "#microsoft.graph.taskFileAttachment",
      id,
      name: "report.pdf",
      contentType: "application/pdf",
      size: data.length,
      lastModifiedDateTime: undefined,
    });
    assert.match(a.lastModifiedDateTime, GRAPH_TIME);
    assert.equal(b.id, second.json.id);
    assert.equal("contentBytes" in b, false);
    assert.equal((await call("DELETE", `${f.taskUrl}/attachments/${b.id}`, { token: f.token })).status, 204);
  });

  test("GET one attachment includes contentBytes: base64 of exactly the bytes", async () => {
    const r = await call("GET", `${f.taskUrl}/attachments/${id}`, { token: f.token });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.match(r.headers.get("content-type")!, /^application\/json/);
    assert.equal(r.json["@odata.context"], `${s.url}/v1.0/$metadata#users('${devUserOid("alice")}')/todo/lists('${encodeURIComponent(f.listId)}')/tasks('${encodeURIComponent(f.taskId)}')/attachments/$entity`);
    assert.equal(r.json["@odata.type"], "#microsoft.graph.taskFileAttachment");
    assert.equal(r.json.id, id);
    assert.equal(r.json.size, data.length);
    assert.equal(r.json.contentBytes, data.toString("base64"));
    assert.equal(sha(Buffer.from(r.json.contentBytes, "base64")), sha(data));
  });

  test("$value is the raw bytes with the attachment's Content-Type and Content-Length", async () => {
    const r = await call("GET", `${f.taskUrl}/attachments/${id}/$value`, { token: f.token });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "application/pdf");
    assert.equal(r.headers.get("content-length"), String(data.length));
    assert.equal(r.headers.get("etag"), `"${sha(data)}"`);
    assert.equal(r.headers.get("accept-ranges"), "bytes");
    assert.ok(r.bytes.equals(data));
  });

  test("$value honours one Range: 206 with Content-Range, suffix and open ranges, 416 past the end", async () => {
    const url = `${f.taskUrl}/attachments/${id}/$value`;
    const cases: [string, number, number][] = [
      ["bytes=0-9", 0, 9],
      ["bytes=100-", 100, data.length - 1],
      ["bytes=-7", data.length - 7, data.length - 1],
      [`bytes=${data.length - 1}-${data.length + 50}`, data.length - 1, data.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const r = await call("GET", url, { token: f.token, headers: { range } });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers.get("content-range"), `bytes ${start}-${end}/${data.length}`);
      assert.equal(r.headers.get("content-length"), String(end - start + 1));
      assert.equal(r.headers.get("content-type"), "application/pdf");
      assert.ok(r.bytes.equals(data.subarray(start, end + 1)), range);
    }
    const past = await call("GET", url, { token: f.token, headers: { range: `bytes=${data.length}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get("content-range"), `bytes */${data.length}`);
  });

  test("every key syntax reaches the attachment: attachments/{id}, attachments('{id}'), Attachments('{id}'), Attachments/{id}, encoded ids", async () => {
    const forms = [
      `attachments/${id}`,
      `attachments('${id}')`,
      `Attachments('${id}')`,
      `Attachments/${id}`,
      `attachments/${encodeURIComponent(id)}`,
      `Attachments('${encodeURIComponent(id)}')`,
      `Attachments%28%27${encodeURIComponent(id)}%27%29`,
    ];
    for (const form of forms) {
      const one = await call("GET", `${f.taskUrl}/${form}`, { token: f.token });
      assert.equal(one.status, 200, `${form}: ${one.text.slice(0, 200)}`);
      assert.equal(one.json.id, id);
      const value = await call("GET", `${f.taskUrl}/${form}/$value`, { token: f.token });
      assert.equal(value.status, 200, form);
      assert.ok(value.bytes.equals(data), form);
    }
    // The final PUT's Location is usable as it is, with /$value appended too.
    const url = await makeSession(f, 3, "loc.bin");
    const done = await putRange(url, Buffer.from("abc"), 0, 2);
    const loc = done.headers.get("location")!;
    assert.equal((await call("GET", loc, { token: f.token })).json.name, "loc.bin");
    assert.equal((await call("GET", `${loc}/$value`, { token: f.token })).text, "abc");
    assert.equal((await call("DELETE", loc, { token: f.token })).status, 204);
  });

  test("404 for an unknown attachment, another task's or another user's; 400 for a malformed id", async () => {
    const unknown = `AQMkA${"A".repeat(24)}=`;
    expectError(await call("GET", `${f.taskUrl}/attachments/${unknown}`, { token: f.token }), 404, "itemNotFound", "ErrorItemNotFound");
    expectError(await call("GET", `${f.taskUrl}/attachments/${unknown}/$value`, { token: f.token }), 404, "itemNotFound");
    expectError(await call("DELETE", `${f.taskUrl}/attachments/${unknown}`, { token: f.token }), 404, "itemNotFound");
    const g = await makeTask(s.url, await s.token());
    expectError(await call("GET", `${g.taskUrl}/attachments/${id}`, { token: g.token }), 404, "itemNotFound");
    const bob = await s.token({ user: "bob" });
    expectError(await call("GET", `${s.url}/v1.0/me/todo/lists/${f.listId}/tasks/${f.taskId}/attachments/${id}`, { token: bob }), 404, "itemNotFound");
    expectError(await call("GET", `${s.url}/v1.0/me/todo/lists/${f.listId}/tasks/${f.taskId}/attachments/${id}/$value`, { token: bob }), 404, "itemNotFound");
    expectError(await call("DELETE", `${s.url}/v1.0/me/todo/lists/${f.listId}/tasks/${f.taskId}/attachments/${id}`, { token: bob }), 404, "itemNotFound");
    expectError(await call("GET", `${f.taskUrl}/attachments/not-an-id`, { token: f.token }), 400, "invalidRequest", "ErrorInvalidIdMalformed");
    expectError(await call("GET", `${f.taskUrl}/attachments/${id}`), 401, "InvalidAuthenticationToken");
    // Still there after all that.
    assert.equal((await call("GET", `${f.taskUrl}/attachments/${id}`, { token: f.token })).status, 200);
  });
});

describe("deleting attachments", () => {
  test("DELETE answers 204, frees the bytes, and hasAttachments follows the count", async () => {
    const f = await makeTask(s.url, await s.token());
    const blobs0 = await blobCount();
    const a = await upload(f, randomBytes(5000), "a.bin");
    const b = (await post(f, small("b.txt", Buffer.from("bee")))).json.id as string;
    assert.equal(await blobCount(), blobs0 + 2);
    assert.equal((await call("GET", f.taskUrl, { token: f.token })).json.hasAttachments, true);

    const del = await call("DELETE", `${f.taskUrl}/Attachments('${a}')`, { token: f.token });
    assert.equal(del.status, 204);
    assert.equal(del.bytes.length, 0);
    assert.equal(await blobCount(), blobs0 + 1, "the attachment's bytes are gone");
    assert.equal((await call("GET", f.taskUrl, { token: f.token })).json.hasAttachments, true, "one left");
    expectError(await call("GET", `${f.taskUrl}/attachments/${a}`, { token: f.token }), 404, "itemNotFound");
    expectError(await call("GET", `${f.taskUrl}/attachments/${a}/$value`, { token: f.token }), 404, "itemNotFound");
    expectError(await call("DELETE", `${f.taskUrl}/attachments/${a}`, { token: f.token }), 404, "itemNotFound");

    assert.equal((await call("DELETE", `${f.taskUrl}/attachments/${b}`, { token: f.token })).status, 204);
    assert.equal(await blobCount(), blobs0);
    assert.equal((await call("GET", f.taskUrl, { token: f.token })).json.hasAttachments, false);
    assert.deepEqual((await call("GET", `${f.taskUrl}/attachments`, { token: f.token })).json.value, []);
  });

  test("deleting a task deletes its attachments and its open sessions, and frees their bytes", async () => {
    const f = await makeTask(s.url, await s.token());
    const blobs0 = await blobCount();
    const a = await upload(f, randomBytes(1000), "kept-until-task-goes.bin");
    const open = await makeSession(f, 100, "open.bin");
    assert.equal((await putRange(open, randomBytes(100), 0, 49)).status, 200);
    assert.equal(await blobCount(), blobs0 + 2);
    // A task of the same list keeps its own.
    const other = await call("POST", `${f.todo}/lists/${f.listId}/tasks`, { token: f.token, json: { title: "sibling" } });
    const siblingUrl = `${f.todo}/lists/${f.listId}/tasks/${other.json.id}`;
    const sib = await post({ ...f, taskUrl: siblingUrl }, small("sib.txt", Buffer.from("sibling")));
    assert.equal(sib.status, 201);

    assert.equal((await call("DELETE", f.taskUrl, { token: f.token })).status, 204);
    assert.equal(await blobCount(), blobs0 + 1, "only the sibling's bytes are left");
    expectError(await call("GET", `${f.taskUrl}/attachments/${a}`, { token: f.token }), 404, "itemNotFound");
    expectError(await call("GET", `${f.taskUrl}/attachments`, { token: f.token }), 404, "itemNotFound");
    expectError(await call("GET", open), 404, "itemNotFound");
    expectError(await putRange(open, randomBytes(100), 50, 99), 404, "itemNotFound");
    const sibValue = await call("GET", `${siblingUrl}/attachments/${sib.json.id}/$value`, { token: f.token });
    assert.equal(sibValue.text, "sibling");
  });
});

describe("small-file POST", () => {
  let f: TaskFixture;
  before(async () => {
    f = await makeTask(s.url, await s.token());
  });

  test("201 with the attachment (no contentBytes) and a Location like the final PUT's", async () => {
    const bytes = randomBytes(1234);
    const r = await post(f, small("photo.png", bytes, "image/png"));
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(Object.keys(r.json).sort(), ["@odata.context", "@odata.type", "contentType", "id", "lastModifiedDateTime", "name", "size"]);
    assert.equal(r.json.size, 1234);
    assert.equal(r.json.contentType, "image/png");
    assert.equal(r.headers.get("location"), `${s.url}/v1.0/users/${devUserOid("alice")}/todo/lists/${f.listId}/tasks/${f.taskId}/Attachments('${r.json.id}')`);
    const value = await call("GET", `${r.headers.get("location")}/$value`, { token: f.token });
    assert.equal(value.headers.get("content-type"), "image/png");
    assert.ok(value.bytes.equals(bytes));
    // Without @odata.type and contentType: accepted, application/octet-stream.
    const plain = await post(f, { name: "raw.bin", contentBytes: "AAEC" });
    assert.equal(plain.status, 201, plain.text);
    assert.equal(plain.json.contentType, "application/octet-stream");
    assert.equal(plain.json.size, 3);
  });

  test("an empty file is accepted (contentBytes \"\") and reads back empty", async () => {
    const r = await post(f, small("empty.txt", Buffer.alloc(0), "text/plain"));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.size, 0);
    const one = await call("GET", `${f.taskUrl}/attachments/${r.json.id}`, { token: f.token });
    assert.equal(one.json.contentBytes, "");
    const value = await call("GET", `${f.taskUrl}/attachments/${r.json.id}/$value`, { token: f.token });
    assert.equal(value.status, 200);
    assert.equal(value.headers.get("content-length"), "0");
    assert.equal(value.bytes.length, 0);
  });

  test("3,145,727 bytes (3 MiB - 1) is accepted byte-exact; 3 MiB is 413 naming the limit", async () => {
    const max = randomBytes(SMALL_LIMIT - 1);
    const ok = await post(f, small("max.bin", max));
    assert.equal(ok.status, 201, ok.text.slice(0, 300));
    assert.equal(ok.json.size, SMALL_LIMIT - 1);
    const value = await call("GET", `${f.taskUrl}/attachments/${ok.json.id}/$value`, { token: f.token });
    assert.equal(sha(value.bytes), sha(max));

    const before = (await call("GET", `${f.taskUrl}/attachments`, { token: f.token })).json.value.length;
    const over = await post(f, small("over.bin", randomBytes(SMALL_LIMIT)));
    const e = expectError(over, 413, "invalidRequest", null);
    assert.match(e.message, /3145728 bytes \(3 MiB\)/);
    assert.match(e.message, /createUploadSession/);
    // Far over: the JSON body itself is over what the route reads; still a 413 that says the limit.
    const huge = await post(f, small("huge.bin", randomBytes(4 * 1_048_576)));
    const e2 = expectError(huge, 413, "invalidRequest", null);
    assert.match(e2.message, /3 MiB/);
    assert.equal((await call("GET", `${f.taskUrl}/attachments`, { token: f.token })).json.value.length, before);
  });

  test("400 for bad base64 and other invalid bodies; nothing is created", async () => {
    const before = (await call("GET", `${f.taskUrl}/attachments`, { token: f.token })).json.value.length;
    const bad: [unknown, RegExp][] = [
      [{ name: "x", contentBytes: "not base64!" }, /not valid base64/],
      [{ name: "x", contentBytes: "AAE" }, /multiple of 4/],
      [{ name: "x", contentBytes: "AA-_" }, /base64url/],
      [{ name: "x", contentBytes: "AAE=\n" }, /base64/],
      [{ name: "x", contentBytes: "AB==" }, /canonical/],
      [{ name: "x" }, /contentBytes is required/],
      [{ name: "x", contentBytes: 5 }, /must be a base64 string/],
      [{ contentBytes: "AAAA" }, /name is required/],
      [{ name: "", contentBytes: "AAAA" }, /must not be empty/],
      [{ name: "a/b", contentBytes: "AAAA" }, /'\/'/],
      [{ name: "x", contentBytes: "AAAA", size: 4 }, /does not match the 3 bytes/],
      [{ "@odata.type": "#microsoft.graph.taskReferenceAttachment", name: "x", contentBytes: "AAAA" }, /not supported/],
      [{ name: "x", contentBytes: "AAAA", contentType: "nope" }, /not a MIME type/],
    ];
    for (const [body, message] of bad) {
      const e = expectError(await post(f, body), 400, "invalidRequest", "ErrorInvalidRequest");
      assert.match(e.innerError.message!, message, JSON.stringify(body));
    }
    expectError(await call("POST", `${f.taskUrl}/attachments`, { token: f.token, body: "{", headers: { "content-type": "application/json" } }), 400, "invalidRequest");
    expectError(await call("POST", `${f.taskUrl}/attachments`, { token: f.token, body: "x", headers: { "content-type": "text/plain" } }), 415, "invalidRequest");
    const readOnly = await s.token({ user: "alice", scopes: ["Tasks.Read"] });
    expectError(await call("POST", `${f.taskUrl}/attachments`, { token: readOnly, json: small("r.txt", Buffer.from("r")) }), 403, "accessDenied", "ErrorAccessDenied");
    assert.equal((await call("GET", `${f.taskUrl}/attachments`, { token: f.token })).json.value.length, before);
  });
});

test("an app-only token may read and add attachments through /users/{id} (the small-file POST is not createUploadSession)", async () => {
  const f = await makeTask(s.url, await s.token({ user: "dave" }));
  const app = await s.token({ app: "daemon", roles: ["Tasks.ReadWrite.All"] });
  const base = `${s.url}/v1.0/users/${devUserOid("dave")}/todo/lists/${f.listId}/tasks/${f.taskId}/attachments`;
  const created = await call("POST", base, { token: app, json: small("by-app.txt", Buffer.from("app")) });
  assert.equal(created.status, 201, created.text);
  const list = await call("GET", base, { token: app });
  assert.deepEqual(list.json.value.map((a: { name: string }) => a.name), ["by-app.txt"]);
  assert.equal((await call("GET", `${base}/${created.json.id}/$value`, { token: app })).text, "app");
});
