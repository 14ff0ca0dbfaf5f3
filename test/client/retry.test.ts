// Retries through a fault-injecting proxy in front of a real server: injected 500/503/429 and
// connections dropped before, during and after the server saw a range. After every failed PUT
// the client must ask the session (GET) before sending again, and never re-send a committed range.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, beforeEach, test } from "node:test";
import { GraphRequestError, NetworkError, TaskdropClient, memoryResumeStore, type RetryEvent } from "../../src/client/index.js";
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from "../helpers/fault-proxy.js";
import { makeTask, type TaskFixture } from "../helpers/fixtures.js";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { MiB, closeServer, sha } from "./support.js";

let s: TestServer;
let proxy: FaultProxy;
let f: TaskFixture;
let retries: RetryEvent[];
let client: TaskdropClient;
before(async () => {
  s = await startTestServer();
  proxy = await startFaultProxy(s.url);
  f = await makeTask(s.url, await s.token());
});
after(async () => {
  await proxy.close();
  await closeServer(s);
});
beforeEach(() => {
  proxy.clear({ log: true });
  retries = [];
  client = new TaskdropClient({
    baseUrl: `${proxy.url}/v1.0`,
    token: f.token,
    resumeStore: memoryResumeStore(),
    retry: { baseDelayMs: 5, maxDelayMs: 50 },
    onRetry: (e) => retries.push(e),
  });
});

const PUT = /\/attachmentSessions\//;
const startOf = (r: ProxiedRequest) => Number(/bytes (\d+)-/.exec(String(r.headers["content-range"]))?.[1]);

/** Every failed PUT is followed by a GET of the session, and no committed range is sent twice. */
function assertNoBlindResend(log: ProxiedRequest[]): void {
  const session = log.filter((r) => PUT.test(r.url));
  const committed = new Set<number>();
  session.forEach((r, i) => {
    if (r.method !== "PUT") return;
    assert.ok(!committed.has(startOf(r)), `range at ${startOf(r)} re-sent after the server had committed it`);
    // A range the server answered (even if the client never saw it) is committed.
    if (r.status === 200 || r.status === 201) committed.add(startOf(r));
    const failed = r.fault !== undefined || (r.status !== 200 && r.status !== 201);
    if (failed && i + 1 < session.length) assert.equal(session[i + 1]!.method, "GET", `PUT #${i} failed (${r.fault ?? r.status}) and was not followed by a status GET`);
  });
}

async function storedSha(attachmentId: string): Promise<string> {
  const r = await call("GET", `${s.url}/v1.0/me/todo/lists/${f.listId}/tasks/${f.taskId}/attachments/${attachmentId}/$value`, { token: f.token });
  assert.equal(r.status, 200);
  return sha(r.bytes);
}

test("injected 500, 503 and 429 (Retry-After honoured) on ranges: asks the session, then goes on", async () => {
  proxy.add(
    { method: "PUT", url: PUT, nth: 2, fault: { kind: "status", status: 500 } },
    { method: "PUT", url: PUT, nth: 4, fault: { kind: "status", status: 503 } },
    { method: "PUT", url: PUT, nth: 6, fault: { kind: "status", status: 429, headers: { "retry-after": "1" } } },
    { method: "GET", url: PUT, nth: 2, fault: { kind: "status", status: 503 } },
  );
  const data = randomBytes(3 * MiB + 5);
  const r = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: "statuses.bin", chunkSize: MiB / 2 });
  assert.equal(await storedSha(r.attachmentId), sha(data));
  assertNoBlindResend(proxy.log);
  assert.deepEqual(
    retries.map((e) => e.status),
    [500, 503, 503, 429],
  );
  const i429 = proxy.log.indexOf(proxy.log.filter((x) => x.method === "PUT" && x.fault === "status")[2]!);
  assert.ok(proxy.log[i429 + 1]!.at - proxy.log[i429]!.at >= 1000, "waited at least Retry-After before asking again");
});

test("connections dropped before, during and after the server took a range", async () => {
  proxy.add(
    { method: "PUT", url: PUT, nth: 1, fault: { kind: "reset-before" } },
    { method: "PUT", url: PUT, nth: 3, fault: { kind: "reset-mid-body" } },
    { method: "PUT", url: PUT, nth: 5, fault: { kind: "reset-after" } },
  );
  const data = randomBytes(3 * MiB);
  const r = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: "drops.bin", chunkSize: MiB / 2 });
  assert.equal(await storedSha(r.attachmentId), sha(data));
  assertNoBlindResend(proxy.log);
  const after = proxy.log.findIndex((x) => x.fault === "reset-after");
  assert.equal(proxy.log[after]!.status, 200, "the server committed the range whose answer was lost");
  const nextPut = proxy.log.slice(after + 1).find((x) => x.method === "PUT")!;
  assert.equal(startOf(nextPut), startOf(proxy.log[after]!) + MiB / 2, "went on after the lost range instead of re-sending it");
  assert.ok(retries.length >= 3);
  assert.ok(retries.every((e) => e.error instanceof NetworkError || e.status === 409));
});

test("the final range's answer is lost: completion and the attachment id come from the session's status", async () => {
  proxy.add({ method: "PUT", url: PUT, nth: 3, fault: { kind: "reset-after" } });
  const data = randomBytes(2 * MiB + 1);
  const r = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: "last-lost.bin", chunkSize: MiB });
  assert.equal(await storedSha(r.attachmentId), sha(data));
  assertNoBlindResend(proxy.log);
  assert.equal(proxy.log.at(-1)!.method, "GET");
  const named = (await client.attachments.list(f.listId, f.taskId)).filter((a) => a.name === "last-lost.bin");
  assert.deepEqual(
    named.map((a) => a.id),
    [r.attachmentId],
  );
});

test("createUploadSession and collection reads are retried on 5xx; a 409 on a range is waited out", async () => {
  proxy.add(
    { method: "POST", url: /createUploadSession/, fault: { kind: "status", status: 503 } },
    { method: "GET", url: /\/lists$/, times: 2, fault: { kind: "status", status: 500 } },
    { method: "PUT", url: PUT, fault: { kind: "status", status: 409 } },
  );
  const lists = await client.lists.list();
  assert.ok(lists.some((l) => l.id === f.listId));
  const data = randomBytes(MiB);
  const r = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: "created.bin" });
  assert.equal(await storedSha(r.attachmentId), sha(data));
  assert.deepEqual(
    retries.map((e) => e.status),
    [500, 500, 503, 409],
  );
});

test("gives up after the configured retries without progress, with the server's error; the session stays resumable", async () => {
  proxy.add({ method: "PUT", url: PUT, times: 100, fault: { kind: "status", status: 503 } });
  const c = new TaskdropClient({ baseUrl: `${proxy.url}/v1.0`, token: f.token, resumeStore: memoryResumeStore(), retry: { retries: 2, baseDelayMs: 5 } });
  let uploadUrl = "";
  await assert.rejects(
    c.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: randomBytes(1000), name: "gives-up.bin", onSession: (x) => void (uploadUrl = x.uploadUrl) }),
    (e: GraphRequestError) => e instanceof GraphRequestError && e.status === 503 && !e.message.includes(uploadUrl.split("/").at(-1)!),
  );
  assert.equal(proxy.log.filter((x) => x.method === "PUT").length, 3);
  proxy.clear();
  assert.equal((await c.sessions.status(uploadUrl)).next, 0);
  await c.sessions.cancel(uploadUrl);
  assert.equal((await c.sessions.status(uploadUrl)).gone, true);
});

test("a Retry-After beyond maxRetryAfterMs ends at once rather than waiting", async () => {
  proxy.add({ method: "GET", url: /\/lists$/, fault: { kind: "status", status: 429, headers: { "retry-after": "3600" } } });
  const c = new TaskdropClient({ baseUrl: `${proxy.url}/v1.0`, token: f.token, retry: { maxRetryAfterMs: 60_000 } });
  const t = Date.now();
  await assert.rejects(c.lists.list(), (e: GraphRequestError) => e.status === 429 && e.retryAfterMs === 3_600_000);
  assert.ok(Date.now() - t < 2000);
});

test("the small-file POST is retried on 503 but not after a lost answer (no duplicate attachment)", async () => {
  proxy.add({ method: "POST", url: /attachments$/, fault: { kind: "status", status: 503 } });
  const ok = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: randomBytes(10), name: "post-ok.bin", method: "post" });
  assert.equal(retries.length, 1);
  assert.ok(ok.attachmentId);
  proxy.add({ method: "POST", url: /attachments$/, fault: { kind: "reset-after" } });
  await assert.rejects(client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: randomBytes(10), name: "post-lost.bin", method: "post" }), NetworkError);
  const named = (await client.attachments.list(f.listId, f.taskId)).filter((a) => a.name === "post-lost.bin");
  assert.equal(named.length, 1, "the POST was sent once");
});

test("a server with a smaller range limit: the 413 halves the range size until it fits", async () => {
  const small = await startTestServer({ rangeLimit: String(MiB) });
  try {
    const g = await makeTask(small.url, await small.token());
    const c = new TaskdropClient({ baseUrl: `${small.url}/v1.0`, token: g.token, resumeStore: memoryResumeStore(), retry: { baseDelayMs: 5 } });
    const data = randomBytes(3 * MiB + 1);
    const r = await c.uploadAttachment({ listId: g.listId, taskId: g.taskId, source: data, name: "shrink.bin" });
    const got = await call("GET", `${c.attachmentUrl(g.listId, g.taskId, r.attachmentId)}/$value`, { token: g.token });
    assert.equal(sha(got.bytes), sha(data));
  } finally {
    await closeServer(small);
  }
  // Below the smallest range the client will use (64 KiB), the server's 413 is the answer.
  const tiny = await startTestServer({ rangeLimit: "1000" });
  try {
    const g = await makeTask(tiny.url, await tiny.token());
    const c = new TaskdropClient({ baseUrl: `${tiny.url}/v1.0`, token: g.token, resumeStore: memoryResumeStore(), retry: { baseDelayMs: 5 } });
    await assert.rejects(
      c.uploadAttachment({ listId: g.listId, taskId: g.taskId, source: randomBytes(200_000), name: "tiny.bin" }),
      (e: GraphRequestError) => e.status === 413 && /1000 bytes/.test(e.message),
    );
  } finally {
    await closeServer(tiny);
  }
});

test("507 quotaLimitReached is final: neither a range nor createUploadSession is retried", async () => {
  proxy.add({ method: "PUT", url: PUT, nth: 2, fault: { kind: "status", status: 507 } });
  const data = randomBytes(2 * MiB);
  const e = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: "full.bin", chunkSize: MiB / 2 }).catch((x: unknown) => x);
  assert.ok(e instanceof GraphRequestError, String(e));
  assert.equal(e.status, 507);
  assert.deepEqual(retries, [], "no retry");
  assert.equal(proxy.log.filter((x) => x.method === "PUT").length, 2, "no range sent after the 507");
  proxy.clear({ log: true });
  proxy.add({ method: "POST", url: /createUploadSession/, nth: 1, fault: { kind: "status", status: 507 } });
  const c = await client.uploadAttachment({ listId: f.listId, taskId: f.taskId, source: data, name: "full2.bin" }).catch((x: unknown) => x);
  assert.ok(c instanceof GraphRequestError && c.status === 507, String(c));
  assert.equal(proxy.log.filter((x) => /createUploadSession/.test(x.url)).length, 1);
});
