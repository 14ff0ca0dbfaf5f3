import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { devUserOid } from "../../src/auth/dev-issuer.js";
import { call, graphError, type Res } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const LIMIT = 5;

let s: TestServer;
before(async () => {
  s = await startTestServer({ rateLimit: String(LIMIT) });
});
after(() => s.close());

function assertThrottled(r: Res, what: string): void {
  assert.equal(r.status, 429, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
  assert.equal(graphError(r).code, "activityLimitReached");
  const retryAfter = Number(r.headers.get("retry-after"));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${r.headers.get("retry-after")}`);
}

const get = (server: TestServer, authorization?: string) =>
  call("GET", `${server.url}/v1.0/me/todo/lists`, authorization === undefined ? {} : { headers: { authorization } });

test("--rate-limit answers 429 activityLimitReached with Retry-After once a caller exceeds it, per caller", async () => {
  const alice = await s.token({ user: "alice" });
  const bob = await s.token({ user: "bob" });
  for (let i = 0; i < LIMIT; i++) assert.equal((await get(s, `Bearer ${alice}`)).status, 200, `request ${i + 1}`);
  assertThrottled(await get(s, `Bearer ${alice}`), "alice's 6th");
  // Another caller has a budget of its own.
  assert.equal((await get(s, `Bearer ${bob}`)).status, 200);
});

test("the budget is the verified identity's: respelling the header, or minting a second token, gets no fresh one", async () => {
  const carol = await s.token({ user: "carol" });
  const again = await s.token({ user: "carol", scopes: ["Tasks.Read"] });
  assert.notEqual(carol, again);
  const spellings = [`Bearer ${carol}`, `bearer ${carol}`, `BEARER ${carol}`, `Bearer  ${carol}`, `Bearer ${again}`];
  for (const h of spellings) assert.equal((await get(s, h)).status, 200, JSON.stringify(h.slice(0, 8)));
  for (const h of spellings) assertThrottled(await get(s, h), `carol as ${JSON.stringify(h.slice(0, 8))}`);
  // App tokens are keyed by their app, apart from users.
  const app = await s.token({ app: "reporting", roles: ["Tasks.Read.All"] });
  const appGet = () => call("GET", `${s.url}/v1.0/users/${devUserOid("carol")}/todo/lists`, { token: app });
  for (let i = 0; i < LIMIT; i++) assert.notEqual((await appGet()).status, 429, `app request ${i + 1}`);
  assertThrottled(await appGet(), "the app's 6th");
});

test("anonymous and invalid-token callers are limited by address, and never use up a user's budget", async () => {
  const own = await startTestServer({ rateLimit: String(LIMIT) });
  try {
    const dave = await own.token({ user: "dave" });
    const junk = ["", undefined, "Bearer not.a.token", `Bearer ${dave.slice(0, -4)}AAAA`, "Basic ZGF2ZTpw"];
    for (const h of junk) assert.equal((await get(own, h)).status, 401, `anonymous ${JSON.stringify(h)}`);
    // The address has spent its budget: a sixth request with yet another garbage token is throttled.
    assertThrottled(await get(own, "Bearer x.y.z"), "garbage token from a spent address");
    assertThrottled(await get(own), "no token from a spent address");
    // A valid caller on that same address still has all of theirs.
    for (let i = 0; i < LIMIT; i++) assert.equal((await get(own, `Bearer ${dave}`)).status, 200, `dave ${i + 1}`);
  } finally {
    await own.close();
  }
});

test("without --rate-limit nobody is throttled", async () => {
  const plain = await startTestServer();
  try {
    const token = await plain.token();
    for (let i = 0; i < 30; i++) assert.equal((await call("GET", `${plain.url}/v1.0/me/todo/lists`, { token })).status, 200);
    for (let i = 0; i < 30; i++) assert.equal((await get(plain)).status, 401);
  } finally {
    await plain.close();
  }
});
