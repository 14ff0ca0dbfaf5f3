// Every write route authorises before it reads a body: the routes come from the running app itself
// (src/http/route-group.ts records them), so a route added later is in this table without anyone
// adding it. Anonymous + malformed body → 401, never 400; a read-only token + malformed body → 403.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Fastify from "fastify";
import { checkGraphRoutes, graphRoutes, registerGroup } from "../../src/http/route-group.js";
import type { RouteEnv } from "../../src/http/caller.js";
import { makeSession, makeTask, type TaskFixture } from "../helpers/fixtures.js";
import { call, type Res } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { enc, expectError, oidOf } from "./_foundation.js";

let s: TestServer;
let f: TaskFixture;
let params: Record<string, string>;
before(async () => {
  s = await startTestServer();
  f = await makeTask(s.url, await s.token());
  const a = await call("POST", `${f.taskUrl}/attachments`, { token: f.token, json: { name: "a.txt", contentBytes: "aGk=" } });
  assert.equal(a.status, 201, a.text);
  const uploadUrl = await makeSession(f, 10);
  params = { userId: oidOf("alice"), listId: f.listId, taskId: f.taskId, attachmentId: a.json.id, uploadKey: decodeURIComponent(uploadUrl.slice(uploadUrl.lastIndexOf("/") + 1)) };
});
after(() => s.close());

const MALFORMED = '{"displayName": ';
const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The write routes the app serves, each with a URL whose parameters name alice's real resources. */
function writeRoutes(group: string): { method: string; route: string; url: string }[] {
  return graphRoutes(s.running.app)
    .filter((r) => r.group === group && !READS.has(r.method))
    .map((r) => ({ method: r.method, route: r.url, url: s.url + r.url.replace(/:(\w+)/g, (_, name: string) => enc(params[name]!)) }));
}

function send(method: string, url: string, headers: Record<string, string> = {}): Promise<Res> {
  return call(method, url, { body: MALFORMED, headers: { "content-type": "application/json", ...headers } });
}

describe("every write route authorises before it reads the body", () => {
  test("the table is the app's own route list (every group, both versions, both principals)", () => {
    const todo = writeRoutes("todo");
    // lists POST/PATCH/DELETE, tasks POST/PATCH/DELETE, attachments POST/DELETE, createUploadSession: × 2 versions × 2 principals.
    assert.ok(todo.length >= 9 * 4, `only ${todo.length} todo write routes found`);
    assert.ok(writeRoutes("upload-url").length >= 2 * 4);
    assert.equal(writeRoutes("batch").length, 2, "POST $batch on both versions");
    assert.deepEqual(new Set(graphRoutes(s.running.app).map((r) => r.group)), new Set(["todo", "upload-url", "batch", "metadata"]));
  });

  test("todo routes: anonymous + malformed JSON → 401, read-only tokens + malformed JSON → 403", async () => {
    const delegatedReader = await s.token({ scopes: ["Tasks.Read"] });
    const appReader = await s.token({ app: "reporter", roles: ["Tasks.Read.All"] });
    for (const r of writeRoutes("todo")) {
      const label = `${r.method} ${r.route}`;
      const anon = await send(r.method, r.url);
      assert.equal(anon.status, 401, `${label}: ${anon.text}`);
      expectError(anon, 401, "InvalidAuthenticationToken");
      const badToken = await send(r.method, r.url, { authorization: "Bearer not-a-token" });
      assert.equal(badToken.status, 401, `${label}: ${badToken.text}`);
      const ro = await send(r.method, r.url, { authorization: `Bearer ${r.route.includes("/users/") ? appReader : delegatedReader}` });
      assert.equal(ro.status, 403, `${label}: ${ro.text}`);
      expectError(ro, 403, "accessDenied");
    }
    // Nothing was written by any of them.
    const list = await call("GET", `${f.todo}/lists/${enc(f.listId)}`, { token: f.token });
    assert.equal(list.json.displayName, "Fixture list");
    const atts = await call("GET", `${f.taskUrl}/attachments`, { token: f.token });
    assert.equal(atts.json.value.length, 1);
  });

  test("batch routes: anonymous or a bad token + malformed JSON → 401 (each inner request is then authorised by its own group)", async () => {
    for (const r of writeRoutes("batch")) {
      expectError(await send(r.method, r.url), 401, "InvalidAuthenticationToken");
      expectError(await send(r.method, r.url, { authorization: "Bearer not-a-token" }), 401, "InvalidAuthenticationToken");
    }
  });

  test("upload-url routes: another user's or a read-only token + malformed body → 403 before 400; no secret, no token → 401", async () => {
    const bob = await s.token({ user: "bob" });
    const reader = await s.token({ scopes: ["Tasks.Read"] });
    for (const r of writeRoutes("upload-url")) {
      const ro = await call(r.method, r.url, { body: "junk", headers: { authorization: `Bearer ${reader}`, "content-range": "nonsense" } });
      assert.equal(ro.status, 403, `${r.method} ${r.route}: ${ro.text}`);
      const bare = r.url.replace(/[A-Za-z0-9_-]{43}(?=\/content$|$)/, "");
      assert.notEqual(bare, r.url);
      const anon = await call(r.method, bare, { body: "junk", headers: { "content-range": "nonsense" } });
      expectError(anon, 401, "InvalidAuthenticationToken");
      const res = await call(r.method, r.url, { body: "junk", headers: { authorization: `Bearer ${bob}`, "content-range": "nonsense" } });
      assert.equal(res.status, 403, `${r.method} ${r.route}: ${res.text}`);
      const anonBadToken = await call(r.method, r.url, { body: "junk", headers: { authorization: "Bearer nope", "content-range": "nonsense" } });
      assert.equal(anonBadToken.status, 401, `${r.method} ${r.route}: ${anonBadToken.text}`);
    }
  });
});

describe("one id parser for every route", () => {
  // (`…/lists/delta` and `…/tasks/delta` themselves are served: test/http/delta.test.ts.)
  test("a Graph function name where a list or task id goes is the same unknown segment on every route below it", async () => {
    const token = f.token;
    const lists = `${f.todo}/lists`;
    const urls = [
      `${lists}/delta/tasks`,
      `${lists}/${enc(f.listId)}/tasks/delta/attachments`,
      `${lists}/${enc(f.listId)}/tasks/delta/attachmentSessions`,
      `${lists}/${enc(f.listId)}/tasks/delta/attachments/createUploadSession`,
    ];
    for (const url of urls) {
      const r = await call(url.endsWith("createUploadSession") ? "POST" : "GET", url, { token, json: url.endsWith("createUploadSession") ? {} : undefined });
      const e = expectError(r, 400, "BadRequest");
      assert.match(e.message, /segment 'delta'/, url);
    }
  });

  test("a malformed id answers the same 400 whichever route it is on", async () => {
    const token = f.token;
    const bad = "not-an-id";
    const task = `${f.todo}/lists/${enc(f.listId)}/tasks/${bad}`;
    const answers = await Promise.all([call("GET", task, { token }), call("GET", `${task}/attachments`, { token }), call("GET", `${task}/attachmentSessions`, { token })]);
    for (const r of answers) expectError(r, 400, "invalidRequest", "ErrorInvalidIdMalformed");
    assert.equal(new Set(answers.map((r) => r.json.error.innerError.message)).size, 1);
  });
});

describe("a route cannot skip its group", () => {
  const env = {} as RouteEnv;
  test("an app with a Graph route outside every group refuses to start", async () => {
    const app = Fastify();
    checkGraphRoutes(app);
    app.post("/v1.0/me/todo/lists/:listId/forgotten", async () => "written");
    await assert.rejects(async () => app.ready(), /outside a route group/);
  });

  test("a route parameter the id parser does not know refuses to start", async () => {
    const app = Fastify();
    checkGraphRoutes(app);
    await app.register(async (scoped) => registerGroup(scoped, env, { name: "t", authorise: async () => {}, routes: [(a) => a.get("/lists/:thingId", async () => "x")] }), { prefix: "/v1.0/me/todo" });
    await assert.rejects(async () => app.ready(), /:thingId is unknown to the id parser/);
  });

  test("a route inside a group starts, and its hook runs before the handler", async () => {
    const app = Fastify();
    checkGraphRoutes(app);
    const order: string[] = [];
    await app.register(
      async (scoped) =>
        registerGroup(scoped, env, {
          name: "t",
          authorise: async () => void order.push("hook"),
          routes: [(a) => a.post("/lists/:listId", async () => (order.push("handler"), "ok"))],
        }),
      { prefix: "/v1.0/me/todo" },
    );
    await app.ready();
    assert.deepEqual(graphRoutes(app).map((r) => [r.method, r.url, r.group]), [["POST", "/v1.0/me/todo/lists/:listId", "t"]]);
    const r = await app.inject({ method: "POST", url: "/v1.0/me/todo/lists/x", payload: { a: 1 } });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(order, ["hook", "handler"]);
    await app.close();
  });
});
