// Clean-up: deleting attachments, sessions, tasks and lists frees their bytes at once, and a data
// directory that many abandoned sessions passed through returns to its size once the janitor ran.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { call } from "../helpers/http.js";
import { ProcessServer } from "../helpers/process-server.js";
import { blobBytes, filesUnder } from "../helpers/files.js";
import { makeSession, makeTask, putRange, type TaskFixture } from "../helpers/fixtures.js";
import { waitFor } from "../helpers/wait.js";

describe("deletions free storage at once", () => {
  let s: ProcessServer;
  before(async () => {
    s = await ProcessServer.start();
  });
  after(() => s?.close());

  async function uploaded(t: TaskFixture, size: number): Promise<string> {
    const data = randomBytes(size);
    const url = await makeSession(t, size);
    const r = await putRange(url, data, 0, size - 1);
    assert.equal(r.status, 201);
    return r.headers.get("location")!;
  }

  test("deleted attachments, cancelled sessions, deleted tasks and lists leave no bytes behind", async () => {
    const token = await s.token();
    const t = await makeTask(s.url, token);
    const base = blobBytes(s.dataDir);

    const loc = await uploaded(t, 120_000);
    assert.equal(blobBytes(s.dataDir).bytes, base.bytes + 120_000);
    assert.equal((await call("DELETE", loc, { token })).status, 204);
    assert.deepEqual(blobBytes(s.dataDir), base, "a deleted (uploaded) attachment's file is gone");

    const small = await call("POST", `${t.taskUrl}/attachments`, {
      token,
      json: { "@odata.type": "#microsoft.graph.taskFileAttachment", name: "a.txt", contentBytes: randomBytes(5_000).toString("base64") },
    });
    assert.equal(small.status, 201, small.text);
    assert.equal(blobBytes(s.dataDir).bytes, base.bytes + 5_000);
    assert.equal((await call("DELETE", small.headers.get("location")!, { token })).status, 204);
    assert.deepEqual(blobBytes(s.dataDir), base, "a deleted small attachment's file is gone");

    const data = randomBytes(200_000);
    const url = await makeSession(t, data.length);
    assert.equal((await putRange(url, data, 0, 99_999)).status, 200);
    assert.equal((await call("DELETE", url)).status, 204);
    assert.deepEqual(blobBytes(s.dataDir), base, "a cancelled session's staged bytes are gone");

    const t2 = await makeTask(s.url, token);
    await uploaded(t2, 30_000);
    const open = await makeSession(t2, 200_000);
    assert.equal((await putRange(open, data, 0, 99_999)).status, 200);
    assert.equal((await call("DELETE", t2.taskUrl, { token })).status, 204);
    assert.deepEqual(blobBytes(s.dataDir), base, "a deleted task's attachments and open sessions are gone");

    const t3 = await makeTask(s.url, token);
    await uploaded(t3, 40_000);
    const listUrl = t3.taskUrl.replace(/\/tasks\/[^/]+$/, "");
    assert.equal((await call("DELETE", listUrl, { token })).status, 204);
    assert.deepEqual(blobBytes(s.dataDir), base, "a deleted list's tasks' attachments are gone");
    assert.deepEqual(s.errorLogs(), []);
  });
});

describe("many abandoned sessions", () => {
  let s: ProcessServer;
  before(async () => {
    s = await ProcessServer.start({ flags: { "session-ttl": 2, "janitor-interval": 1, "janitor-grace": 1 } });
  });
  after(() => s?.close());

  const size = (f: string) => {
    try {
      return statSync(join(s.dataDir, f)).size;
    } catch {
      return 0;
    }
  };

  test("the data directory returns to its size after rounds of abandoned sessions", async (t) => {
    const task = await makeTask(s.url, await s.token());
    const ROUNDS = 4;
    let passedThrough = 0;
    const dbSizes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let staged = 0;
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const data = randomBytes(3 * 65_536);
          const url = await makeSession(task, data.length, `abandoned-${round}-${i}.bin`);
          // One or two of three ranges: never finished.
          for (let r = 0; r <= i % 2; r++) {
            const res = await putRange(url, data, r * 65_536, (r + 1) * 65_536 - 1);
            assert.equal(res.status, 200, res.text);
            staged += 65_536;
          }
        }),
      );
      assert.equal(blobBytes(s.dataDir).bytes, staged, "every abandoned session's bytes are on disk");
      passedThrough += staged;
      await waitFor("the janitor to free every abandoned session", () => blobBytes(s.dataDir).files === 0, 10_000);
      const listed = await call("GET", `${task.taskUrl}/attachmentSessions`, { token: task.token });
      assert.equal(listed.json.value.length, 0);
      dbSizes.push(size("taskdrop.db"));
      t.diagnostic(`round ${round}: ${staged} bytes staged, then blobs 0 B, db ${size("taskdrop.db")} B, wal ${size("taskdrop.db-wal")} B`);
    }
    // Every staged byte is gone (checked each round). What remains is SQLite's, bounded by a
    // constant rather than by what passed through: the records' pages are reused, and the WAL is
    // rewound at SQLite's auto-checkpoint (1000 pages).
    const total = [...filesUnder(s.dataDir).values()].reduce((a, b) => a + b, 0);
    t.diagnostic(`${passedThrough} bytes passed through ${ROUNDS * 40} abandoned sessions; the data directory holds ${total} bytes`);
    assert.ok(size("taskdrop.db") <= 1024 * 1024, `the database file is ${size("taskdrop.db")} bytes`);
    // The database file changes size only when the WAL is checkpointed into it (at a moment of
    // SQLite's choosing): compare rounds against a bound, not against each other.
    assert.ok(Math.max(...dbSizes) <= 256 * 1024, `the database kept growing: ${dbSizes.join(", ")} bytes`);
    assert.ok(size("taskdrop.db-wal") <= 1100 * 4096, `the WAL is ${size("taskdrop.db-wal")} bytes`);
    assert.ok(total < 6 * 1024 * 1024 && total < passedThrough / 2, `the data directory holds ${total} bytes`);
    assert.deepEqual(s.errorLogs(), []);
  });
});
