// CORS for browser clients: every origin by default, --cors-origins restricts; preflights answer
// for every route and method the API uses (PUT with Content-Range and Authorization included);
// the headers a page needs to read (Location above all) are exposed, on errors too.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../../src/config.js";
import { makeSession, putRange, type TaskFixture } from "../helpers/fixtures.js";
import { call, type Res } from "../helpers/http.js";
import { startServerWithTask, type TestServer } from "../helpers/server.js";

const MUST_EXPOSE = ["location", "etag", "request-id", "client-request-id", "retry-after", "www-authenticate"];
/** What Graph clients in a page send beyond the CORS-safelisted headers. */
const REQUEST_HEADERS = "authorization, content-type, content-range, client-request-id, if-match, prefer";

const list = (v: string | null) => (v ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);

function preflight(url: string, origin: string, method: string, headers = REQUEST_HEADERS): Promise<Res> {
  return call("OPTIONS", url, { headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers } });
}

function assertPreflightAllows(r: Res, origin: string, method: string, what: string): void {
  assert.ok(r.status === 204 || r.status === 200, `${what}: preflight answered ${r.status} ${r.text}`);
  assert.equal(r.headers.get("access-control-allow-origin"), origin, `${what}: allow-origin`);
  assert.ok(list(r.headers.get("access-control-allow-methods")).includes(method.toLowerCase()), `${what}: ${method} allowed`);
  const allowed = list(r.headers.get("access-control-allow-headers"));
  for (const h of list(REQUEST_HEADERS)) assert.ok(allowed.includes(h) || allowed.includes("*"), `${what}: header ${h} allowed`);
}

function assertExposes(r: Res, what: string): void {
  const exposed = list(r.headers.get("access-control-expose-headers"));
  for (const h of MUST_EXPOSE) assert.ok(exposed.includes(h), `${what}: exposes ${h} (got ${exposed.join(", ")})`);
}

/** Every route and method the API serves, with real ids, under both versions and both principals. */
function routeTable(f: TaskFixture, uploadUrl: string, attachmentId: string, oid: string): [string, string][] {
  const out: [string, string][] = [];
  const sessionTail = new URL(uploadUrl).pathname.replace(/^.*\/attachmentSessions\//, "");
  for (const version of ["v1.0", "beta"]) {
    for (const principal of ["me", `users/${oid}`]) {
      const lists = `${new URL(f.todo).origin}/${version}/${principal}/todo/lists`;
      const task = `${lists}/${encodeURIComponent(f.listId)}/tasks/${encodeURIComponent(f.taskId)}`;
      const rows: [string, string[]][] = [
        [lists, ["GET", "POST"]],
        [`${lists}/${encodeURIComponent(f.listId)}`, ["GET", "PATCH", "DELETE"]],
        [`${lists}/${encodeURIComponent(f.listId)}/tasks`, ["GET", "POST"]],
        [task, ["GET", "PATCH", "DELETE"]],
        [`${task}/attachments`, ["GET", "POST"]],
        [`${task}/attachments/${encodeURIComponent(attachmentId)}`, ["GET", "DELETE"]],
        [`${task}/attachments('${encodeURIComponent(attachmentId)}')`, ["GET", "DELETE"]],
        [`${task}/Attachments('${encodeURIComponent(attachmentId)}')/$value`, ["GET"]],
        [`${task}/attachments/createUploadSession`, ["POST"]],
        [`${task}/attachmentSessions`, ["GET"]],
        [`${task}/attachmentSessions/${sessionTail}`, ["GET", "PUT", "DELETE"]],
        [`${task}/attachmentSessions/${sessionTail}/content`, ["GET", "PUT"]],
      ];
      for (const [url, methods] of rows) for (const m of methods) out.push([m, url]);
    }
  }
  return out;
}

describe("CORS with every origin allowed (the default)", () => {
  let s: TestServer;
  let f: TaskFixture;
  before(async () => ({ s, f } = await startServerWithTask()));
  after(() => s.close());

  test("preflight answers for every route and method", async () => {
    const small = await call("POST", `${f.taskUrl}/attachments`, {
      token: f.token,
      json: { "@odata.type": "#microsoft.graph.taskFileAttachment", name: "a.txt", contentBytes: "aGk=" },
    });
    assert.equal(small.status, 201);
    const uploadUrl = await makeSession(f, 10);
    const oid = /users\/([^/]+)\//.exec(uploadUrl)![1]!;
    const rows = routeTable(f, uploadUrl, small.json.id, oid);
    assert.equal(rows.length, 96);
    const origin = "https://page.example:3000";
    await Promise.all(rows.map(async ([method, url]) => assertPreflightAllows(await preflight(url, origin, method), origin, method, `${method} ${url}`)));
    // A route the API does not know still gets a preflight, so the page sees Graph's 400 rather than a CORS failure.
    assertPreflightAllows(await preflight(`${f.todo}/lists/${encodeURIComponent(f.listId)}/checklistItems`, origin, "GET"), origin, "GET", "unknown segment");
  });

  test("answers, errors included, expose Location, ETag, request ids, Retry-After and WWW-Authenticate", async () => {
    const origin = "http://localhost:5173";
    const data = randomBytes(20);
    const uploadUrl = await makeSession(f, data.length);
    const mid = await putRange(uploadUrl, data, 0, 9, { origin, authorization: `Bearer ${f.token}` });
    assert.equal(mid.status, 200);
    assert.equal(mid.headers.get("access-control-allow-origin"), origin);
    const done = await putRange(uploadUrl, data, 10, 19, { origin });
    assert.equal(done.status, 201);
    assert.equal(done.headers.get("access-control-allow-origin"), origin);
    assertExposes(done, "final 201");
    assert.ok(done.headers.get("location"));
    const vary = list(done.headers.get("vary"));
    assert.ok(vary.includes("origin") || done.headers.get("access-control-allow-origin") === "*", "a reflected origin varies by Origin");

    const value = await call("GET", `${done.headers.get("location")}/$value`, { token: f.token, headers: { origin } });
    assert.equal(value.status, 200);
    assertExposes(value, "$value");
    assert.ok(value.headers.get("etag"));

    const unauth = await call("GET", `${f.todo}/lists`, { headers: { origin } });
    assert.equal(unauth.status, 401);
    assert.equal(unauth.headers.get("access-control-allow-origin"), origin);
    assertExposes(unauth, "401");
    assert.ok(unauth.headers.get("www-authenticate"));

    const gap = await putRange(await makeSession(f, 4), Buffer.from("abcd"), 2, 3, { origin });
    assert.equal(gap.status, 416);
    assert.equal(gap.headers.get("access-control-allow-origin"), origin);
    assertExposes(gap, "416");
  });
});

describe("CORS restricted by --cors-origins", () => {
  const allowed = "https://app.example";
  let s: TestServer;
  let f: TaskFixture;
  before(async () => {
    // Configured with a default port and a trailing slash: compared as an origin.
    ({ s, f } = await startServerWithTask({ corsOrigins: `http://other.example:8080, ${allowed}:443/` }));
  });
  after(() => s.close());

  test("preflight for PUT on the uploadUrl: the allowed origin gets through, another does not", async () => {
    const uploadUrl = await makeSession(f, 4);
    for (const url of [uploadUrl, `${uploadUrl}/content`]) {
      assertPreflightAllows(await preflight(url, allowed, "PUT"), allowed, "PUT", url);
      for (const refused of ["https://evil.example", "http://app.example", "https://app.example:8443", "null"]) {
        const r = await preflight(url, refused, "PUT");
        assert.equal(r.headers.get("access-control-allow-origin"), null, `${refused} must not be allowed`);
      }
    }
    // The upload itself from the allowed origin: the final 201's Location is readable.
    const done = await putRange(uploadUrl, Buffer.from("abcd"), 0, 3, { origin: allowed, authorization: `Bearer ${f.token}` });
    assert.equal(done.status, 201);
    assert.equal(done.headers.get("access-control-allow-origin"), allowed);
    assertExposes(done, "final 201");
  });

  test("answers to a refused origin carry no CORS grant (the browser withholds them from the page)", async () => {
    const r = await call("GET", `${f.todo}/lists`, { token: f.token, headers: { origin: "https://evil.example" } });
    assert.equal(r.headers.get("access-control-allow-origin"), null);
    assert.ok(list(r.headers.get("vary")).includes("origin"), "caches must not mix origins");
  });

  test("TASKDROP_CORS_ORIGINS configures the same; * means every origin", () => {
    assert.deepEqual(loadConfig({}, { TASKDROP_CORS_ORIGINS: "https://a.example, http://b.example:81/" }).corsOrigins, ["https://a.example", "http://b.example:81"]);
    assert.equal(loadConfig({}, { TASKDROP_CORS_ORIGINS: "*" }).corsOrigins, true);
    assert.equal(loadConfig({}, {}).corsOrigins, true);
  });
});
