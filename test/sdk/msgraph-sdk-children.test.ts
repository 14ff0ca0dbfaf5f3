// Microsoft's full Kiota-generated SDK (@microsoft/msgraph-sdk + @microsoft/msgraph-sdk-users)
// against `taskdrop serve --https`: checklistItems, linkedResources and extensions through the
// fluent API, the docs' Create-task example with an inline linked resource, and $expand through
// queryParameters (issue 14). The SDK runs in a child process (msgraph-sdk-children.child.ts).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { runNode } from "../helpers/cli.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const CHILD = new URL("./msgraph-sdk-children.child.js", import.meta.url).pathname;

let s: TestServer;
before(async () => {
  s = await startTestServer({ https: true });
});
after(() => s.close());

test("msgraph-sdk: steps, links and extensions through the fluent API; Create-task with a linked resource; $expand", async () => {
  const base = `https://localhost:${new URL(s.url).port}`;
  const run = await runNode([CHILD], { NODE_EXTRA_CA_CERTS: s.running.tls!.caFile!, BASE: base, TOKEN: await s.token({ user: "msgraph-sdk-children" }) }, 90_000);
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.deepEqual(out.created, { title: "A new task", links: ["http://microsoft.com"] });
  assert.deepEqual(out.step, { isChecked: true, checkedAt: true });
  assert.equal(out.link, "T-1");
  assert.deepEqual(out.extension, { id: "microsoft.graph.openTypeExtension.com.contoso.ticket", ticket: 42 });
  assert.deepEqual(out.expanded, { steps: ["Book the room"], links: 2, ticket: 43 });
  assert.deepEqual(out.collection, [1]);
  assert.deepEqual(out.left, [0, 0]);
});
