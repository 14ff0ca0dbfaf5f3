// Bounds on bytes (issue 13 item 13): --max-staged-bytes (one user's open upload sessions),
// --max-disk-bytes (everything the server holds) and --min-free-disk-bytes (the embedded store's
// disk), each answered 507 quotaLimitReached before a byte is written, on whichever store
// TASKDROP_TEST_STORE picks.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { makeSession, makeTask, putRange, type TaskFixture } from "../helpers/fixtures.js";
import { call, graphError, type Res } from "../helpers/http.js";
import { startTestServer, storedBlobs, testStoreKind } from "../helpers/server.js";

const createSession = (f: TaskFixture, size: number) =>
  call("POST", `${f.taskUrl}/attachments/createUploadSession`, { token: f.token, json: { attachmentInfo: { attachmentType: "file", name: "x.bin", size } } });

const attachSmall = (f: TaskFixture, size: number) =>
  call("POST", `${f.taskUrl}/attachments`, {
    token: f.token,
    json: { "@odata.type": "#microsoft.graph.taskFileAttachment", name: "s.bin", contentBytes: randomBytes(size).toString("base64") },
  });

function assertQuota(r: Res): void {
  assert.equal(r.status, 507, r.text);
  assert.equal(graphError(r).code, "quotaLimitReached");
}

test("--max-staged-bytes: a user's open sessions may declare that much in all; another user is not affected", async () => {
  const s = await startTestServer({ maxStagedBytes: "1000" });
  try {
    const alice = await makeTask(s.url, await s.token());
    const bob = await makeTask(s.url, await s.token({ user: "bob" }));
    const first = await makeSession(alice, 600);
    assertQuota(await createSession(alice, 401));
    assert.equal((await createSession(alice, 400)).status, 200, "up to the bound exactly");
    assert.equal((await createSession(bob, 1000)).status, 200, "per user");
    // Cancelling a session gives its bytes back.
    assert.equal((await call("DELETE", first)).status, 204);
    assert.equal((await createSession(alice, 600)).status, 200);
  } finally {
    await s.close();
  }
});

test("--max-disk-bytes: attachments plus open sessions stay within it; a deletion makes room", async () => {
  const s = await startTestServer({ maxDiskBytes: "2000" });
  try {
    const f = await makeTask(s.url, await s.token());
    const a = await attachSmall(f, 1500);
    assert.equal(a.status, 201, a.text);
    assertQuota(await createSession(f, 600));
    assertQuota(await attachSmall(f, 600));
    const bob = await makeTask(s.url, await s.token({ user: "bob" }));
    assertQuota(await createSession(bob, 600)); // the bound is the server's, not the user's
    assert.equal((await storedBlobs(s)).bytes, 1500, "nothing of the refused writes was stored");
    assert.equal((await call("DELETE", `${f.taskUrl}/attachments/${encodeURIComponent(a.json.id)}`, { token: f.token })).status, 204);
    const url = await makeSession(f, 1900);
    const data = randomBytes(1900);
    assert.equal((await putRange(url, data, 0, 1899)).status, 201);
  } finally {
    await s.close();
  }
});

test("--min-free-disk-bytes: on the embedded store a write that would eat into the floor is 507 (PostgreSQL's bytes are not on this disk)", async () => {
  // A floor no test machine's disk can keep: every write is refused on the embedded store.
  const s = await startTestServer({ minFreeDiskBytes: String(2 ** 50) });
  try {
    const f = await makeTask(s.url, await s.token());
    if (testStoreKind() === "sqlite") {
      assertQuota(await createSession(f, 10));
      assertQuota(await attachSmall(f, 10));
      assert.equal((await storedBlobs(s)).count, 0);
    } else {
      assert.equal((await createSession(f, 10)).status, 200);
      assert.equal((await attachSmall(f, 10)).status, 201);
    }
  } finally {
    await s.close();
  }
});

test("--min-free-disk-bytes: a range PUT is refused before its bytes are written when the floor is reached meanwhile", { skip: testStoreKind() !== "sqlite" }, async () => {
  const s = await startTestServer({ keepDataDir: true });
  const dataDir = s.dataDir;
  let url: string;
  try {
    const f = await makeTask(s.url, await s.token());
    url = await makeSession(f, 100);
  } finally {
    await s.close();
  }
  // The same data, served again with a floor the disk cannot keep.
  const again = await startTestServer({ dataDir, minFreeDiskBytes: String(2 ** 50) });
  try {
    const moved = url.replace(/^http:\/\/[^/]+/, again.url);
    const r = await putRange(moved, randomBytes(100), 0, 99);
    assertQuota(r);
    assert.equal((await storedBlobs(again)).bytes, 0, "no byte written");
  } finally {
    await again.close();
  }
});
