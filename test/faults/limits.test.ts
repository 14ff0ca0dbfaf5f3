// Limits that keep one client from holding the server: slowloris connections trickling headers are
// cut by --headers-timeout, open sessions per user are capped (--max-open-sessions), and oversized
// headers, JSON bodies and ranges are refused up front with Graph-shaped 4xx answers.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { call } from "../helpers/http.js";
import { ProcessServer } from "../helpers/process-server.js";
import { sleep } from "../helpers/wait.js";
import { makeSession, makeTask, putRange, sessionState, type TaskFixture } from "../helpers/fixtures.js";
import { head, RawConn, rawRequest, type RawResponse } from "../helpers/wire.js";

const HEADERS_TIMEOUT_MS = 1_000;
const MAX_OPEN = 3;

let s: ProcessServer;
let task: TaskFixture;
before(async () => {
  s = await ProcessServer.start({ flags: { "headers-timeout": HEADERS_TIMEOUT_MS, "max-open-sessions": MAX_OPEN } });
  task = await makeTask(s.url, await s.token());
});
after(() => s?.close());

function assertGraphError(r: RawResponse | undefined, status: number): void {
  assert.ok(r, `expected a ${status} answer, the server just closed`);
  assert.equal(r.status, status, r.body.toString());
  assert.match(r.headers["content-type"] ?? "", /^application\/json/);
  assert.equal(typeof r.json?.error?.code, "string", r.body.toString());
  assert.ok(r.json.error.innerError["request-id"]);
}

describe("limits", () => {
  test("slowloris: connections trickling their headers are cut after --headers-timeout; others are served meanwhile", async () => {
    const conns = await Promise.all(Array.from({ length: 20 }, () => RawConn.open(s.port)));
    const started = Date.now();
    const closedAt: number[] = [];
    for (const c of conns) void c.closed.then(() => closedAt.push(Date.now() - started));
    const u = new URL(s.url);
    for (const c of conns) await c.write(`GET /v1.0/me/todo/lists HTTP/1.1\r\nHost: ${u.host}\r\n`);
    // One header byte every 150 ms: never finishing, never idle long enough for any other timeout.
    const trickle = (async () => {
      for (let i = 0; i < 40 && conns.some((c) => !c.isClosed); i++) {
        for (const c of conns) if (!c.isClosed) await c.write(i % 2 === 0 ? "X" : "-");
        await sleep(150);
      }
    })();
    // The server keeps answering everyone else while they hang on.
    await sleep(300);
    const t0 = Date.now();
    const lists = await call("GET", `${s.url}/v1.0/me/todo/lists`, { token: task.token });
    assert.equal(lists.status, 200);
    assert.ok(Date.now() - t0 < 1_000, "a normal request is not held up by the slow ones");
    await trickle;
    assert.equal(closedAt.length, conns.length, "every slow connection was cut");
    for (const ms of closedAt) {
      assert.ok(ms >= HEADERS_TIMEOUT_MS - 100, `cut after ${ms} ms, before the ${HEADERS_TIMEOUT_MS} ms timeout`);
      assert.ok(ms < HEADERS_TIMEOUT_MS + 2_500, `cut only after ${ms} ms`);
    }
    // Those that were told why got a Graph-shaped 408.
    const answers = await Promise.all(conns.map((c) => c.response(0)));
    assert.ok(answers.some((a) => a !== undefined), "at least some got an answer");
    for (const a of answers) if (a) assertGraphError(a, 408);
  });

  test("a connection that never sends a byte is cut too", async () => {
    const c = await RawConn.open(s.port);
    const started = Date.now();
    await Promise.race([c.closed, sleep(HEADERS_TIMEOUT_MS + 5_000)]);
    assert.ok(c.isClosed, "an idle new connection is closed");
    assert.ok(Date.now() - started < HEADERS_TIMEOUT_MS + 3_000, `closed after ${Date.now() - started} ms`);
    c.destroy();
  });

  test(`--max-open-sessions ${MAX_OPEN}: the next createUploadSession is a clear 429 until one finishes or is cancelled`, async () => {
    const t = await makeTask(s.url, await s.token("dave"));
    const urls = [];
    for (let i = 0; i < MAX_OPEN; i++) urls.push(await makeSession(t, 10));
    const create = () =>
      call("POST", `${t.taskUrl}/attachments/createUploadSession`, { token: t.token, json: { attachmentInfo: { attachmentType: "file", name: "x.bin", size: 10 } } });
    const refused = await create();
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.json.error.code, "activityLimitReached");
    assert.match(refused.json.error.innerError.message, new RegExp(`at most ${MAX_OPEN} open upload sessions`));
    assert.ok(Number(refused.headers.get("retry-after")) > 0);
    // Another user is not affected.
    const other = await makeTask(s.url, await s.token("erin"));
    await makeSession(other, 10);
    // A finished session no longer counts ...
    const data = randomBytes(10);
    assert.equal((await putRange(urls[0]!, data, 0, 9)).status, 201);
    assert.equal((await create()).status, 200);
    assert.equal((await create()).status, 429);
    // ... nor does a cancelled one.
    assert.equal((await call("DELETE", urls[1]!)).status, 204);
    assert.equal((await create()).status, 200);
  });

  test("request headers over the limit: 431 in Graph's shape; just under it is served", async () => {
    const u = new URL(s.url);
    const big = await rawRequest(s.port, head("GET", "/v1.0/me/todo/lists", [["Host", u.host], ["Authorization", `Bearer ${task.token}`], ["X-Pad", "a".repeat(20_000)], ["Connection", "close"]]));
    assertGraphError(big, 431);
    const fine = await rawRequest(s.port, head("GET", "/v1.0/me/todo/lists", [["Host", u.host], ["Authorization", `Bearer ${task.token}`], ["X-Pad", "a".repeat(8_000)], ["Connection", "close"]]));
    assert.equal(fine?.status, 200);
  });

  test("a JSON body over the limit is refused with 413 from its Content-Length, before it is sent", async () => {
    const u = new URL(`${task.taskUrl}/attachments/createUploadSession`);
    const c = await RawConn.open(s.port);
    await c.write(
      head("POST", u.pathname, [
        ["Host", u.host],
        ["Authorization", `Bearer ${task.token}`],
        ["Content-Type", "application/json"],
        ["Content-Length", String(6 * 1024 * 1024)],
      ]),
    );
    const r = await c.response(5_000);
    c.destroy();
    assertGraphError(r, 413);
  });

  test("a JSON body over the limit sent in chunks is cut at the limit with 413", async () => {
    const u = new URL(`${task.taskUrl}/attachments/createUploadSession`);
    const c = await RawConn.open(s.port);
    await c.write(
      head("POST", u.pathname, [
        ["Host", u.host],
        ["Authorization", `Bearer ${task.token}`],
        ["Content-Type", "application/json"],
        ["Transfer-Encoding", "chunked"],
      ]),
    );
    const chunk = Buffer.alloc(512 * 1024, 0x20);
    // Stop sending once answered: writing into a closed connection would reset it and lose the answer.
    for (let i = 0; i < 12 && !c.isClosed && !c.answered; i++) {
      await c.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]));
      await sleep(20);
    }
    const r = await c.response(5_000);
    c.destroy();
    assertGraphError(r, 413);
  });

  test("a range over --range-limit is refused with 413 before its body is sent, and changes nothing", async () => {
    const size = 6 * 1024 * 1024;
    const url = await makeSession(task, size);
    const u = new URL(url);
    const c = await RawConn.open(s.port);
    await c.write(
      head("PUT", u.pathname, [
        ["Host", u.host],
        ["Content-Type", "application/octet-stream"],
        ["Content-Length", String(5 * 1024 * 1024)],
        ["Content-Range", `bytes 0-${5 * 1024 * 1024 - 1}/${size}`],
      ]),
    );
    const r = await c.response(5_000);
    c.destroy();
    assertGraphError(r, 413);
    assert.match(r!.json.error.innerError.message ?? r!.json.error.message, /rangeSize|maxSliceSize/);
    assert.deepEqual(await sessionState(url), { status: 200, next: 0 });
    assert.equal((await call("DELETE", url)).status, 204);
  });

  test("no limit made the server log an error", () => {
    assert.ok(s.alive);
    assert.deepEqual(s.errorLogs(), []);
  });
});
