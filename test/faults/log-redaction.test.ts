// The uploadUrl is a write capability for 24 hours: no log line of the real server, at any level,
// may carry a session id that would let its reader replay it — however the client spelled the URL.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { call } from "../helpers/http.js";
import { makeSession, makeTask, putRange } from "../helpers/fixtures.js";
import { ProcessServer } from "../helpers/process-server.js";
import { waitFor } from "../helpers/wait.js";
import { sendRequest } from "../helpers/wire.js";

let s: ProcessServer;
before(async () => {
  s = await ProcessServer.start({ logLevel: "trace", flags: { "body-idle-timeout": 300 } });
});
after(() => s?.close());

test("request, debug, warn and error lines carry a session fingerprint, never the session id", async () => {
  const f = await makeTask(s.url, await s.token());
  const data = randomBytes(64);
  const uploadUrl = await makeSession(f, data.length);
  const key = decodeURIComponent(uploadUrl.split("/").pop()!);
  const id = /^AQMkS[A-Za-z0-9_-]+=/.exec(key)![0];
  const randomPart = id.slice(5, -1); // after the tag
  const uploadSecret = key.slice(id.length); // the uploadUrl's secret, when it has one
  const encoded = uploadUrl.replace(/=([^/=]*)$/, "%3D$1");

  assert.equal((await call("GET", uploadUrl)).status, 200);
  assert.equal((await putRange(uploadUrl, data, 0, 9)).status, 200);
  assert.equal((await putRange(`${encoded}/content`, data, 10, 19)).status, 200);
  // Every character percent-encoded: the logged path must still not spell it out.
  const allEncoded = uploadUrl.replace(/[^/]+$/, [...key].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""));
  assert.equal((await call("GET", allEncoded)).status, 200);
  // A stalled body (answered 400 after --body-idle-timeout) and refused ranges.
  const stalled = sendRequest(uploadUrl, "PUT", { "content-type": "application/octet-stream", "content-range": `bytes 20-29/${data.length}`, "content-length": "10" }, Buffer.alloc(3));
  assert.equal((await stalled.response).status, 400);
  stalled.destroy();
  assert.equal((await putRange(uploadUrl, data, 40, 49)).status, 416);
  assert.equal((await call("PUT", uploadUrl, { body: "x", headers: { "content-type": "text/plain" } })).status, 415);
  // Another user's token on the capability URL, then cancel and the 404 after it.
  assert.equal((await call("GET", uploadUrl, { token: await s.token("mallory") })).status, 403);
  assert.equal((await call("DELETE", uploadUrl)).status, 204);
  assert.equal((await call("GET", `${uploadUrl}?x=${key}`)).status, 404);

  await waitFor("the request lines", () => s.stdout.split("\n").filter((l) => l.includes('"event":"request"')).length >= 11, 5_000);
  const lines = s.stdout.split("\n").filter((l) => l.trim() !== "");
  const leaking = lines.filter(
    (l) => l.includes(randomPart) || l.toLowerCase().includes(randomPart.toLowerCase().slice(0, 20)) || (uploadSecret.length > 0 && l.includes(uploadSecret.slice(0, 20))),
  );
  assert.deepEqual(leaking, [], "log lines that spell out the session id");
  // The lines are still useful: each request to the session names it by the same fingerprint.
  const sessionLines = lines.filter((l) => l.includes('"event":"request"') && l.includes("/attachmentSessions/"));
  assert.ok(sessionLines.length >= 9, `${sessionLines.length} request lines for the session`);
  const prints = new Set(sessionLines.map((l) => /attachmentSessions\/(AQMkS…#[0-9a-f]{8})/.exec(l)?.[1]));
  assert.equal(prints.size, 1, `one fingerprint for one session: ${[...prints].join(", ")}`);
  assert.ok(lines.some((l) => l.includes('"event":"range_committed"') && l.includes([...prints][0]!)), "debug lines name it the same way");
});
