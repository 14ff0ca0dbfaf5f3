// Microsoft's Kiota TypeScript core (@microsoft/msgraph-sdk-core 1.0.0-preview.17) batching through
// `taskdrop serve --https`: BatchRequestContent built from RequestInformation, posted by the SDK,
// answered per request. The SDK's converter drops every request's headers (it assigns them only
// `if (headers !== undefined)` on a variable it never set), so a batched write carries no
// Content-Type, which Graph refuses for the whole batch; the test asserts that too, so the day the
// SDK is fixed, this test says so.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import type { TokenCredential } from "@azure/core-auth";
import { HttpMethod, RequestInformation } from "@microsoft/kiota-abstractions";
import { BaseGraphRequestAdapter, BatchRequestContent, GraphAzureIdentityAuthenticationProvider, createGraphClientFactory } from "@microsoft/msgraph-sdk-core";
import { fetch as undiciFetch, type Agent } from "undici";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { callVia, fetchVia, trustingAgent } from "../helpers/tls.js";

let s: TestServer;
let agent: Agent;
let base: string;
let token: string;

before(async () => {
  s = await startTestServer({ https: true });
  agent = trustingAgent(await readFile(s.running.tls!.caFile!, "utf8"));
  base = `https://localhost:${new URL(s.url).port}`;
  token = await s.token({ user: "kiota-batch" });
});
after(async () => {
  await agent.close();
  await s.close();
});

function adapter(): BaseGraphRequestAdapter {
  const credential: TokenCredential = { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const auth = new GraphAzureIdentityAuthenticationProvider(credential, ["Tasks.ReadWrite"], undefined, new Set(["localhost"]));
  const viaCa = (url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: agent } as never) as unknown as Promise<Response>;
  const a = new BaseGraphRequestAdapter("v1.0", "taskdrop-test", auth, undefined, undefined, createGraphClientFactory({ graphServiceTargetVersion: "v1.0" }, viaCa));
  a.baseUrl = `${base}/v1.0`;
  return a;
}

const info = (method: HttpMethod, path: string) => new RequestInformation(method, `{+baseurl}${path}`);

test("Kiota core BatchRequestContent: reads and a delete answered per request; a write without Content-Type refused whole", async () => {
  const f = fetchVia(agent);
  const me = `${base}/v1.0/me/todo`;
  const list = (await callVia(f, "POST", `${me}/lists`, { token, json: { displayName: "Kiota batch" } })).json.id;
  const task = (await callVia(f, "POST", `${me}/lists/${list}/tasks`, { token, json: { title: "to delete" } })).json.id;
  const a = adapter();

  const batch = new BatchRequestContent(a, {});
  const lists = batch.addBatchRequest(info(HttpMethod.GET, "/me/todo/lists"), "lists");
  const remove = batch.addBatchRequest(info(HttpMethod.DELETE, `/me/todo/lists/${list}/tasks/${task}`), "remove");
  const again = batch.addBatchRequest(info(HttpMethod.GET, `/me/todo/lists/${list}/tasks/${task}`), "again");
  remove.dependsOn = [lists.id];
  again.dependsOn = [remove.id];
  const answer = await batch.postAsync();
  assert.ok(answer, "a batch response");
  assert.deepEqual(Object.fromEntries(await answer.getResponsesStatusCodes()), { lists: 200, remove: 204, again: 404 });
  const gone = await callVia(f, "GET", `${me}/lists/${list}/tasks/${task}`, { token });
  assert.equal(gone.status, 404, "the batched delete happened");

  // The SDK's defect: the POST's Content-Type is dropped on the way into the batch.
  const writes = new BatchRequestContent(a, {});
  const post = info(HttpMethod.POST, `/me/todo/lists/${list}/tasks`);
  post.setContentFromScalar(a, "application/json", JSON.stringify({ title: "from Kiota" }));
  writes.addBatchRequest(post, "post");
  assert.equal(writes.getContent().requests[0]!.headers, undefined, "Kiota sends the request without its headers");
  await assert.rejects(writes.postAsync(), (e: { responseStatusCode?: number }) => e.responseStatusCode === 400, "Graph's 400 for a write without Content-Type");
  const tasks = await callVia(f, "GET", `${me}/lists/${list}/tasks`, { token });
  assert.deepEqual(tasks.json.value, [], "the refused batch wrote nothing");
});
