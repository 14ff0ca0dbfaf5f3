// The SDK's uploads against a real Taskdrop server: many sizes and every kind of source, checked
// byte for byte through $value.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { TaskdropClient, TaskdropError, memoryResumeStore, uploadAttachment, type UploadProgress } from "../../src/client/index.js";
import { makeTask } from "../helpers/fixtures.js";
import { call } from "../helpers/http.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { startFaultProxy } from "../helpers/fault-proxy.js";
import { MiB, closeServer, sha } from "./support.js";


let s: TestServer;
let client: TaskdropClient;
let stateDir: string;
before(async () => {
  s = await startTestServer();
  stateDir = tempDir("taskdrop-state-");
  client = new TaskdropClient({ baseUrl: `${s.url}/v1.0`, token: await s.token(), stateDir });
});
after(async () => {
  await closeServer(s);
  rmSync(stateDir, { recursive: true, force: true });
});

async function stored(listId: string, taskId: string, attachmentId: string): Promise<Buffer> {
  const r = await call("GET", `${client.attachmentUrl(listId, taskId, attachmentId)}/$value`, { token: await s.token() });
  assert.equal(r.status, 200, r.text);
  return r.bytes;
}

describe("sizes", () => {
  const sizes = [0, 1, 1000, 3 * MiB - 1, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 9 * MiB + 7, 25 * MiB];
  for (const size of sizes) {
    test(`${size} bytes arrive byte-exact`, async () => {
      const f = await makeTask(s.url, await s.token());
      const data = randomBytes(size);
      const seen: UploadProgress[] = [];
      const r = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: `f${size}.bin`, onProgress: (p) => seen.push(p) });
      assert.equal(r.size, size);
      assert.equal(r.method, size === 0 ? "post" : "session");
      assert.equal(sha(await stored(f.listId, f.taskId, r.attachmentId)), sha(data));
      assert.equal(seen.at(-1)?.bytesUploaded, size);
      const ranges = Math.max(1, Math.ceil(size / (4 * MiB)));
      if (size > 0) assert.ok(seen.length >= ranges, `progress after each range (${seen.length} < ${ranges})`);
      const [att] = await client.attachments.list(f.listId, f.taskId);
      assert.equal(att?.id, r.attachmentId);
      assert.equal(att?.size, size);
    });
  }

  test("a small chunk size makes many ranges, still exact", async () => {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(100_003);
    let calls = 0;
    const r = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: "small-chunks.bin", chunkSize: 7_000, onProgress: () => calls++ });
    assert.equal(sha(await stored(f.listId, f.taskId, r.attachmentId)), sha(data));
    assert.equal(calls, 1 + Math.ceil(100_003 / 7_000));
  });

  test("over 25 MiB is refused before any request, and chunk sizes over 4 MiB are refused", async () => {
    const f = await makeTask(s.url, await s.token());
    await assert.rejects(client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: new Uint8Array(25 * MiB + 1), name: "big" }), { code: "tooLarge" });
    await assert.rejects(client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: new Uint8Array(10), name: "x", chunkSize: 4 * MiB + 1 }), { code: "badChunkSize" });
    await assert.rejects(client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: new Uint8Array(10) }), { code: "nameRequired" });
    assert.equal((await client.sessions.list(f.listId, f.taskId)).length, 0);
  });

  test("the small-file POST, and a 0-byte session completed with bytes */0", async () => {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(2 * MiB);
    const r = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: "post.bin", method: "post", contentType: "image/png" });
    assert.equal(r.method, "post");
    assert.equal(sha(await stored(f.listId, f.taskId, r.attachmentId)), sha(data));
    assert.equal((await client.attachments.get(f.listId, f.taskId, r.attachmentId, { select: ["contentType"] })).contentType, "image/png");
    const empty = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: new Uint8Array(0), name: "empty", method: "session" });
    assert.equal(empty.method, "session");
    assert.equal((await stored(f.listId, f.taskId, empty.attachmentId)).length, 0);
    await assert.rejects(
      client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: new Uint8Array(3 * MiB), name: "x", method: "post" }),
      (e: TaskdropError) => e.code === "tooLarge" && /3 MiB/.test(e.message),
    );
  });
});

describe("sources", () => {
  test("a file path: name and content type from the file, record removed when done", async () => {
    const f = await makeTask(s.url, await s.token());
    const dir = tempDir();
    try {
      const file = join(dir, "report.pdf");
      const data = randomBytes(5 * MiB + 3);
      writeFileSync(file, data);
      const store = memoryResumeStore();
      const r = await uploadAttachment({ client, listId: f.listId, taskId: f.taskId, source: file, resumeStore: store });
      assert.equal(r.name, "report.pdf");
      assert.equal(r.contentType, "application/pdf");
      assert.equal(sha(await stored(f.listId, f.taskId, r.attachmentId)), sha(data));
      assert.equal(store.records.size, 0);
      await assert.rejects(client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: join(dir, "missing.bin") }), { code: "fileNotFound" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a Blob and a File", async () => {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(6 * MiB + 11);
    const blob = new Blob([data], { type: "text/csv" });
    const r = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: blob, name: "b.csv" });
    assert.equal(r.contentType, "text/csv");
    assert.equal(sha(await stored(f.listId, f.taskId, r.attachmentId)), sha(data));
    const file = new File([data.subarray(0, 12345)], "named.txt", { type: "text/plain" });
    const r2 = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: file });
    assert.equal(r2.name, "named.txt");
    assert.equal(sha(await stored(f.listId, f.taskId, r2.attachmentId)), sha(data.subarray(0, 12345)));
  });

  test("a Node stream and a web ReadableStream with known sizes, in odd-sized pieces", async () => {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(9 * MiB + 5);
    const pieces = function* () {
      for (let i = 0; i < data.length; i += 777_777) yield data.subarray(i, i + 777_777);
    };
    const r = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: Readable.from(pieces()), size: data.length, name: "node-stream.bin" });
    assert.equal(sha(await stored(f.listId, f.taskId, r.attachmentId)), sha(data));
    const web = (ReadableStream as unknown as { from(it: Iterable<Uint8Array>): ReadableStream<Uint8Array> }).from(pieces());
    const r2 = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: { stream: web, size: data.length }, name: "web-stream.bin" });
    assert.equal(sha(await stored(f.listId, f.taskId, r2.attachmentId)), sha(data));
  });

  test("a stream whose size is wrong is refused, and a stream without size", async () => {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(100_000);
    await assert.rejects(
      client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: Readable.from([data]), size: 100_001, name: "short.bin" }),
      (e: TaskdropError) => e.code === "sourceChanged" && /ended after 100000/.test(e.message),
    );
    await assert.rejects(
      client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: Readable.from([data]), size: 99_999, name: "long.bin" }),
      (e: TaskdropError) => e.code === "sourceChanged" && /more bytes/.test(e.message),
    );
    await assert.rejects(client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: Readable.from([data]), name: "nosize.bin" }), { code: "sizeRequired" });
    assert.equal((await client.attachments.list(f.listId, f.taskId)).length, 0);
  });
});

describe("Graph compatibility", () => {
  test("camelCase intermediate answers (--session-casing camel) work the same", async () => {
    const camel = await startTestServer({ sessionCasing: "camel" });
    try {
      const f = await makeTask(camel.url, await camel.token());
      const c = new TaskdropClient({ baseUrl: `${camel.url}/v1.0`, token: f.token, resumeStore: memoryResumeStore() });
      const data = randomBytes(9 * MiB);
      const r = await c.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: "camel.bin" });
      const got = await call("GET", `${c.attachmentUrl(f.listId, f.taskId, r.attachmentId)}/$value`, { token: f.token });
      assert.equal(sha(got.bytes), sha(data));
    } finally {
      await closeServer(camel);
    }
  });

  test("the token goes to an upload URL on the base URL's origin only; the URL alone authorises", async () => {
    // The server names a proxy in its URLs (--public-url) while the client talks to it directly.
    const proxy = await startFaultProxy("http://127.0.0.1:9");
    const other = await startTestServer({ publicUrl: proxy.url });
    proxy.setTarget(other.url);
    try {
      const f = await makeTask(other.url, await other.token());
      const data = randomBytes(5 * MiB);
      for (const uploadUrlAuth of ["same-origin", "always"] as const) {
        proxy.clear({ log: true });
        const c = new TaskdropClient({ baseUrl: `${other.url}/v1.0`, token: f.token, resumeStore: memoryResumeStore(), uploadUrlAuth });
        const r = await c.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: `${uploadUrlAuth}.bin` });
        const got = await call("GET", `${c.attachmentUrl(f.listId, f.taskId, r.attachmentId)}/$value`, { token: f.token });
        assert.equal(sha(got.bytes), sha(data));
        const puts = proxy.log.filter((x) => x.method === "PUT");
        assert.equal(puts.length, 2);
        for (const p of puts) assert.equal(p.headers.authorization !== undefined, uploadUrlAuth === "always");
      }
    } finally {
      await closeServer(other);
      await proxy.close();
    }
  });
});
