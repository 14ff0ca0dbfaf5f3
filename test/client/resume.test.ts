// Resuming: a process killed mid-upload and a second run continuing from the resume record; a
// changed file refused; abort (prompt, resumable) and cancel (session deleted).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { SourceChangedError, TaskdropClient, isAbortError, memoryResumeStore, type ResumeRecord } from "../../src/client/index.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { makeTask, type TaskFixture } from "../helpers/fixtures.js";
import { call } from "../helpers/http.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";
import { MiB, closeServer, sha } from "./support.js";

let s: TestServer;
let proxy: FaultProxy;
let dir: string;
before(async () => {
  s = await startTestServer();
  proxy = await startFaultProxy(s.url);
  dir = tempDir("taskdrop-resume-");
});
after(async () => {
  await proxy.close();
  await closeServer(s);
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function setup(size: number): Promise<{ f: TaskFixture; file: string; data: Buffer; stateDir: string; client: TaskdropClient }> {
  n += 1;
  const f = await makeTask(s.url, await s.token());
  const data = randomBytes(size);
  const file = join(dir, `file-${n}.bin`);
  writeFileSync(file, data);
  const stateDir = join(dir, `state-${n}`);
  const client = new TaskdropClient({ baseUrl: `${s.url}/v1.0`, token: f.token, stateDir, retry: { baseDelayMs: 5 } });
  return { f, file, data, stateDir, client };
}

const records = (stateDir: string): ResumeRecord[] => {
  try {
    return readdirSync(join(stateDir, "uploads")).map((n) => JSON.parse(readFileSync(join(stateDir, "uploads", n), "utf8")) as ResumeRecord);
  } catch {
    return [];
  }
};

async function storedSha(f: TaskFixture, attachmentId: string): Promise<string> {
  const r = await call("GET", `${f.taskUrl}/attachments/${attachmentId}/$value`, { token: f.token });
  assert.equal(r.status, 200);
  return sha(r.bytes);
}

/** Starts an upload and aborts it once the server holds at least `bytes`. */
async function interrupted(client: TaskdropClient, f: TaskFixture, source: string | Uint8Array, bytes: number, extra: object = {}): Promise<void> {
  const ctl = new AbortController();
  await assert.rejects(
    client.uploadAttachment({
      listId: f.listId,
      taskId: f.taskId,
      source,
      name: typeof source === "string" ? undefined : "bytes.bin",
      chunkSize: MiB,
      signal: ctl.signal,
      onProgress: (p) => p.bytesUploaded >= bytes && ctl.abort(),
      ...extra,
    }),
    (e) => isAbortError(e),
  );
}

test("a process killed (SIGKILL) mid-upload; a second run resumes from its record", async () => {
  const { f, file, data, stateDir, client } = await setup(6 * MiB + 123);
  const childPath = join(dirname(fileURLToPath(import.meta.url)), "upload-child.js");
  const child = spawn(process.execPath, [childPath], {
    env: { ...process.env, UPLOAD_CHILD: JSON.stringify({ baseUrl: `${s.url}/v1.0`, token: f.token, listId: f.listId, taskId: f.taskId, file, stateDir, rate: 4 * MiB }) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  for await (const line of createInterface({ input: child.stdout! })) {
    const p = JSON.parse(line) as { bytesUploaded?: number };
    if ((p.bytesUploaded ?? 0) >= MiB) {
      child.kill("SIGKILL");
      break;
    }
  }
  assert.equal(await exited, "SIGKILL");
  const [rec, ...more] = records(stateDir);
  assert.equal(more.length, 0);
  assert.equal(rec!.source.path, file);
  assert.equal(rec!.source.sha256, sha(data));
  const held = await client.sessions.status(rec!.uploadUrl);
  assert.ok(held.next! >= MiB && held.next! < data.length, `server holds ${held.next}`);

  let first: number | undefined;
  const r = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: file, onProgress: (p) => (first ??= p.bytesUploaded) });
  assert.equal(r.resumedFrom, held.next);
  assert.equal(first, held.next);
  assert.equal(await storedSha(f, r.attachmentId), sha(data));
  assert.equal(records(stateDir).length, 0, "the record is removed once done");
  assert.equal((await client.attachments.list(f.listId, f.taskId)).length, 1);
});

test("a file changed since the interruption is refused clearly; restart starts over; a mere touch resumes", async () => {
  const { f, file, data, stateDir, client } = await setup(3 * MiB);
  await interrupted(client, f, file, MiB);
  const [rec] = records(stateDir);
  // Same size, one byte different.
  const changed = Buffer.from(data);
  changed[10] = changed[10]! ^ 1;
  writeFileSync(file, changed);
  await assert.rejects(
    client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: file }),
    (e: SourceChangedError) => e instanceof SourceChangedError && e.message.includes(file) && /content changed/.test(e.message) && /--restart/.test(e.message),
  );
  writeFileSync(file, changed.subarray(0, 100));
  await assert.rejects(client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: file }), /size changed from 3145728 to 100 bytes/);
  assert.equal((await client.sessions.status(rec!.uploadUrl)).next, MiB, "a refusal leaves the session alone");

  // Back to the original content with a new mtime: the content hash says it is the same file.
  writeFileSync(file, data);
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  const resumed = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: file });
  assert.equal(resumed.resumedFrom, MiB);
  assert.equal(await storedSha(f, resumed.attachmentId), sha(data));

  await interrupted(client, f, file, MiB);
  const [rec2] = records(stateDir);
  writeFileSync(file, changed);
  const fresh = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: file, resume: "restart" });
  assert.equal(fresh.resumedFrom, 0);
  assert.equal(await storedSha(f, fresh.attachmentId), sha(changed));
  assert.equal((await client.sessions.status(rec2!.uploadUrl)).gone, true, "restart cancels the old session");
});

test("a file that changes during the upload stops it", async () => {
  const { f, file, client } = await setup(3 * MiB);
  await assert.rejects(
    client.uploadAttachment({
      listId: f.listId,
      taskId: f.taskId,
      source: file,
      chunkSize: MiB,
      onProgress: (p) => p.bytesUploaded === MiB && writeFileSync(file, randomBytes(3 * MiB + 1)),
    }),
    (e: SourceChangedError) => e instanceof SourceChangedError && /changed while it was being uploaded/.test(e.message),
  );
});

test("bytes and an expired or vanished session: same bytes resume, an expired record starts over", async () => {
  const { f, client } = await setup(0);
  const store = memoryResumeStore();
  const data = randomBytes(3 * MiB);
  await interrupted(client, f, data, MiB, { resumeStore: store });
  assert.equal(store.records.size, 1);
  const r = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: "bytes.bin", resumeStore: store });
  assert.equal(r.resumedFrom, MiB);
  assert.equal(await storedSha(f, r.attachmentId), sha(data));

  await interrupted(client, f, data, MiB, { resumeStore: store });
  const [key, rec] = [...store.records][0]!;
  store.records.set(key, { ...rec, expirationDateTime: new Date(Date.now() - 1000).toISOString() });
  const again = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: "bytes.bin", resumeStore: store });
  assert.equal(again.resumedFrom, 0);

  await interrupted(client, f, data, MiB, { resumeStore: store });
  await client.sessions.cancel([...store.records.values()][0]!.uploadUrl);
  const third = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: "bytes.bin", resumeStore: store });
  assert.equal(third.resumedFrom, 0);
  assert.equal(await storedSha(f, third.attachmentId), sha(data));
  assert.equal(store.records.size, 0);
});

test("abort is prompt mid-request and mid-backoff, keeps the session; cancelUpload deletes it", async () => {
  const { f, file, stateDir } = await setup(3 * MiB);
  const client = new TaskdropClient({ baseUrl: `${proxy.url}/v1.0`, token: f.token, stateDir });
  proxy.add({ method: "PUT", url: /attachmentSessions/, nth: 2, fault: { kind: "delay", ms: 10_000 } });
  const ctl = new AbortController();
  let abortedAt = 0;
  const p = client.uploadAttachment({
    listId: f.listId,
    taskId: f.taskId,
    source: file,
    chunkSize: MiB,
    signal: ctl.signal,
    onProgress: (x) => {
      if (x.bytesUploaded === MiB)
        setTimeout(() => {
          abortedAt = Date.now();
          ctl.abort();
        }, 100);
    },
  });
  await assert.rejects(p, (e) => isAbortError(e));
  assert.ok(Date.now() - abortedAt < 500, `rejected ${Date.now() - abortedAt} ms after the abort`);
  const [rec] = records(stateDir);
  // The delayed PUT may still reach the server; either way the session is intact and resumable.
  const st = await client.sessions.status(rec!.uploadUrl);
  assert.ok(st.next === MiB || st.next === 2 * MiB);

  // Aborting while waiting out a long Retry-After.
  proxy.clear();
  proxy.add({ method: "GET", url: /attachmentSessions/, fault: { kind: "status", status: 503, headers: { "retry-after": "30" } } });
  const ctl2 = new AbortController();
  setTimeout(() => ctl2.abort(), 150);
  const t = Date.now();
  await assert.rejects(client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: file, signal: ctl2.signal }), (e) => isAbortError(e));
  assert.ok(Date.now() - t < 1000);
  proxy.clear();

  assert.equal(await client.cancelUpload({ listId: f.listId, taskId: f.taskId, source: file }), true);
  assert.equal((await client.sessions.status(rec!.uploadUrl)).gone, true);
  assert.equal(records(stateDir).length, 0);
  assert.equal(await client.cancelUpload({ listId: f.listId, taskId: f.taskId, source: file }), false);

  // An already-aborted signal: nothing is sent.
  const before = proxy.log.length;
  await assert.rejects(client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: file, signal: AbortSignal.abort() }), (e) => isAbortError(e));
  assert.equal(proxy.log.length, before);
});

test("cancelOnAbort deletes the session when aborted", async () => {
  const { f, file, stateDir, client } = await setup(3 * MiB);
  let url = "";
  await interrupted(client, f, file, MiB, { cancelOnAbort: true, onSession: (x: { uploadUrl: string }) => (url = x.uploadUrl) });
  assert.equal((await client.sessions.status(url)).gone, true);
  assert.equal(records(stateDir).length, 0);
  assert.equal((await client.sessions.list(f.listId, f.taskId)).length, 0);
});
