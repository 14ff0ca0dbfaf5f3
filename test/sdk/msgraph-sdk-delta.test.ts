// Microsoft's full Kiota-generated SDK (@microsoft/msgraph-sdk + @microsoft/msgraph-sdk-users)
// against `taskdrop serve --https`: `…tasks.delta.get()` followed through odataNextLink and
// odataDeltaLink until the local copy is the server's, then `lists.delta.get()`. The SDK runs in a
// child process (msgraph-sdk-delta.child.ts) trusting the development CA through NODE_EXTRA_CA_CERTS.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { runNode } from "../helpers/cli.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const CHILD = new URL("./msgraph-sdk-delta.child.js", import.meta.url).pathname;

let s: TestServer;
before(async () => {
  s = await startTestServer({ https: true });
});
after(() => s.close());

test("msgraph-sdk: tasks.delta.get() through odataNextLink and odataDeltaLink keeps an exact copy; lists.delta.get()", async () => {
  const base = `https://localhost:${new URL(s.url).port}`;
  const run = await runNode([CHILD], { NODE_EXTRA_CA_CERTS: s.running.tls!.caFile!, BASE: base, TOKEN: await s.token({ user: "msgraph-sdk-delta" }) }, 90_000);
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.deepEqual(out.first, { titles: ["a", "b", "c"], pages: [2, 1] });
  assert.deepEqual(out.second, { titles: ["a2", "c", "d"], pages: [2, 1], newLink: true });
  assert.equal(out.inSync, true);
  assert.deepEqual(out.lists, { names: ["Kiota delta", "Tasks"], deltaLink: "string" });
});
