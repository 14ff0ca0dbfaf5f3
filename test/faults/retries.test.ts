// Guarantee 3, idempotent retries: a client whose answer was lost re-sends, or asks the session
// where it stands (GET) and follows nextExpectedRanges. Re-sent ranges get truthful answers and
// never write twice; a repeated final PUT answers the same 201 and makes no second attachment.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { call } from "../helpers/http.js";
import { ProcessServer } from "../helpers/process-server.js";
import { blobBytes } from "../helpers/files.js";
import { attachmentBytes, finishUpload, makeSession, makeTask, putAfterConflicts, putRange, sessionState, sha256, type TaskFixture } from "../helpers/fixtures.js";
import { putHead, RawConn } from "../helpers/wire.js";

let s: ProcessServer;
before(async () => {
  s = await ProcessServer.start();
});
after(() => s?.close());

async function attachments(t: TaskFixture): Promise<{ id: string; size: number }[]> {
  const r = await call("GET", `${t.taskUrl}/attachments`, { token: t.token });
  assert.equal(r.status, 200);
  return r.json.value;
}

describe("retries", () => {
  test("a range re-sent after its 200 was lost: 200 again with the same next range, nothing written twice", async () => {
    const t = await makeTask(s.url, await s.token());
    const data = randomBytes(300_000);
    const url = await makeSession(t, data.length);
    const first = await putRange(url, data, 0, 99_999);
    assert.equal(first.status, 200);
    const staged = blobBytes(s.dataDir).bytes;
    for (let i = 0; i < 3; i++) {
      const again = await putRange(url, data, 0, 99_999);
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.json.NextExpectedRanges, ["100000"]);
      assert.equal(again.json.id, undefined, "an intermediate answer never carries an id (the JS SDK would take it as done)");
    }
    assert.deepEqual(await sessionState(url), { status: 200, next: 100_000 });
    assert.equal(blobBytes(s.dataDir).bytes, staged, "the replay wrote nothing");
    const location = await finishUpload(url, data, 100_000);
    assert.equal(sha256(await attachmentBytes(location, t.token)), sha256(data));
  });

  test("the connection drops right after the range is sent: GET tells the truth and the client resumes from it", async () => {
    const t = await makeTask(s.url, await s.token());
    const data = randomBytes(500_000);
    const url = await makeSession(t, data.length);
    for (let start = 0; start < data.length; start += 100_000) {
      const end = start + 99_999;
      const c = await RawConn.open(s.port);
      await c.write(putHead(url, start, end, data.length));
      await c.write(data.subarray(start, end + 1));
      c.destroy(); // the answer, whatever it is, is lost
      const st = await sessionState(url);
      if (st.next === undefined) {
        assert.equal(end, data.length - 1, "only the final range can complete the session");
        break;
      }
      assert.ok(st.next === start || st.next === end + 1, `the session is at ${st.next}, not ${start} or ${end + 1}`);
      // Re-sending the same range is right whichever it is: a write or an exact replay.
      const again = await putAfterConflicts(url, data, start, end);
      assert.ok(again.status === 200 || again.status === 201, `${again.status} ${again.text}`);
      if (again.status === 200) assert.deepEqual(again.json.NextExpectedRanges, [String(end + 1)]);
    }
    const location = await finishUpload(url, data, 100_000);
    assert.equal(sha256(await attachmentBytes(location, t.token)), sha256(data));
    assert.equal((await attachments(t)).length, 1);
  });

  test("an older range, or the last range with other bytes, is 416 naming the offset to resume from", async () => {
    const t = await makeTask(s.url, await s.token());
    const data = randomBytes(300_000);
    const url = await makeSession(t, data.length);
    assert.equal((await putRange(url, data, 0, 99_999)).status, 200);
    assert.equal((await putRange(url, data, 100_000, 199_999)).status, 200);
    const older = await putRange(url, data, 0, 99_999);
    assert.equal(older.status, 416);
    assert.equal(older.json.error.code, "invalidRange");
    assert.match(older.json.error.innerError.message, /next expected offset is 200000/);
    const changed = Buffer.from(data);
    changed[150_000] ^= 0xff;
    const other = await putRange(url, changed, 100_000, 199_999);
    assert.equal(other.status, 416, "same range, different bytes is not a replay");
    assert.deepEqual(await sessionState(url), { status: 200, next: 200_000 }, "neither changed the session");
    const location = await finishUpload(url, data, 100_000);
    assert.equal(sha256(await attachmentBytes(location, t.token)), sha256(data));
  });

  test("a repeated final PUT answers the same 201 and Location, with no second attachment", async () => {
    const t = await makeTask(s.url, await s.token());
    const data = randomBytes(200_000);
    const url = await makeSession(t, data.length);
    assert.equal((await putRange(url, data, 0, 99_999)).status, 200);
    const fin = await putRange(url, data, 100_000, 199_999);
    assert.equal(fin.status, 201);
    const location = fin.headers.get("location")!;
    const onDisk = blobBytes(s.dataDir).bytes;
    for (const target of [url, `${url}/content`]) {
      const again = await putRange(target, data, 100_000, 199_999);
      assert.equal(again.status, 201, again.text);
      assert.equal(again.headers.get("location"), location);
      assert.equal(again.text, "", "no body, as the first 201");
    }
    // A client that lost the 201 altogether asks the session and learns the attachment.
    const st = await call("GET", url);
    assert.equal(st.status, 200);
    assert.deepEqual(st.json.nextExpectedRanges, []);
    assert.equal(st.headers.get("location"), location);
    // Anything but the final range is refused on a finished session.
    assert.equal((await putRange(url, data, 0, 99_999)).status, 416);
    const list = await attachments(t);
    assert.equal(list.length, 1, "exactly one attachment");
    assert.equal(blobBytes(s.dataDir).bytes, onDisk, "no second copy of the bytes");
    assert.equal(sha256(await attachmentBytes(location, t.token)), sha256(data));
  });

  test("the final answer lost on a dropped connection: re-sending it yields the one attachment", async () => {
    const t = await makeTask(s.url, await s.token());
    const data = randomBytes(150_000);
    const url = await makeSession(t, data.length);
    const c = await RawConn.open(s.port);
    await c.write(putHead(url, 0, data.length - 1, data.length));
    await c.write(data);
    c.destroy();
    const again = await putAfterConflicts(url, data, 0, data.length - 1);
    assert.equal(again.status, 201, again.text);
    const third = await putRange(url, data, 0, data.length - 1);
    assert.equal(third.headers.get("location"), again.headers.get("location"));
    assert.equal((await attachments(t)).length, 1);
    assert.equal(sha256(await attachmentBytes(again.headers.get("location")!, t.token)), sha256(data));
  });

  test("a 0-byte session completed twice with bytes */0: the same 201", async () => {
    const t = await makeTask(s.url, await s.token());
    const url = await makeSession(t, 0, "empty.txt");
    const send = () => call("PUT", url, { body: new Uint8Array(0), headers: { "content-range": "bytes */0", "content-type": "application/octet-stream" } });
    const a = await send();
    const b = await send();
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    assert.equal(b.headers.get("location"), a.headers.get("location"));
    assert.equal((await attachments(t)).length, 1);
  });

  test("no retry made the server log an error", () => {
    assert.deepEqual(s.errorLogs(), []);
  });
});
