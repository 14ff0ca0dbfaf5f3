// Downloads: $value streamed to a file, a Node stream or a WritableStream, length (and SHA-256)
// checked; a body cut mid-way continued with a Range request; corrupt bytes refused.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, test } from "node:test";
import { TaskdropClient, VerificationError, memoryResumeStore } from "../../src/client/index.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { makeTask, type TaskFixture } from "../helpers/fixtures.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { MiB, closeServer, sha } from "./support.js";

let s: TestServer;
let proxy: FaultProxy;
let f: TaskFixture;
let client: TaskdropClient;
let dir: string;
let data: Buffer;
let id: string;
before(async () => {
  s = await startTestServer();
  proxy = await startFaultProxy(s.url);
  f = await makeTask(s.url, await s.token());
  dir = tempDir("taskdrop-download-");
  client = new TaskdropClient({ baseUrl: `${proxy.url}/v1.0`, token: f.token, resumeStore: memoryResumeStore(), retry: { baseDelayMs: 5 } });
  data = randomBytes(7 * MiB + 3);
  id = (await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: "dl.bin" })).attachmentId;
});
after(async () => {
  await proxy.close();
  await closeServer(s);
  rmSync(dir, { recursive: true, force: true });
});

const target = { get listId() { return f.listId; }, get taskId() { return f.taskId; }, get attachmentId() { return id; } };

test("to a file: identical bytes, length and SHA-256 checked, no partial file left", async () => {
  const out = join(dir, "out.bin");
  let last = 0;
  const r = await client.downloadAttachment({ ...target, to: out, onProgress: (p) => (last = p.bytesReceived) });
  assert.equal(r.bytes, data.length);
  assert.equal(r.sha256, sha(data));
  assert.equal(r.hashVerified, true);
  assert.equal(last, data.length);
  assert.equal(sha(readFileSync(out)), sha(data));
  writeFileSync(out, "keep me");
  await assert.rejects(client.downloadAttachment({ ...target, to: out, overwrite: false }), { code: "fileExists" });
  assert.equal(readFileSync(out, "utf8"), "keep me");
  assert.deepEqual(readdirSync(dir), ["out.bin"]);
});

test("to a Node Writable and to a WritableStream", async () => {
  const chunks: Buffer[] = [];
  const w = new Writable({ write: (c, _e, cb) => void (chunks.push(c), cb()) });
  await client.downloadAttachment({ ...target, to: w });
  assert.equal(sha(Buffer.concat(chunks)), sha(data));
  const parts: Uint8Array[] = [];
  await client.downloadAttachment({ ...target, to: new WritableStream<Uint8Array>({ write: (c) => void parts.push(c) }) });
  assert.equal(sha(Buffer.concat(parts)), sha(data));
});

test("a body cut mid-way continues with Range and ends identical", async () => {
  proxy.clear({ log: true });
  proxy.add({ method: "GET", url: /\$value/, fault: { kind: "truncate-response", afterBytes: 3 * MiB } });
  const out = join(dir, "cut.bin");
  const r = await client.downloadAttachment({ ...target, to: out });
  assert.equal(r.hashVerified, true);
  assert.equal(sha(readFileSync(out)), sha(data));
  const gets = proxy.log.filter((x) => /\$value/.test(x.url));
  assert.equal(gets.length, 2);
  assert.match(String(gets[1]!.headers.range), /^bytes=\d+-$/);
  assert.ok(Number(/=(\d+)/.exec(String(gets[1]!.headers.range))![1]) > 0);
  rmSync(out);
});

test("corrupted bytes are refused and leave no file", async () => {
  proxy.clear();
  proxy.add({ method: "GET", url: /\$value/, fault: { kind: "corrupt-response" } });
  const out = join(dir, "bad.bin");
  await assert.rejects(client.downloadAttachment({ ...target, to: out }), (e) => e instanceof VerificationError && /SHA-256/.test(e.message));
  assert.equal(existsSync(out), false);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.startsWith("bad")),
    [],
  );
});

test("an unknown attachment is a 404", async () => {
  await assert.rejects(client.downloadAttachment({ ...target, attachmentId: `AQMkA${"x".repeat(24)}=`, to: join(dir, "none.bin") }), { status: 404 });
});
