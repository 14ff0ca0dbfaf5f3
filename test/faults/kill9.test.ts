// Guarantees 1 and 2 under `kill -9`: the server process is killed with SIGKILL at random points of
// multi-range uploads (mid-body, right after a range was sent, between ranges), restarted on the same
// data directory, asked where the session stands, and resumed. Every acknowledged range survives,
// nothing unacknowledged is half-applied (the staged bytes on disk equal the committed offset), and
// the finished attachment is byte-identical to its source. TASKDROP_SOAK=1 runs a much longer loop.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import { call } from "../helpers/http.js";
import { ProcessServer } from "../helpers/process-server.js";
import { sleep } from "../helpers/wait.js";
import { blobBytes } from "../helpers/files.js";
import { attachmentBytes, makeSession, makeTask, sessionState, sha256, type TaskFixture } from "../helpers/fixtures.js";
import { putHead, RawConn } from "../helpers/wire.js";

const SOAK = process.env.TASKDROP_SOAK === "1";
const CRASHES = SOAK ? 300 : 14;

let s: ProcessServer;
before(async () => {
  s = await ProcessServer.start();
});
after(() => s?.close());

/** Deterministic pseudo-random numbers, so a failing run can be replayed from its seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

type Fate = "mid-body" | "after-send" | "between" | "normal";

test(`kill -9 at random points of multi-range uploads (${CRASHES} crashes): acknowledged ranges survive, nothing else does`, { timeout: SOAK ? 3_600_000 : 150_000 }, async (t) => {
  const seed = Number(process.env.TASKDROP_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (TASKDROP_SEED=${seed} replays this run)`);
  const rand = rng(seed);
  const task: TaskFixture = await makeTask(s.url, await s.token());

  let crashes = 0;
  let uploads = 0;
  let completedBytes = 0; // bytes of attachments finished so far: their files stay on disk
  const fates: Record<Fate, number> = { "mid-body": 0, "after-send": 0, between: 0, normal: 0 };

  while (crashes < CRASHES) {
    const size = 600_000 + Math.floor(rand() * 900_000);
    const chunk = 64 * 1024 * (1 + Math.floor(rand() * 4));
    const data = randomBytes(size);
    const uploadUrl = await makeSession(task, size, `crash-${uploads}.bin`);
    let acked = 0; // highest offset the server acknowledged
    let location: string | undefined;

    while (location === undefined) {
      const st = await sessionState(uploadUrl);
      assert.equal(st.status, 200, "the session is still there after every crash");
      if (st.next === undefined) {
        location = st.location!;
        break;
      }
      assert.ok(st.next >= acked, `acknowledged offset ${acked} lost: server says ${st.next}`);
      assert.equal(st.next, acked, "the server is never ahead of what it acknowledged once a range is answered");
      const start = st.next;
      const end = Math.min(start + chunk, size) - 1;
      const body = data.subarray(start, end + 1);
      const r = rand();
      const fate: Fate = crashes >= CRASHES ? "normal" : r < 0.35 ? "mid-body" : r < 0.7 ? "after-send" : r < 0.8 ? "between" : "normal";
      fates[fate]++;

      const c = await RawConn.open(s.port);
      await c.write(putHead(uploadUrl, start, end, size, [["Connection", "close"]]));
      if (fate === "mid-body") {
        // Part of the body reaches the server (possibly its disk), then the process dies.
        await c.write(body.subarray(0, Math.floor(rand() * body.length)));
        await sleep(Math.floor(rand() * 25));
      } else {
        await c.write(body);
        if (fate === "after-send") await sleep(Math.floor(rand() * 12));
      }

      if (fate === "normal" || fate === "between") {
        const res = await c.response(15_000);
        c.destroy();
        assert.ok(res && (res.status === 200 || res.status === 201), `PUT ${start}-${end}: ${res?.status} ${res?.body.toString()}`);
        acked = end + 1;
        if (res.status === 201) location = res.headers.location;
        if (fate === "normal") continue;
      }

      // SIGKILL, then read whatever answer made it out before the process died.
      await s.kill("SIGKILL");
      crashes++;
      if (fate !== "between") {
        await c.closed;
        const res = await c.response(0);
        if (res && (res.status === 200 || res.status === 201)) {
          acked = end + 1;
          if (res.status === 201) location = res.headers.location;
        }
        c.destroy();
      }
      await s.restart();

      // Where does the session stand now? Either before or after the in-flight range, never between.
      const after = await sessionState(uploadUrl);
      assert.equal(after.status, 200, "the session survives the crash");
      const committed = after.next ?? size;
      if (fate === "mid-body") assert.equal(committed, start, "an incomplete body commits nothing");
      else if (fate === "after-send") assert.ok(committed === start || committed === end + 1, `after a crash the session is at ${committed}, not ${start} or ${end + 1}`);
      else assert.equal(committed, acked);
      assert.ok(committed >= acked, `acknowledged bytes lost: ${committed} < ${acked}`);
      acked = committed; // the truth a resuming client follows, as nextExpectedRanges says
      if (after.next === undefined) location = after.location!;
      // On disk: finished attachments plus exactly the committed prefix of this session.
      const onDisk = blobBytes(s.dataDir).bytes;
      assert.equal(onDisk, completedBytes + (location ? size : committed), "staged bytes past the committed offset were dropped on restart");
    }

    assert.ok(location, "the upload finished");
    const got = await attachmentBytes(location, task.token);
    assert.equal(sha256(got), sha256(data), `upload ${uploads} is byte-identical to its source`);
    completedBytes += size;
    uploads++;
  }

  const list = await call("GET", `${task.taskUrl}/attachments`, { token: task.token });
  assert.equal(list.json.value.length, uploads, "one attachment per upload, none doubled by a crash");
  assert.equal(blobBytes(s.dataDir).bytes, completedBytes, "no stray bytes left on disk");

  // One last crash, and SQLite itself finds its file intact.
  await s.kill("SIGKILL");
  const db = new Database(join(s.dataDir, "taskdrop.db"));
  try {
    assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
  } finally {
    db.close();
  }
  await s.restart();
  assert.deepEqual(s.errorLogs(), [], "the server logged no errors across all restarts");
  t.diagnostic(`${crashes} crashes over ${uploads} uploads; fates ${JSON.stringify(fates)}; ${s.starts} server starts`);
});
