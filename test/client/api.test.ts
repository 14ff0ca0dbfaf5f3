// The thin typed calls: lists, tasks and attachments (list/create/get/update/delete), paging
// through @odata.nextLink, errors as GraphRequestError, /users/{id} routes.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { GraphRequestError, TaskdropClient, attachmentIdFromLocation, odataString } from "../../src/client/index.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { closeServer } from "./support.js";

let s: TestServer;
let client: TaskdropClient;
before(async () => {
  s = await startTestServer();
  client = new TaskdropClient({ baseUrl: `${s.url}/v1.0`, token: () => s.token({ user: "api-user" }) });
});
after(() => closeServer(s));

test("lists: create, get, rename, list, delete; the default list exists", async () => {
  const created = await client.lists.create({ displayName: "Groceries" });
  assert.equal(created.displayName, "Groceries");
  assert.equal((await client.lists.get(created.id)).id, created.id);
  const renamed = await client.lists.update(created.id, { displayName: "Shopping" }, { ifMatch: created["@odata.etag"] });
  assert.equal(renamed.displayName, "Shopping");
  await assert.rejects(client.lists.update(created.id, { displayName: "Stale" }, { ifMatch: created["@odata.etag"] }), (e: GraphRequestError) => e.status === 412);
  const all = await client.lists.list();
  assert.ok(all.some((l) => l.wellknownListName === "defaultList"));
  assert.ok(all.some((l) => l.id === created.id && l.displayName === "Shopping"));
  await client.lists.delete(created.id);
  await assert.rejects(
    client.lists.get(created.id),
    (e: GraphRequestError) => e instanceof GraphRequestError && e.status === 404 && e.code === "itemNotFound" && e.innerCode === "ErrorItemNotFound" && Boolean(e.requestId),
  );
});

test("tasks: paging follows @odata.nextLink through every page; filter, get, update, delete", async () => {
  const list = await client.lists.create({ displayName: "Paged" });
  for (let i = 0; i < 12; i++) await client.tasks.create(list.id, { title: `task ${String(i).padStart(2, "0")}` });
  const page = await client.page<{ id: string }>(`${client.listUrl(list.id)}/tasks?$top=5`);
  assert.equal(page.value.length, 5);
  assert.ok(page.nextLink?.includes("$skiptoken=") || page.nextLink?.includes("%24skiptoken="));
  const all = await client.tasks.list(list.id, { top: 5 });
  assert.deepEqual(
    all.map((t) => t.title),
    Array.from({ length: 12 }, (_, i) => `task ${String(i).padStart(2, "0")}`),
  );
  const seen: string[] = [];
  for await (const t of client.tasks.iterate(list.id, { top: 4, select: ["title"] })) seen.push(t.title);
  assert.equal(seen.length, 12);
  const found = await client.tasks.list(list.id, { filter: `title eq ${odataString("task 07")}` });
  assert.equal(found.length, 1);
  const t = await client.tasks.update(list.id, found[0]!.id, { status: "completed", importance: "high" });
  assert.equal(t.status, "completed");
  assert.equal((await client.tasks.get(list.id, t.id)).importance, "high");
  await client.tasks.delete(list.id, t.id);
  assert.equal((await client.tasks.list(list.id)).length, 11);
});

test("attachments: small POST, get with contentBytes, list, sessions list and cancel, delete", async () => {
  const list = await client.lists.create({ displayName: "Files" });
  const task = await client.tasks.create(list.id, { title: "with files" });
  const a = await client.attachments.create(list.id, task.id, { name: "hello.txt", contentBytes: new TextEncoder().encode("hello"), contentType: "text/plain" });
  assert.equal(a.size, 5);
  const got = await client.attachments.get(list.id, task.id, a.id);
  assert.equal(got.contentBytes, Buffer.from("hello").toString("base64"));
  const session = await client.attachments.createUploadSession(list.id, task.id, { name: "later.bin", size: 10 });
  assert.deepEqual(session.nextExpectedRanges, ["0-"]);
  const open = await client.sessions.list(list.id, task.id);
  assert.equal(open.length, 1);
  assert.deepEqual(await client.sessions.status(session.uploadUrl), { next: 0, done: false, gone: false, location: undefined, expirationDateTime: open[0]!.expirationDateTime });
  await client.sessions.cancel(session.uploadUrl);
  assert.equal((await client.sessions.list(list.id, task.id)).length, 0);
  const res = await client.attachments.content(list.id, task.id, a.id);
  assert.equal(await res.text(), "hello");
  assert.equal((await client.attachments.list(list.id, task.id)).length, 1);
  await client.attachments.delete(list.id, task.id, a.id);
  assert.equal((await client.attachments.list(list.id, task.id)).length, 0);
  assert.equal((await client.tasks.get(list.id, task.id)).hasAttachments, false);
});

test("steps, linked resources and open extensions (task and list): create, get, list, update, delete", async () => {
  const list = await client.lists.create({ displayName: "Children" });
  const task = await client.tasks.create(list.id, { title: "Parent" });
  const step = await client.checklistItems.create(list.id, task.id, { displayName: "Step" });
  assert.equal((await client.checklistItems.update(list.id, task.id, step.id, { isChecked: true })).isChecked, true);
  assert.ok((await client.checklistItems.get(list.id, task.id, step.id)).checkedDateTime);
  const link = await client.linkedResources.create(list.id, task.id, { webUrl: "https://example.com/", displayName: "Example" });
  assert.equal((await client.linkedResources.update(list.id, task.id, link.id, { displayName: null })).displayName, undefined);
  assert.deepEqual((await client.linkedResources.list(list.id, task.id)).map((l) => l.id), [link.id]);
  for (const taskId of [task.id, undefined]) {
    const ext = await client.extensions.create(list.id, taskId, "com.example.data", { seats: [1, 2], nested: { a: "b" } });
    assert.equal(ext.id, "microsoft.graph.openTypeExtension.com.example.data");
    assert.deepEqual((await client.extensions.get(list.id, taskId, "com.example.data")).seats, [1, 2]);
    assert.equal((await client.extensions.update(list.id, taskId, "com.example.data", { more: true })).more, true);
    assert.equal((await client.extensions.list(list.id, taskId)).length, 1);
    await client.extensions.delete(list.id, taskId, "com.example.data");
    await assert.rejects(client.extensions.get(list.id, taskId, "com.example.data"), (e: GraphRequestError) => e.status === 404);
  }
  await client.linkedResources.delete(list.id, task.id, link.id);
  await client.checklistItems.delete(list.id, task.id, step.id);
  assert.deepEqual(await client.checklistItems.list(list.id, task.id), []);
});

test("/users/{id} routes, and a bad token is a 401 GraphRequestError", async () => {
  const me = new TaskdropClient({ baseUrl: `${s.url}/v1.0`, token: await s.token({ user: "carol" }), user: "carol@taskdrop.local" });
  assert.ok((await me.lists.list()).length >= 1);
  const bad = new TaskdropClient({ baseUrl: `${s.url}/v1.0`, token: "not-a-token" });
  await assert.rejects(bad.lists.list(), (e: GraphRequestError) => e.status === 401 && e.code === "InvalidAuthenticationToken");
  assert.throws(() => new TaskdropClient({ baseUrl: "not a url" }), /absolute URL/);
});

test("attachment ids from every Location form", () => {
  const base = "https://graph.microsoft.com/v1.0/users/u/todo/lists/l/tasks/t";
  assert.equal(attachmentIdFromLocation(`${base}/Attachments('AQMkAD%3D')`), "AQMkAD=");
  assert.equal(attachmentIdFromLocation(`${base}/attachments('it''s')`), "it's");
  assert.equal(attachmentIdFromLocation(`${base}/attachments/AAMk-123`), "AAMk-123");
  assert.equal(attachmentIdFromLocation(`${base}/attachments(%27x%27)`), "x");
  assert.equal(attachmentIdFromLocation(`${base}`), undefined);
  assert.equal(attachmentIdFromLocation(null), undefined);
});
