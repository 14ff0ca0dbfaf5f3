// Bounds on what a user may hold open: only live upload sessions count against
// --max-open-sessions (issue 13 item 7).
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeSession, makeTask } from "../helpers/fixtures.js";
import { call, graphError } from "../helpers/http.js";
import { startTestServer } from "../helpers/server.js";

test("expired sessions stop counting against --max-open-sessions at once, before the janitor removes them", async () => {
  let skew = 0;
  // The janitor is kept out of the way (an hour apart) so that only the cap's own counting is tested.
  const s = await startTestServer({ sessionTtl: "3", maxOpenSessions: "5", janitorInterval: "3600", now: () => new Date(Date.now() + skew) });
  try {
    const f = await makeTask(s.url, await s.token());
    for (let i = 0; i < 5; i++) await makeSession(f, 10);
    const sixth = await call("POST", `${f.taskUrl}/attachments/createUploadSession`, { token: f.token, json: { attachmentInfo: { attachmentType: "file", name: "x", size: 10 } } });
    assert.equal(sixth.status, 429, sixth.text);
    assert.equal(graphError(sixth).code, "activityLimitReached");
    skew = 4_000; // past the 3 s TTL
    const listing = await call("GET", `${f.taskUrl}/attachmentSessions`, { token: f.token });
    assert.equal(listing.status, 200);
    assert.deepEqual(listing.json.value, [], "the expired sessions are not listed");
    // Before the fix: 429, the expired sessions still counted until the janitor ran.
    for (let i = 0; i < 5; i++) await makeSession(f, 10);
  } finally {
    await s.close();
  }
});
