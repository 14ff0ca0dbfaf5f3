import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call, graphError } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
before(async () => {
  s = await startTestServer({ rateLimit: "5" });
});
after(() => s.close());

test("--rate-limit answers 429 activityLimitReached with Retry-After once a caller exceeds it, per caller", async () => {
  const alice = await s.token({ user: "alice" });
  const bob = await s.token({ user: "bob" });
  const url = `${s.url}/v1.0/me/todo/lists`;
  for (let i = 0; i < 5; i++) assert.equal((await call("GET", url, { token: alice })).status, 200, `request ${i + 1}`);
  const refused = await call("GET", url, { token: alice });
  assert.equal(refused.status, 429);
  const e = graphError(refused);
  assert.equal(e.code, "activityLimitReached");
  const retryAfter = Number(refused.headers.get("retry-after"));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${refused.headers.get("retry-after")}`);
  // Another caller has a budget of its own.
  assert.equal((await call("GET", url, { token: bob })).status, 200);
});

test("without --rate-limit nobody is throttled", async () => {
  const plain = await startTestServer();
  try {
    const token = await plain.token();
    for (let i = 0; i < 30; i++) assert.equal((await call("GET", `${plain.url}/v1.0/me/todo/lists`, { token })).status, 200);
  } finally {
    await plain.close();
  }
});
