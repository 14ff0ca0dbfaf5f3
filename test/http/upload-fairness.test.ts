// Issue 13 item 3: one user's slow or many uploads cannot starve anyone else's. On PostgreSQL a PUT
// used to hold a database connection for as long as its client took; 26 PUTs dripping a byte a
// second held every upload connection and another user's 10-byte PUT got 503 after 30 s. Now a
// range is staged and committed without holding a connection for the client, each range has a
// deadline (--min-upload-rate), and each user has --max-uploads-per-user PUTs in flight at most.
// Run on both stores (TASKDROP_TEST_STORE=postgres for PostgreSQL).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { makeSession, makeTask, putRange, sessionState, type TaskFixture } from "../helpers/fixtures.js";
import { graphError } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { sendRequest, type OpenRequest } from "../helpers/wire.js";

const IDLE_MS = 1_500;
/** bytes/s: a 1,000-byte range must be in within IDLE_MS + 1 s. */
const MIN_RATE = 1_000;
const CAP = 4;

let s: TestServer;
before(async () => {
  // The smallest pool: 2 general connections and 2 for uploads on PostgreSQL.
  s = await startTestServer({ bodyIdleTimeout: String(IDLE_MS), minUploadRate: String(MIN_RATE), maxUploadsPerUser: String(CAP), databasePoolSize: "4" });
});
after(() => s.close());

/** A PUT of `size` bytes at 0 whose head is sent and whose body then comes one byte per `everyMs` (0: never). */
function drip(uploadUrl: string, size: number, everyMs: number): OpenRequest & { stop(): void } {
  const req = sendRequest(uploadUrl, "PUT", {
    "Content-Type": "application/octet-stream",
    "Content-Length": String(size),
    "Content-Range": `bytes 0-${size - 1}/${size}`,
  });
  const t = everyMs > 0 ? setInterval(() => req.write(Buffer.from([0x61])), everyMs) : undefined;
  const stop = () => clearInterval(t);
  void req.response.then(stop, stop);
  return { ...req, stop };
}

describe("upload fairness: slow and many PUTs of one user", () => {
  let mallory: TaskFixture;
  let alice: TaskFixture;
  before(async () => {
    mallory = await makeTask(s.url, await s.token({ user: "mallory" }));
    alice = await makeTask(s.url, await s.token({ user: "alice" }));
  });

  test("PUTs dripping under the idle timeout hold no connection another user needs", async () => {
    // More slow PUTs than the pool has upload connections, within mallory's cap.
    const slow: Array<ReturnType<typeof drip>> = [];
    const answered: string[] = [];
    for (let i = 0; i < 3; i++) {
      const d = drip(await makeSession(mallory, 100_000), 100_000, 400);
      void d.response.then(() => answered.push(`slow ${i}`), () => answered.push(`slow ${i} (closed)`));
      slow.push(d);
    }
    await new Promise((r) => setTimeout(r, 300)); // their heads are in; their bodies trickle
    const data = randomBytes(10);
    const url = await makeSession(alice, data.length);
    const r = await putRange(url, data, 0, 9);
    answered.push("alice");
    assert.equal(r.status, 201, r.text);
    assert.equal(answered[0], "alice", `alice was answered before any slow PUT: ${answered}`);
    for (const d of slow) d.destroy();
  });

  test("a range arriving slower than --min-upload-rate is cut at its deadline; nothing is committed", async () => {
    const url = await makeSession(mallory, 1_000);
    // A byte every 200 ms is never idle for 1.5 s, but 1,000 bytes would take 200 s.
    const d = drip(url, 1_000, 200);
    const r = await d.response;
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /too slowly/);
    assert.equal(r.headers.connection, "close", "the rest of the body is not waited for");
    assert.deepEqual((await sessionState(url)).next, 0, "the session is as before");
    const data = randomBytes(1_000);
    assert.equal((await putRange(url, data, 0, 999)).status, 201, "and takes the range from a faster client");
  });

  test(`a user's PUT past ${CAP} in flight is answered 429 with Retry-After; other users are not affected`, async () => {
    const held = [];
    for (let i = 0; i < CAP; i++) held.push(drip(await makeSession(mallory, 100_000), 100_000, 400));
    await new Promise((r) => setTimeout(r, 300));
    const data = randomBytes(1_000);
    const extra = await makeSession(mallory, data.length);
    const refused = await putRange(extra, data, 0, 999);
    assert.equal(refused.status, 429, refused.text);
    assert.equal(graphError(refused).code, "activityLimitReached");
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    assert.equal((await sessionState(extra)).next, 0, "the refused range changed nothing");

    const other = await makeSession(alice, data.length);
    assert.equal((await putRange(other, data, 0, 999)).status, 201, "alice has slots of her own");

    for (const h of held) h.destroy();
    // Slots come back as the held PUTs end (cut by the client here).
    const deadline = Date.now() + 10_000;
    let again = await putRange(extra, data, 0, 999);
    while (again.status === 429 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      again = await putRange(extra, data, 0, 999);
    }
    assert.equal(again.status, 201, again.text);
  });
});
