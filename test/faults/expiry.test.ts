// Expiry: sessions past their expiry are refused, and a janitor on a timer frees their staged bytes
// once a grace period has passed too, never from under a write still streaming.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { call } from "../helpers/http.js";
import { ProcessServer } from "../helpers/process-server.js";
import { sleep } from "../helpers/wait.js";
import { blobBytes } from "../helpers/files.js";
import { attachmentBytes, makeSession, makeTask, putRange, sessionState, sha256, type TaskFixture } from "../helpers/fixtures.js";
import { waitFor } from "../helpers/wait.js";
import { putHead, RawConn } from "../helpers/wire.js";

const TTL_S = 2;
const GRACE_S = 3;

describe("expiry and the janitor", () => {
  let s: ProcessServer;
  let task: TaskFixture;
  before(async () => {
    s = await ProcessServer.start({ flags: { "session-ttl": TTL_S, "janitor-interval": 1, "janitor-grace": GRACE_S, "body-idle-timeout": 5_000 } });
    task = await makeTask(s.url, await s.token());
  });
  after(() => s?.close());

  test("a session past its expiry is refused; its bytes outlive it by the grace period, then are freed", async (t) => {
    const before = blobBytes(s.dataDir).bytes;
    const data = randomBytes(300_000);
    const url = await makeSession(task, data.length);
    const created = Date.now();
    assert.equal((await putRange(url, data, 0, 99_999)).status, 200);
    assert.equal(blobBytes(s.dataDir).bytes, before + 100_000);

    await sleep(TTL_S * 1000 + 300 - (Date.now() - created));
    assert.equal((await sessionState(url)).status, 404, "GET on an expired session");
    const late = await putRange(url, data, 100_000, 199_999);
    assert.equal(late.status, 404, "PUT on an expired session");
    assert.equal(late.json.error.code, "itemNotFound");
    assert.equal((await call("DELETE", url)).status, 404, "DELETE on an expired session");
    const listed = await call("GET", `${task.taskUrl}/attachmentSessions`, { token: task.token });
    assert.equal(listed.json.value.length, 0, "expired sessions are not listed");
    // Within the grace period the janitor leaves the bytes alone (checked only while surely inside it).
    if (Date.now() - created < (TTL_S + GRACE_S - 1) * 1000) assert.equal(blobBytes(s.dataDir).bytes, before + 100_000, "collected before the grace period ended");
    else t.diagnostic("machine too slow to check the inside of the grace period");

    await waitFor("the janitor to free the expired session's bytes", () => blobBytes(s.dataDir).bytes === before, (TTL_S + GRACE_S + 5) * 1000);
    assert.ok(Date.now() - created >= (TTL_S + GRACE_S) * 1000 - 100, "freed only after expiry plus grace");
  });

  test("a finished session expires too, but its attachment stays", async () => {
    const data = randomBytes(50_000);
    const url = await makeSession(task, data.length);
    const fin = await putRange(url, data, 0, data.length - 1);
    assert.equal(fin.status, 201);
    await sleep(TTL_S * 1000 + 300);
    assert.equal((await putRange(url, data, 0, data.length - 1)).status, 404, "the repeated final PUT is over with the session");
    assert.equal((await sessionState(url)).status, 404);
    await sleep((GRACE_S + 1.5) * 1000); // the janitor sweeps the session record meanwhile
    assert.equal(sha256(await attachmentBytes(fin.headers.get("location")!, task.token)), sha256(data));
  });

  test("a PUT streaming across its session's expiry and grace is never collected under it", async (t) => {
    const before = blobBytes(s.dataDir).bytes;
    const data = randomBytes(100_000);
    const url = await makeSession(task, data.length);
    const created = Date.now();
    await sleep(TTL_S * 1000 - 800);
    // Starts before expiry and trickles on until after expiry + grace, past several janitor sweeps.
    const c = await RawConn.open(s.port);
    await c.write(putHead(url, 0, data.length - 1, data.length));
    const pieces = 10;
    for (let i = 0; i < pieces; i++) {
      await c.write(data.subarray((i * data.length) / pieces, ((i + 1) * data.length) / pieces));
      if (i < pieces - 1) await sleep(450);
    }
    assert.ok(Date.now() - created > (TTL_S + GRACE_S) * 1000, "the write outlasted expiry and grace");
    const res = await c.response(5_000);
    c.destroy();
    // Begun while the session lived, it either commits or finds the session gone: never a 500.
    assert.ok(res && (res.status === 201 || res.status === 404), `${res?.status} ${res?.body.toString()}`);
    t.diagnostic(`the write that outlived its session answered ${res.status}`);
    assert.equal((await sessionState(url)).status, 404);
    if (res.status === 201) {
      assert.equal(sha256(await attachmentBytes(res.headers.location!, task.token)), sha256(data));
      return;
    }
    await waitFor("the bytes of the abandoned write to be freed", () => blobBytes(s.dataDir).bytes === before, 5_000);
  });

  test("a file no record names (what a crash between writing and recording leaves) is collected only once older than the grace", async () => {
    const shard = join(s.dataDir, "blobs", "ff");
    mkdirSync(shard, { recursive: true });
    const stale = join(shard, `ff${randomUUID().slice(2)}`);
    const fresh = join(shard, `ff${randomUUID().slice(2)}`);
    writeFileSync(stale, randomBytes(10_000));
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(stale, hourAgo, hourAgo);
    writeFileSync(fresh, randomBytes(10_000));
    const planted = Date.now();
    await waitFor("the stale orphan to be collected", () => !existsSync(stale), 5_000);
    if (Date.now() - planted < (GRACE_S - 0.5) * 1000) assert.ok(existsSync(fresh), "a fresh file is never collected");
    await waitFor("the fresh orphan to be collected once old enough", () => !existsSync(fresh), (GRACE_S + 5) * 1000);
  });

  test("the janitor logged no errors", () => {
    assert.deepEqual(s.errorLogs(), []);
  });
});
