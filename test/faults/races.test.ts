// Guarantee 4, one writer per session, under races: concurrent PUTs of the same and of different
// ranges, racing uploaders, concurrent createUploadSession against the per-user cap, and deletions
// (of the session, of its task) while a PUT is streaming. Exactly one request wins each offset;
// the others get the spec's answer (409 while another PUT is in flight, 416 for a stale or foreign
// range, 200 for an exact replay); the bytes on disk always match the records.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { call } from "../helpers/http.js";
import { ProcessServer } from "../helpers/process-server.js";
import { sleep } from "../helpers/wait.js";
import { blobBytes } from "../helpers/files.js";
import { attachmentBytes, finishUpload, makeSession, makeTask, putRange, sessionState, sha256, type TaskFixture } from "../helpers/fixtures.js";
import { waitFor } from "../helpers/wait.js";
import { putHead, RawConn } from "../helpers/wire.js";

const MAX_OPEN = 16;

let s: ProcessServer;
let task: TaskFixture;
before(async () => {
  // A short janitor grace so that a file orphaned by a race is collected within the test.
  s = await ProcessServer.start({ flags: { "max-open-sessions": MAX_OPEN, "janitor-interval": 1, "janitor-grace": 1 } });
  task = await makeTask(s.url, await s.token());
});
after(() => s?.close());

/** Sum of the sizes of every attachment on a task. */
async function attachedBytes(t: TaskFixture): Promise<{ count: number; bytes: number }> {
  const r = await call("GET", `${t.taskUrl}/attachments`, { token: t.token });
  assert.equal(r.status, 200);
  return { count: r.json.value.length, bytes: r.json.value.reduce((n: number, a: { size: number }) => n + a.size, 0) };
}

function tally(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const st of statuses) out[st] = (out[st] ?? 0) + 1;
  return out;
}

describe("races", () => {
  test("concurrent PUTs of one range with different bytes: exactly one wins, the rest get 409 or 416", async () => {
    const size = 400_000;
    const len = 200_000;
    const url = await makeSession(task, size);
    const variants = Array.from({ length: 12 }, () => randomBytes(size));
    const answers = await Promise.all(variants.map((v) => putRange(url, v, 0, len - 1)));
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((x) => x === 200).length, 1, `one winner: ${JSON.stringify(tally(statuses))}`);
    for (const a of answers) assert.ok([200, 409, 416].includes(a.status), `${a.status} ${a.text}`);
    const winner = variants[statuses.indexOf(200)]!;
    assert.deepEqual(await sessionState(url), { status: 200, next: len });
    // The loser's bytes never land: the file is the winner's first half and anyone's second half.
    const data = Buffer.concat([winner.subarray(0, len), variants[0]!.subarray(len)]);
    const location = await finishUpload(url, data, len);
    assert.equal(sha256(await attachmentBytes(location, task.token)), sha256(data));
  });

  test("concurrent PUTs of one range with the same bytes: one write, the others 409 or an exact-replay 200", async () => {
    const data = randomBytes(300_000);
    const url = await makeSession(task, data.length);
    const answers = await Promise.all(Array.from({ length: 12 }, () => putRange(url, data, 0, 149_999)));
    for (const a of answers) {
      assert.ok(a.status === 200 || a.status === 409, `${a.status} ${a.text}`);
      if (a.status === 200) assert.deepEqual(a.json.NextExpectedRanges, ["150000"]);
    }
    assert.deepEqual(await sessionState(url), { status: 200, next: 150_000 });
    const location = await finishUpload(url, data, 150_000);
    assert.equal(sha256(await attachmentBytes(location, task.token)), sha256(data));
  });

  test("every range of a file PUT at once: the first offset may win, the others 416 or 409", async () => {
    const data = randomBytes(8 * 50_000);
    const url = await makeSession(task, data.length);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => putRange(url, data, i * 50_000, (i + 1) * 50_000 - 1)));
    answers.forEach((a, i) => {
      if (i === 0) assert.ok(a.status === 200 || a.status === 409, `first range: ${a.status}`);
      else assert.ok(a.status === 416 || a.status === 409, `range ${i}: ${a.status} ${a.text}`);
      if (a.status === 416) assert.match(a.json.error.innerError.message, /next expected offset is \d+/);
    });
    const st = await sessionState(url);
    assert.equal(st.next, answers[0]!.status === 200 ? 50_000 : 0);
    const location = await finishUpload(url, data, 50_000);
    assert.equal(sha256(await attachmentBytes(location, task.token)), sha256(data));
  });

  test("six uploaders race one session to the end: every answer is 200, 201, 409 or 416, one attachment, right bytes", async () => {
    const t = await makeTask(s.url, task.token);
    const data = randomBytes(1_200_000);
    const chunk = 60_000;
    const url = await makeSession(t, data.length);
    const seen: number[] = [];
    const locations = new Set<string>();
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let i = 0; i < 500; i++) {
          const st = await sessionState(url);
          if (st.next === undefined) {
            locations.add(st.location!);
            return;
          }
          const r = await putRange(url, data, st.next, Math.min(st.next + chunk, data.length) - 1);
          seen.push(r.status);
          assert.ok([200, 201, 409, 416].includes(r.status), `${r.status} ${r.text}`);
          if (r.status === 201) locations.add(r.headers.get("location")!);
        }
        assert.fail("an uploader never saw the end");
      }),
    );
    assert.equal(locations.size, 1, "every uploader learns the same attachment");
    assert.deepEqual(await attachedBytes(t), { count: 1, bytes: data.length });
    assert.equal(sha256(await attachmentBytes([...locations][0]!, t.token)), sha256(data));
    assert.ok(seen.includes(409) || seen.includes(416), `the uploaders did collide: ${JSON.stringify(tally(seen))}`);
  });

  test(`concurrent createUploadSession against the cap of ${MAX_OPEN}: exactly ${MAX_OPEN} open, the rest 429`, async () => {
    const carol = await makeTask(s.url, await s.token("carol"));
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call("POST", `${carol.taskUrl}/attachments/createUploadSession`, {
          token: carol.token,
          json: { attachmentInfo: { attachmentType: "file", name: `f${i}.bin`, size: 10 } },
        }),
      ),
    );
    const ok = answers.filter((a) => a.status === 200);
    assert.equal(ok.length, MAX_OPEN, JSON.stringify(tally(answers.map((a) => a.status))));
    for (const a of answers.filter((x) => x.status !== 200)) {
      assert.equal(a.status, 429);
      assert.equal(a.json.error.code, "activityLimitReached");
      assert.ok(a.headers.get("retry-after"));
    }
    assert.equal(new Set(ok.map((a) => a.json.uploadUrl)).size, MAX_OPEN, "distinct sessions");
    const listed = await call("GET", `${carol.taskUrl}/attachmentSessions`, { token: carol.token });
    assert.equal(listed.json.value.length, MAX_OPEN);
    // Cancelling them frees the quota (and other users were never affected).
    for (const a of ok) assert.equal((await call("DELETE", a.json.uploadUrl)).status, 204);
  });

  test("DELETE of the session while a PUT streams: 204, the PUT commits nothing, the staged bytes are freed", async () => {
    const before = blobBytes(s.dataDir).bytes;
    const data = randomBytes(400_000);
    const url = await makeSession(task, data.length);
    const c = await RawConn.open(s.port);
    await c.write(putHead(url, 0, 199_999, data.length));
    await c.write(data.subarray(0, 100_000));
    await sleep(50);
    assert.equal((await call("DELETE", url, { token: task.token })).status, 204);
    await c.write(data.subarray(100_000, 200_000));
    const res = await c.response(5_000);
    c.destroy();
    assert.equal(res?.status, 404, res?.body.toString());
    assert.equal(res!.json.error.code, "itemNotFound");
    assert.equal((await sessionState(url)).status, 404);
    assert.equal((await putRange(url, data, 0, 199_999)).status, 404, "a cancelled session takes no more bytes");
    await waitFor("the staged bytes to be freed", () => blobBytes(s.dataDir).bytes === before, 5_000);
  });

  for (const final of [false, true]) {
    test(`deleting the task while ${final ? "the final" : "a"} PUT streams: the PUT answers 404, no attachment, bytes freed`, async () => {
      const t = await makeTask(s.url, task.token);
      const before = blobBytes(s.dataDir).bytes;
      const data = randomBytes(400_000);
      const url = await makeSession(t, data.length);
      const start = final ? 200_000 : 0;
      if (final) assert.equal((await putRange(url, data, 0, 199_999)).status, 200);
      const c = await RawConn.open(s.port);
      await c.write(putHead(url, start, start + 199_999, data.length));
      await c.write(data.subarray(start, start + 100_000));
      await sleep(50);
      assert.equal((await call("DELETE", t.taskUrl, { token: t.token })).status, 204);
      await c.write(data.subarray(start + 100_000, start + 200_000));
      const res = await c.response(5_000);
      c.destroy();
      assert.equal(res?.status, 404, res?.body.toString());
      assert.equal((await call("GET", t.taskUrl, { token: t.token })).status, 404);
      assert.equal((await sessionState(url)).status, 404);
      await waitFor("the task's bytes to be freed", () => blobBytes(s.dataDir).bytes === before, 5_000);
    });
  }

  test("the final PUT racing a DELETE of its session: either outcome is whole, never a mix", async () => {
    const t = await makeTask(s.url, task.token);
    const baseline = blobBytes(s.dataDir).bytes;
    let completed = 0;
    for (let i = 0; i < 10; i++) {
      const data = randomBytes(100_000 + i);
      const url = await makeSession(t, data.length);
      assert.equal((await putRange(url, data, 0, 49_999)).status, 200);
      const [fin, del] = await Promise.all([putRange(url, data, 50_000, data.length - 1), call("DELETE", url, { token: t.token })]);
      assert.ok(fin.status === 201 || fin.status === 404 || fin.status === 409, `final PUT: ${fin.status} ${fin.text}`);
      assert.ok(del.status === 204 || del.status === 404, `DELETE: ${del.status} ${del.text}`);
      if (fin.status === 201) {
        completed++;
        // The attachment is whole whether or not the (then finished) session was deleted after.
        assert.equal(sha256(await attachmentBytes(fin.headers.get("location")!, t.token)), sha256(data));
      }
    }
    const att = await attachedBytes(t);
    assert.equal(att.count, completed);
    // The records and the disk agree: no attachment without bytes, no bytes without a record.
    await waitFor("the disk to hold exactly the attachments' bytes", () => blobBytes(s.dataDir).bytes === baseline + att.bytes, 5_000);
  });

  test("no race made the server log an error", () => {
    assert.ok(s.alive);
    assert.deepEqual(s.errorLogs(), []);
  });
});
