// The real-issuer mode when the issuer misbehaves: a hung or failing discovery document or JWKS
// never hangs a request and never turns into a 401 (the caller's token is not at fault): the answer
// is 503 serviceNotAvailable with Retry-After, within the fetch deadline; concurrent requests share
// one fetch at a time; keys already cached keep serving while a refresh hangs or fails.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { generateKeyPair } from "jose";
import { graphError, type Res } from "../helpers/http.js";
import { AUDIENCE, issue, startIssuer, type Issuer, type IssuerMode } from "../helpers/issuer.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { sleep } from "../helpers/wait.js";

const TIMEOUT_MS = 300;
/**
 * How long past the deadline an answer may take on a busy machine before we call it a hang (the
 * unfixed server took forever on a hung discovery, and 5 s then a 401 on hung keys).
 */
const SLACK_MS = 8_000;

let issuer: Issuer;
before(async () => {
  issuer = await startIssuer();
});
after(() => issuer.close());

async function withServer(flags: Record<string, string>, body: (srv: TestServer) => Promise<void>): Promise<void> {
  issuer.modes.discovery = "ok";
  issuer.modes.keys = "ok";
  issuer.hits.clear();
  issuer.peak.clear();
  const srv = await startTestServer({ authIssuer: issuer.url, authAudience: AUDIENCE, authTimeout: String(TIMEOUT_MS), ...flags });
  try {
    await body(srv);
  } finally {
    await srv.close();
  }
}

/** GET /me/todo/lists, with a hard client-side limit so that a hang fails the test instead of stalling it. */
async function lists(srv: TestServer, token: string): Promise<Res & { ms: number }> {
  const t0 = Date.now();
  const res = await fetch(`${srv.url}/v1.0/me/todo/lists`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(TIMEOUT_MS + SLACK_MS + 5_000) });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text: bytes.toString("utf8"), json, bytes, ms: Date.now() - t0 };
}

function assertOutage(r: Res & { ms: number }, what: string): void {
  assert.equal(r.status, 503, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
  assert.equal(graphError(r).code, "serviceNotAvailable");
  const retryAfter = Number(r.headers.get("retry-after"));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `${what}: Retry-After ${r.headers.get("retry-after")}`);
  assert.ok(r.ms < TIMEOUT_MS + SLACK_MS, `${what}: answered after ${r.ms} ms`);
}

for (const doc of ["discovery", "keys"] as const) {
  for (const mode of ["hang", "stall", "fail"] as IssuerMode[]) {
    test(`${doc} ${mode === "hang" ? "never answers" : mode === "stall" ? "sends headers, then stalls its body" : "answers 500"}: 20 concurrent requests get 503 + Retry-After in time, from one fetch; then it recovers`, async () => {
      await withServer({}, async (srv) => {
        issuer.modes[doc] = mode;
        const token = await issue(issuer.key, { iss: issuer.url });
        const burst = await Promise.all(Array.from({ length: 20 }, () => lists(srv, token)));
        for (const [i, r] of burst.entries()) assertOutage(r, `request ${i}`);
        const path = doc === "discovery" ? issuer.discoveryPath : issuer.keysPath;
        // One fetch at a time (a burst shares it; on a loaded machine a late straggler may start the next).
        assert.equal(issuer.peak.get(path), 1, `${doc} fetches open at once`);
        assert.ok((issuer.hits.get(path) ?? 0) <= 10, `${issuer.hits.get(path)} ${doc} fetches for 20 requests`);
        issuer.modes[doc] = "ok";
        await sleep(Number(burst[0]!.headers.get("retry-after")) * 1000 + 50);
        const ok = await lists(srv, token);
        assert.equal(ok.status, 200, ok.text);
      });
    });
  }
}

test("cached keys keep serving (fast, no 401, no 503) while the refresh hangs or fails, and one refresh runs at a time", async () => {
  await withServer({ authJwksMaxAge: "1" }, async (srv) => {
    const token = await issue(issuer.key, { iss: issuer.url });
    assert.equal((await lists(srv, token)).status, 200);
    assert.equal(issuer.hits.get(issuer.keysPath), 1);
    for (const mode of ["hang", "fail", "stall"] as IssuerMode[]) {
      issuer.modes.keys = mode;
      await sleep(1_100); // the keys are now past --auth-jwks-max-age (and past the failure back-off)
      const before = issuer.hits.get(issuer.keysPath) ?? 0;
      // Fresh tokens (the server caches verified ones): each must be checked against the cached keys.
      const fresh = await Promise.all(Array.from({ length: 10 }, () => issue(issuer.key, { iss: issuer.url, claims: { jti: randomUUID() } })));
      const burst = await Promise.all(fresh.map((t) => lists(srv, t)));
      for (const r of burst) {
        assert.equal(r.status, 200, `${mode}: ${r.status} ${r.text.slice(0, 200)}`);
        assert.ok(r.ms < SLACK_MS, `${mode}: a cached key answered after ${r.ms} ms`);
      }
      await sleep(TIMEOUT_MS + 100);
      assert.equal(issuer.peak.get(issuer.keysPath), 1, `${mode}: one refresh at a time`);
      assert.ok((issuer.hits.get(issuer.keysPath) ?? 0) - before <= 2, `${mode}: ${(issuer.hits.get(issuer.keysPath) ?? 0) - before} background refreshes for 10 requests`);
    }
    // A token signed with a key the cache does not have, while the issuer cannot say whether it is
    // new: the server cannot tell, so it is an outage (503), not the caller's fault; cached-key tokens still work.
    issuer.modes.keys = "fail";
    await sleep(1_100);
    const rotated = await generateKeyPair("RS256");
    assertOutage(await lists(srv, await issue({ privateKey: rotated.privateKey, kid: "rotated-in" }, { iss: issuer.url })), "unknown kid while the issuer fails");
    assert.equal((await lists(srv, await issue(issuer.key, { iss: issuer.url, claims: { jti: randomUUID() } }))).status, 200);
    // Once the issuer is back, a kid it really does not have is the token's fault: 401.
    issuer.modes.keys = "ok";
    await sleep(1_100);
    const stranger = await lists(srv, await issue({ privateKey: rotated.privateKey, kid: "rotated-in" }, { iss: issuer.url }));
    assert.equal(stranger.status, 401, stranger.text);
  });
});
