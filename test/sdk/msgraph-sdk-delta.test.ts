// Microsoft's full Kiota-generated SDK (@microsoft/msgraph-sdk + @microsoft/msgraph-sdk-users)
// against `taskdrop serve --https`: `…tasks.delta.get()` followed through odataNextLink and
// odataDeltaLink until the local copy is the server's, then `lists.delta.get()`. The SDK runs in a
// child process (msgraph-sdk-delta.child.ts) trusting the development CA through NODE_EXTRA_CA_CERTS.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { runSdkChild } from "./sdk-child.js";

let s: TestServer;
before(async () => {
  s = await startTestServer({ https: true });
});
after(() => s.close());

test("msgraph-sdk: tasks.delta.get() through odataNextLink and odataDeltaLink keeps an exact copy; lists.delta.get()", async () => {
  const { out } = await runSdkChild(s, "msgraph-sdk-delta.child.js", "msgraph-sdk-delta", 90_000);
  assert.deepEqual(out.first, { titles: ["a", "b", "c"], pages: [2, 1] });
  assert.deepEqual(out.second, { titles: ["a2", "c", "d"], pages: [2, 1], newLink: true });
  assert.equal(out.inSync, true);
  assert.deepEqual(out.lists, { names: ["Kiota delta", "Tasks"], deltaLink: "string" });
});
