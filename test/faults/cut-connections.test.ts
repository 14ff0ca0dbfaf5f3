// Guarantee 1 and 4 on broken connections: a PUT cut off mid-body, reset, stalled, longer or
// shorter than it declared. Each time the session is exactly as before, the stalled one gives up
// the session within the body idle timeout, and the next correct PUT succeeds.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { ProcessServer } from "../helpers/process-server.js";
import { sleep } from "../helpers/wait.js";
import { blobBytes } from "../helpers/files.js";
import { attachmentBytes, finishUpload, makeSession, makeTask, putAfterConflicts, putRange, sessionState, sha256, type TaskFixture } from "../helpers/fixtures.js";
import { head, putHead, RawConn } from "../helpers/wire.js";

const IDLE_MS = 400;
const SIZE = 300_000;
const CHUNK = 100_000;

let s: ProcessServer;
let task: TaskFixture;
before(async () => {
  s = await ProcessServer.start({ flags: { "body-idle-timeout": IDLE_MS } });
  task = await makeTask(s.url, await s.token());
});
after(() => s?.close());

/** A session with its first range committed, so "unchanged" means something. */
async function sessionAtFirstRange(): Promise<{ url: string; data: Buffer }> {
  const data = randomBytes(SIZE);
  const url = await makeSession(task, SIZE);
  assert.equal((await putRange(url, data, 0, CHUNK - 1)).status, 200);
  return { url, data };
}

/** The session still expects CHUNK, the next correct PUT succeeds, and the file comes out whole. */
async function assertUnchangedThenFinish(url: string, data: Buffer): Promise<void> {
  assert.deepEqual(await sessionState(url), { status: 200, next: CHUNK }, "the session is unchanged");
  // The server learns of a cut connection a few milliseconds after the client made it; until then
  // the old request still holds the session and a new PUT is told 409, which a client retries.
  const next = await putAfterConflicts(url, data, CHUNK, 2 * CHUNK - 1, 1_000);
  assert.equal(next.status, 200, `the next correct PUT succeeds within a second: ${next.text}`);
  assert.deepEqual(next.json.NextExpectedRanges, [String(2 * CHUNK)]);
  const location = await finishUpload(url, data, CHUNK);
  assert.equal(sha256(await attachmentBytes(location, task.token)), sha256(data));
}

/** What an interrupted PUT answered, if anyone was left to answer: a Graph 400 or nothing. */
function assertRefusedOrSilent(res: Awaited<ReturnType<RawConn["response"]>>): void {
  if (res === undefined) return;
  assert.equal(res.status, 400, res.body.toString());
  assert.equal(res.json?.error?.code, "invalidRequest");
}

describe("cut and slow connections", () => {
  test("half a range, then the client disconnects: nothing is committed", async () => {
    const { url, data } = await sessionAtFirstRange();
    const c = await RawConn.open(s.port);
    await c.write(putHead(url, CHUNK, 2 * CHUNK - 1, SIZE));
    await c.write(data.subarray(CHUNK, CHUNK + CHUNK / 2));
    await sleep(50); // let the half reach the server's disk
    c.destroy();
    await assertUnchangedThenFinish(url, data);
  });

  test("half a range, then a TCP reset: nothing is committed", async () => {
    const { url, data } = await sessionAtFirstRange();
    const c = await RawConn.open(s.port);
    await c.write(putHead(url, CHUNK, 2 * CHUNK - 1, SIZE));
    await c.write(data.subarray(CHUNK, CHUNK + 12_345));
    await sleep(50);
    c.socket.resetAndDestroy();
    await assertUnchangedThenFinish(url, data);
  });

  test("a body shorter than its Content-Length, then end of stream: 400 or silence, nothing committed", async () => {
    const { url, data } = await sessionAtFirstRange();
    const c = await RawConn.open(s.port);
    await c.write(putHead(url, CHUNK, 2 * CHUNK - 1, SIZE));
    await c.write(data.subarray(CHUNK, 2 * CHUNK - 1)); // one byte short
    c.end();
    // The client still listens on its half of the connection, so it hears why.
    const res = await c.response(5_000);
    assert.ok(res, "a half-closed client gets an answer");
    assertRefusedOrSilent(res);
    c.destroy();
    await assertUnchangedThenFinish(url, data);
  });

  test("a stalled body holds the session (409 for others) only until the idle timeout ends it", async () => {
    const { url, data } = await sessionAtFirstRange();
    const c = await RawConn.open(s.port);
    await c.write(putHead(url, CHUNK, 2 * CHUNK - 1, SIZE));
    await c.write(data.subarray(CHUNK, CHUNK + 1000));
    const stalledAt = Date.now();
    await sleep(50);
    // Meanwhile another PUT of the same range is told the session is busy, not blocked behind it.
    const busy = await putRange(url, data, CHUNK, 2 * CHUNK - 1);
    assert.equal(busy.status, 409, busy.text);
    assert.equal(busy.json.error.code, "conflict");
    const res = await c.response(IDLE_MS + 5_000);
    const waited = Date.now() - stalledAt;
    assert.ok(res, "the stalled client, still listening, hears why");
    assertRefusedOrSilent(res);
    assert.equal(res.headers.connection, "close", "and the connection is closed after the answer");
    await Promise.race([c.closed, sleep(2_000)]);
    assert.ok(c.isClosed, "the server closed the stalled connection");
    assert.ok(waited >= IDLE_MS - 50, `ended after ${waited} ms, before the ${IDLE_MS} ms idle timeout`);
    assert.ok(waited < IDLE_MS + 3_000, `ended only after ${waited} ms`);
    c.destroy();
    await assertUnchangedThenFinish(url, data);
  });

  test("a body that trickles slower than the idle timeout per read is ended too", async () => {
    const { url, data } = await sessionAtFirstRange();
    const c = await RawConn.open(s.port);
    await c.write(putHead(url, CHUNK, 2 * CHUNK - 1, SIZE));
    // Bytes keep coming, but each gap is longer than the idle timeout.
    for (let i = 0; i < 3 && !c.isClosed; i++) {
      await c.write(data.subarray(CHUNK + i * 10, CHUNK + (i + 1) * 10));
      await sleep(IDLE_MS * 1.6);
    }
    const res = await c.response(2_000);
    assert.ok(res, "the trickling client hears why");
    assertRefusedOrSilent(res);
    c.destroy();
    await assertUnchangedThenFinish(url, data);
  });

  test("a body longer than the range it declares (Content-Length > Content-Range): 400, nothing committed", async () => {
    const { url, data } = await sessionAtFirstRange();
    const c = await RawConn.open(s.port);
    const u = new URL(url);
    await c.write(
      head("PUT", u.pathname, [
        ["Host", u.host],
        ["Content-Type", "application/octet-stream"],
        ["Content-Range", `bytes ${CHUNK}-${2 * CHUNK - 1}/${SIZE}`],
        ["Content-Length", String(CHUNK + 500)],
      ]),
    );
    await c.write(data.subarray(CHUNK, 2 * CHUNK + 500));
    const res = await c.response(5_000);
    c.destroy();
    assert.equal(res?.status, 400);
    assert.equal(res!.json.error.code, "invalidRequest");
    await assertUnchangedThenFinish(url, data);
  });

  test("bytes past Content-Length on the wire never reach the session: the range is exactly its Content-Length", async () => {
    // HTTP/1.1 frames a body by Content-Length; whatever follows is the next request on the
    // connection. Here that is garbage: the range as framed commits, the garbage gets a 400, and
    // not one trailing byte lands in the upload.
    const { url, data } = await sessionAtFirstRange();
    const c = await RawConn.open(s.port);
    await c.write(putHead(url, CHUNK, 2 * CHUNK - 1, SIZE));
    await c.write(Buffer.concat([data.subarray(CHUNK, 2 * CHUNK), randomBytes(3000)]));
    const first = await c.response(5_000);
    assert.equal(first?.status, 200, first?.body.toString());
    assert.deepEqual(first!.json.NextExpectedRanges, [String(2 * CHUNK)]);
    assert.equal(first!.headers.connection, "close", "the connection is closed after the truthful answer");
    assert.equal(await c.response(5_000), undefined, "the garbage gets no answer of its own");
    c.destroy();
    assert.deepEqual(await sessionState(url), { status: 200, next: 2 * CHUNK });
    const location = await finishUpload(url, data, CHUNK);
    assert.equal(sha256(await attachmentBytes(location, task.token)), sha256(data));
  });

  test("after all of that the server is healthy and the staged bytes are only what was committed", async () => {
    const { url } = await sessionAtFirstRange();
    const c = await RawConn.open(s.port);
    await c.write(putHead(url, CHUNK, 2 * CHUNK - 1, SIZE));
    await c.write(randomBytes(CHUNK / 2));
    await sleep(50);
    c.destroy();
    const before = blobBytes(s.dataDir).bytes;
    // Staged bytes past the committed offset may sit in the file until the next write overwrites them
    // or a restart truncates them; a restart shows they were never part of the session.
    await s.restart();
    assert.deepEqual(await sessionState(url), { status: 200, next: CHUNK });
    assert.ok(blobBytes(s.dataDir).bytes <= before);
    assert.ok(s.alive);
    assert.deepEqual(s.errorLogs(), [], "no errors logged");
  });
});
