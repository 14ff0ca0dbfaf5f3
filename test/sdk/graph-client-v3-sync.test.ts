// Microsoft's JS SDK v3 against `taskdrop serve --https`: its BatchRequestContent batch helper
// (full URLs, dependsOn) and a delta round followed through @odata.nextLink/@odata.deltaLink.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { runSdkChild } from "./sdk-child.js";

let s: TestServer;
before(async () => {
  s = await startTestServer({ https: true });
});
after(() => s.close());

test("JS SDK v3: BatchRequestContent with a dependency, and tasks delta followed to the deltaLink and on", async () => {
  const { base, out } = await runSdkChild(s, "graph-client-v3-sync.child.js", "sdk-v3-sync", 60_000);
  assert.deepEqual(out.batch, { statuses: [201, 201, 200], titles: ["first", "second"], lists: 2 });
  assert.deepEqual(out.delta.first, ["first", "second"]);
  assert.equal(out.delta.pages, 2);
  assert.deepEqual(out.delta.second, ["third"]);
  assert.ok(out.delta.deltaLink.startsWith(`${base}/v1.0/me/todo/lists/`), out.delta.deltaLink);
});
