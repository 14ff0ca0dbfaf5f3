// Microsoft's full Kiota-generated SDK (@microsoft/msgraph-sdk + @microsoft/msgraph-sdk-users)
// against `taskdrop serve --https`: checklistItems, linkedResources and extensions through the
// fluent API, the docs' Create-task example with an inline linked resource, and $expand through
// queryParameters (issue 14). The SDK runs in a child process (msgraph-sdk-children.child.ts).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { runSdkChild } from "./sdk-child.js";

let s: TestServer;
before(async () => {
  s = await startTestServer({ https: true });
});
after(() => s.close());

test("msgraph-sdk: steps, links and extensions through the fluent API; Create-task with a linked resource; $expand", async () => {
  const { out } = await runSdkChild(s, "msgraph-sdk-children.child.js", "msgraph-sdk-children", 90_000);
  assert.deepEqual(out.created, { title: "A new task", links: ["http://microsoft.com"] });
  assert.deepEqual(out.step, { isChecked: true, checkedAt: true });
  assert.equal(out.link, "T-1");
  assert.deepEqual(out.extension, { id: "microsoft.graph.openTypeExtension.com.contoso.ticket", ticket: 42 });
  assert.deepEqual(out.expanded, { steps: ["Book the room"], links: 2, ticket: 43 });
  assert.deepEqual(out.collection, [1]);
  assert.deepEqual(out.left, [0, 0]);
});
