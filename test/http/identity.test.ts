// The oid is a user's identity; the UPN is a mutable alias (issue 13 item 4). Two tokens with
// different oids and the same UPN — `token --user bob` and `token --user bob@taskdrop.local`, an
// OIDC squatter, a directory rename onto a formerly used UPN — both work and never see each other's
// data; `/users/{upn}` names the oid that presented the UPN most recently.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { devUserOid } from "../../src/auth/dev-issuer.js";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const names = (r: { json: { value: { displayName: string }[] } }) => r.json.value.map((l) => l.displayName).sort();

test("two oids with the same UPN each keep their own To Do; neither ever gets a 500", async () => {
  const first = await s.token({ user: "bob" });
  const second = await s.token({ user: "bob@taskdrop.local" });
  const lists = `${s.url}/v1.0/me/todo/lists`;
  assert.equal((await call("POST", lists, { token: first, json: { displayName: "first's" } })).status, 201);
  // Before the fix this was 500 on every request (users.upn_lower was UNIQUE).
  const created = await call("POST", lists, { token: second, json: { displayName: "second's" } });
  assert.equal(created.status, 201, created.text);
  for (let round = 0; round < 2; round++) {
    const a = await call("GET", lists, { token: first });
    const b = await call("GET", lists, { token: second });
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
    assert.deepEqual(names(a), ["Tasks", "first's"]);
    assert.deepEqual(names(b), ["Tasks", "second's"]);
  }
  // Each may name itself by oid or by the UPN its own token carries.
  for (const [token, user, mine] of [[first, "bob", "first's"], [second, "bob@taskdrop.local", "second's"]] as const) {
    const byOid = await call("GET", `${s.url}/v1.0/users/${devUserOid(user)}/todo/lists`, { token });
    assert.equal(byOid.status, 200, byOid.text);
    assert.ok(names(byOid).includes(mine));
    const byUpn = await call("GET", `${s.url}/v1.0/users/bob@taskdrop.local/todo/lists`, { token });
    assert.equal(byUpn.status, 200, byUpn.text);
    assert.ok(names(byUpn).includes(mine), "a delegated token's own UPN is itself, whoever else shares it");
  }
});

test("an app token's /users/{upn} names the oid that presented the UPN most recently; /users/{oid} names each", async () => {
  const app = await s.token({ app: "daemon" });
  const earlier = await s.token({ user: "carol" });
  assert.equal((await call("POST", `${s.url}/v1.0/me/todo/lists`, { token: earlier, json: { displayName: "earlier" } })).status, 201);
  await new Promise((r) => setTimeout(r, 5));
  const later = await s.token({ user: "carol@taskdrop.local" });
  assert.equal((await call("POST", `${s.url}/v1.0/me/todo/lists`, { token: later, json: { displayName: "later" } })).status, 201);
  const byUpn = await call("GET", `${s.url}/v1.0/users/carol@taskdrop.local/todo/lists`, { token: app });
  assert.equal(byUpn.status, 200, byUpn.text);
  assert.deepEqual(names(byUpn), ["Tasks", "later"]);
  const byOid = await call("GET", `${s.url}/v1.0/users/${devUserOid("carol")}/todo/lists`, { token: app });
  assert.equal(byOid.status, 200, byOid.text);
  assert.deepEqual(names(byOid), ["Tasks", "earlier"]);
});
