// Authentication and authorisation over HTTP: bad tokens, scopes, app-only tokens, isolation
// between users, and the real-issuer mode against an OpenID Connect issuer this test serves.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generateKeyPair } from "jose";
import { mintToken, newSigningKeyJson, parseSigningKey } from "../../src/auth/dev-issuer.js";
import { call } from "../helpers/http.js";
import { AUDIENCE, issue, startIssuer, type Issuer } from "../helpers/issuer.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { changesNothing, enc, expectError, oidOf, upnOf } from "./_foundation.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const lists = () => `${s.url}/v1.0/me/todo/lists`;

function expect401(r: Awaited<ReturnType<typeof call>>): string {
  const e = expectError(r, 401, "InvalidAuthenticationToken");
  assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer\b/);
  // Graph's 401s carry no inner code: the detail is the outer message.
  assert.equal(e.innerError.code, undefined);
  return e.message;
}

describe("bearer tokens that are refused (401 InvalidAuthenticationToken)", () => {
  test("no Authorization header", async () => {
    assert.equal(expect401(await call("GET", lists())), "Access token is empty.");
  });

  test("malformed Authorization headers", async () => {
    const good = await s.token();
    for (const h of ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-jwt", "Bearer a.b.c", `Bearer ${good}x`, `Bearer ${good.split(".").slice(0, 2).join(".")}`, `Token ${good}`, `Bearer  ${good} extra`]) {
      expect401(await call("GET", lists(), { headers: { authorization: h } }));
    }
  });

  test("the scheme is case-insensitive (RFC 7235)", async () => {
    const good = await s.token();
    assert.equal((await call("GET", lists(), { headers: { authorization: `bearer ${good}` } })).status, 200);
    assert.equal((await call("GET", lists(), { headers: { authorization: `BEARER ${good}` } })).status, 200);
  });

  test("HEAD (generated from GET) is authenticated like GET", async () => {
    const r = await call("HEAD", lists());
    assert.equal(r.status, 401);
    assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer\b/);
    assert.equal((await call("HEAD", lists(), { token: await s.token() })).status, 200);
  });

  test("expired and not-yet-valid tokens", async () => {
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    assert.match(expect401(await call("GET", lists(), { token: await s.token({ now: hourAgo, expiresInSeconds: 60 }) })), /expired/);
    expect401(await call("GET", lists(), { token: await s.token({ now: Math.floor(Date.now() / 1000) + 3600 }) }));
  });

  test("a token signed by another key", async () => {
    const other = await parseSigningKey(await newSigningKeyJson());
    expect401(await call("GET", lists(), { token: await mintToken(other, { user: "alice" }) }));
  });

  test("a token with a valid signature but the wrong audience or issuer", async () => {
    expect401(await call("GET", lists(), { token: await s.token({ audience: "api://someone-else" }) }));
    expect401(await call("GET", lists(), { token: await s.token({ issuer: "https://login.example.com/evil" }) }));
  });

  test("an unsigned (alg none) token", async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: "https://taskdrop.local/dev", aud: "https://graph.microsoft.com", exp: now + 3600, oid: oidOf("alice"), scp: "Tasks.ReadWrite" };
    expect401(await call("GET", lists(), { headers: { authorization: `Bearer ${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.` } }));
  });

  test("authentication comes before the body is read: an anonymous malformed or oversized body gets 401", async () => {
    expect401(await call("POST", lists(), { json: "{not json" }));
    expect401(await call("POST", lists(), { body: "x".repeat(6 * 1024 * 1024), headers: { "content-type": "application/json" } }));
    expect401(await call("PATCH", `${lists()}/${"AQMkL" + "A".repeat(24) + "="}`, { json: "[" }));
  });
});

describe("scopes", () => {
  test("Tasks.Read reads but cannot write (403 accessDenied), and nothing changes", async () => {
    const rw = await s.token({ user: "reader" });
    const l = await call("POST", lists(), { token: rw, json: { displayName: "Read only" } });
    const t = await call("POST", `${lists()}/${enc(l.json.id)}/tasks`, { token: rw, json: { title: "look, don't touch" } });
    const ro = await s.token({ user: "reader", scopes: ["Tasks.Read"] });
    const listUrl = `${lists()}/${enc(l.json.id)}`;
    const taskUrl = `${listUrl}/tasks/${enc(t.json.id)}`;
    for (const u of [lists(), listUrl, `${listUrl}/tasks`, taskUrl]) assert.equal((await call("GET", u, { token: ro })).status, 200, u);
    await changesNothing(rw, [lists(), listUrl, `${listUrl}/tasks`, taskUrl], async () => {
      const denied = [
        await call("POST", lists(), { token: ro, json: { displayName: "x" } }),
        await call("PATCH", listUrl, { token: ro, json: { displayName: "x" } }),
        await call("DELETE", listUrl, { token: ro }),
        await call("POST", `${listUrl}/tasks`, { token: ro, json: { title: "x" } }),
        await call("PATCH", taskUrl, { token: ro, json: { title: "x" } }),
        await call("DELETE", taskUrl, { token: ro }),
        // Scope is checked before the body is looked at.
        await call("POST", lists(), { token: ro, json: "{broken" }),
      ];
      for (const r of denied) expectError(r, 403, "accessDenied", "ErrorAccessDenied");
    });
  });

  test("a token with neither Tasks scope is refused even for reads", async () => {
    const token = await s.token({ user: "no-scope", scopes: ["User.Read", "Mail.Read"] });
    expectError(await call("GET", lists(), { token }), 403, "accessDenied", "ErrorAccessDenied");
  });
});

describe("app-only tokens", () => {
  test("/me → 400 BadRequest '/me request is only valid with delegated authentication flow.'", async () => {
    const app = await s.token({ app: "daemon" });
    for (const m of ["GET", "POST"]) {
      const r = await call(m, lists(), { token: app, ...(m === "POST" ? { json: { displayName: "x" } } : {}) });
      const e = expectError(r, 400, "BadRequest");
      assert.equal(e.message, "/me request is only valid with delegated authentication flow.");
    }
  });

  test("/users/{oid|upn} with Tasks.ReadWrite.All reads and writes the user's To Do", async () => {
    const bobToken = await s.token({ user: "bob" });
    const bobList = await call("POST", lists(), { token: bobToken, json: { displayName: "Bob's" } });
    const app = await s.token({ app: "daemon", roles: ["Tasks.ReadWrite.All"] });
    for (const key of [oidOf("bob"), upnOf("bob"), upnOf("bob").toUpperCase()]) {
      const r = await call("GET", `${s.url}/v1.0/users/${enc(key)}/todo/lists`, { token: app });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json["@odata.context"], `${s.url}/v1.0/$metadata#users('${oidOf("bob")}')/todo/lists`);
      assert.ok(r.json.value.some((l: { id: string }) => l.id === bobList.json.id));
    }
    const made = await call("POST", `${s.url}/beta/users/${oidOf("bob")}/todo/lists/${enc(bobList.json.id)}/tasks`, { token: app, json: { title: "From the daemon" } });
    assert.equal(made.status, 201, made.text);
    const seen = await call("GET", `${lists()}/${enc(bobList.json.id)}/tasks/${enc(made.json.id)}`, { token: bobToken });
    assert.equal(seen.json.title, "From the daemon");
  });

  test("Tasks.Read.All reads but cannot write; no roles at all → 403", async () => {
    await s.token({ user: "carol" }).then((t) => call("GET", lists(), { token: t }));
    const url = `${s.url}/v1.0/users/${oidOf("carol")}/todo/lists`;
    const reader = await s.token({ app: "reporter", roles: ["Tasks.Read.All"] });
    assert.equal((await call("GET", url, { token: reader })).status, 200);
    expectError(await call("POST", url, { token: reader, json: { displayName: "x" } }), 403, "accessDenied", "ErrorAccessDenied");
    const none = await s.token({ app: "nobody", roles: [] });
    expectError(await call("GET", url, { token: none }), 403, "accessDenied", "ErrorAccessDenied");
    const wrong = await s.token({ app: "mailer", roles: ["Mail.Read"] });
    expectError(await call("GET", url, { token: wrong }), 403, "accessDenied", "ErrorAccessDenied");
  });

  test("an unknown user → 404", async () => {
    const app = await s.token({ app: "daemon" });
    for (const key of ["00000000-0000-4000-8000-000000000000", "nobody@taskdrop.local"]) {
      expectError(await call("GET", `${s.url}/v1.0/users/${key}/todo/lists`, { token: app }), 404, "itemNotFound");
    }
  });
});

describe("isolation between users", () => {
  test("a delegated token on another user's /users/{id} → 403, the same whether that user exists or not", async () => {
    const alice = await s.token({ user: "iso-alice" });
    await call("GET", lists(), { token: await s.token({ user: "iso-bob" }) });
    const existing = await call("GET", `${s.url}/v1.0/users/${oidOf("iso-bob")}/todo/lists`, { token: alice });
    const missing = await call("GET", `${s.url}/v1.0/users/${oidOf("iso-nobody")}/todo/lists`, { token: alice });
    const byUpn = await call("GET", `${s.url}/v1.0/users/${upnOf("iso-bob")}/todo/lists`, { token: alice });
    for (const r of [existing, missing, byUpn]) expectError(r, 403, "accessDenied", "ErrorAccessDenied");
    assert.equal(existing.json.error.innerError.message, missing.json.error.innerError.message);
  });

  test("another user's list and task ids are 404 through /me, as if they did not exist, and stay untouched", async () => {
    const bob = await s.token({ user: "iso-bob2" });
    const alice = await s.token({ user: "iso-alice2" });
    const l = await call("POST", lists(), { token: bob, json: { displayName: "Private" } });
    const t = await call("POST", `${lists()}/${enc(l.json.id)}/tasks`, { token: bob, json: { title: "Secret" } });
    const listUrl = `${lists()}/${enc(l.json.id)}`;
    const taskUrl = `${listUrl}/tasks/${enc(t.json.id)}`;
    await changesNothing(bob, [lists(), listUrl, `${listUrl}/tasks`, taskUrl], async () => {
      const tries = [
        await call("GET", listUrl, { token: alice }),
        await call("PATCH", listUrl, { token: alice, json: { displayName: "Mine" } }),
        await call("DELETE", listUrl, { token: alice }),
        await call("GET", `${listUrl}/tasks`, { token: alice }),
        await call("POST", `${listUrl}/tasks`, { token: alice, json: { title: "Planted" } }),
        await call("GET", taskUrl, { token: alice }),
        await call("PATCH", taskUrl, { token: alice, json: { title: "Mine" } }),
        await call("DELETE", taskUrl, { token: alice }),
      ];
      for (const r of tries) {
        const e = expectError(r, 404, "itemNotFound", "ErrorItemNotFound");
        assert.equal(e.message, "Item not found");
      }
    });
    assert.ok(!(await call("GET", lists(), { token: alice })).json.value.some((x: { id: string }) => x.id === l.json.id));
  });
});

// ---- real-issuer mode ----

describe("real-issuer mode (--auth-issuer, --auth-audience, --auth-jwks-url)", () => {
  let issuer: Issuer;
  before(async () => {
    issuer = await startIssuer();
  });
  after(() => issuer.close());

  test("tokens from the issuer work (JWKS found by discovery); wrong issuer, audience, key or lifetime are refused", async () => {
    const srv = await startTestServer({ authIssuer: issuer.url, authAudience: AUDIENCE });
    try {
      const url = `${srv.url}/v1.0/me/todo/lists`;
      const good = await issue(issuer.key, { iss: issuer.url });
      const r = await call("GET", url, { token: good });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json["@odata.context"], `${srv.url}/v1.0/$metadata#users('5d0b6f3e-1111-4222-8333-444455556666')/todo/lists`);
      assert.equal(r.json.value[0].wellknownListName, "defaultList");
      assert.equal(issuer.hits.get("/tenant/.well-known/openid-configuration"), 1);
      // /users/{upn} resolves the issuer's preferred_username.
      assert.equal((await call("GET", `${srv.url}/v1.0/users/erin@contoso.example/todo/lists`, { token: good })).status, 200);

      expect401(await call("GET", url, { token: await issue(issuer.key, { iss: "https://login.example.com/other" }) }));
      expect401(await call("GET", url, { token: await issue(issuer.key, { iss: issuer.url, aud: "api://someone-else" }) }));
      expect401(await call("GET", url, { token: await issue(issuer.key, { iss: issuer.url, exp: Math.floor(Date.now() / 1000) - 600 }) }));
      const stranger = await generateKeyPair("RS256");
      // Same kid, different key: the signature does not verify.
      expect401(await call("GET", url, { token: await issue({ privateKey: stranger.privateKey, kid: issuer.key.kid }, { iss: issuer.url }) }));
      // A kid the JWKS does not have.
      expect401(await call("GET", url, { token: await issue({ privateKey: stranger.privateKey, kid: "unknown-kid" }, { iss: issuer.url }) }));
      // Development tokens are not trusted in this mode.
      expect401(await call("GET", url, { token: await srv.token() }));
      // Scopes still apply.
      const ro = await issue(issuer.key, { iss: issuer.url, claims: { scp: "Tasks.Read" } });
      expectError(await call("POST", url, { token: ro, json: { displayName: "x" } }), 403, "accessDenied");
      const app = await issue(issuer.key, { iss: issuer.url, claims: { scp: undefined, roles: ["Tasks.ReadWrite.All"] } });
      expectError(await call("GET", url, { token: app }), 400, "BadRequest");
    } finally {
      await srv.close();
    }
  });

  test("an explicit --auth-jwks-url is used instead of discovery", async () => {
    const before = issuer.hits.get("/tenant/.well-known/openid-configuration") ?? 0;
    const jwksUrl = issuer.url.replace("/tenant", "/elsewhere/jwks.json");
    const srv = await startTestServer({ authIssuer: issuer.url, authAudience: AUDIENCE, authJwksUrl: jwksUrl });
    try {
      const r = await call("GET", `${srv.url}/beta/me/todo/lists`, { token: await issue(issuer.key, { iss: issuer.url }) });
      assert.equal(r.status, 200, r.text);
      assert.equal(issuer.hits.get("/tenant/.well-known/openid-configuration") ?? 0, before);
      assert.ok((issuer.hits.get("/elsewhere/jwks.json") ?? 0) >= 1);
    } finally {
      await srv.close();
    }
  });

  test("an issuer that cannot be reached → a Graph-shaped 5xx, not a crash, and it recovers", async () => {
    const gone = await startIssuer();
    const goneUrl = gone.url;
    await gone.close();
    const srv = await startTestServer({ authIssuer: goneUrl, authAudience: AUDIENCE });
    try {
      const r = await call("GET", `${srv.url}/v1.0/me/todo/lists`, { token: await issue(gone.key, { iss: goneUrl }) });
      expectError(r, 503, "serviceNotAvailable");
      assert.equal((await call("GET", `${srv.url}/_taskdrop/health`)).status, 200);
    } finally {
      await srv.close();
    }
  });
});
