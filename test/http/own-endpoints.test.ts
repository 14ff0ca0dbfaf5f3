// Taskdrop's own prefix, /_taskdrop, outside Graph's URL space: the bare prefix lists what is there,
// and an unknown path under it says where to look instead of Graph's "Invalid version".
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test("GET /_taskdrop lists the endpoints this server serves, each of which answers", async () => {
  for (const path of ["/_taskdrop", "/_taskdrop/"]) {
    const r = await call("GET", `${s.url}${path}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.service, "taskdrop");
    const endpoints = r.json.endpoints as { method: string; path: string; what: string }[];
    assert.ok(endpoints.some((e) => e.method === "GET" && e.path === "/_taskdrop/health"));
    for (const e of endpoints.filter((x) => x.method === "GET")) {
      assert.notEqual((await call("GET", `${s.url}${e.path}`)).status, 404, `${e.path} is listed, so it is served`);
    }
  }
});

test("an unknown /_taskdrop path is 404 pointing at the list", async () => {
  const r = await call("GET", `${s.url}/_taskdrop/nope?x=1`);
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, "itemNotFound");
  assert.match(r.json.error.innerError.message, /^Taskdrop has no endpoint \/_taskdrop\/nope; GET \/_taskdrop lists them\.$/);
});
