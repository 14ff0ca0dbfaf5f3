// PATCH bodies as Graph accepts them (issue 14): a client that reads an entity and PATCHes the
// whole object back — as the Graph Toolkit's <mgt-todo> completes a task — succeeds and changes
// only what it changed; annotations are ignored; read-only properties sent with another value,
// unknown and navigation properties are still refused, and the refusal changes nothing.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { makeTask, type TaskFixture } from "../helpers/fixtures.js";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { changesNothing, enc, expectError } from "./_foundation.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

type Json = Record<string, unknown>;

async function fixture(user: string): Promise<TaskFixture> {
  return makeTask(s.url, await s.token({ user }));
}

/** Everything but what a write is expected to change. */
function without(o: Json, ...keys: string[]): Json {
  const c = { ...o };
  for (const k of keys) delete c[k];
  return c;
}

/** A 400 invalidRequest whose message names `fragment`. */
function refusedNaming(r: Awaited<ReturnType<typeof call>>, fragment: string): void {
  const e = expectError(r, 400, "invalidRequest", "ErrorInvalidRequest");
  assert.ok(e.innerError.message?.includes(fragment) || e.message.includes(fragment), `${r.text} lacks ${fragment}`);
}

describe("a task PATCHed whole, as <mgt-todo> ticks it", () => {
  test("completing the object POST answered, then un-completing the object PATCH answered: only status (and its stamps) change", async () => {
    const f = await fixture("patch-whole-task");
    const created = await call("POST", `${f.todo}/lists/${enc(f.listId)}/tasks`, {
      token: f.token,
      json: { title: "Water plants", importance: "high", categories: ["Home"], body: { content: "The big ones", contentType: "text" }, dueDateTime: { dateTime: "2030-05-01T17:00:00", timeZone: "UTC" } },
    });
    assert.equal(created.status, 201, created.text);
    const url = `${f.todo}/lists/${enc(f.listId)}/tasks/${enc(created.json.id)}`;
    assert.ok(created.json["@odata.context"], "the object the Toolkit holds carries @odata.context");

    const done = await call("PATCH", url, { token: f.token, json: { ...created.json, status: "completed" } });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json.status, "completed");
    assert.equal(done.json.completedDateTime.timeZone, "UTC", "completedDateTime stamped");
    const unchanged = ["@odata.etag", "lastModifiedDateTime", "status", "completedDateTime"];
    assert.deepEqual(without(done.json, ...unchanged), without(created.json, ...unchanged), "nothing else changed");
    assert.notEqual(done.json["@odata.etag"], created.json["@odata.etag"]);

    const reread = await call("GET", url, { token: f.token });
    assert.deepEqual(reread.json, done.json, "a re-read shows what PATCH answered: nothing corrupted");

    const undone = await call("PATCH", url, { token: f.token, json: { ...done.json, status: "notStarted" } });
    assert.equal(undone.status, 200, undone.text);
    assert.equal(undone.json.status, "notStarted");
    assert.equal(undone.json.completedDateTime, undefined, "the old completedDateTime sent back is not a new one: leaving completed clears it");
    assert.deepEqual(without(undone.json, ...unchanged), without(created.json, ...unchanged));
    assert.deepEqual((await call("GET", url, { token: f.token })).json, undone.json);
  });

  test("an item of the collection (no @odata.context) PATCHed whole; another annotation and a stale @odata.etag in the body are ignored", async () => {
    const f = await fixture("patch-whole-item");
    const listed = await call("GET", `${f.todo}/lists/${enc(f.listId)}/tasks`, { token: f.token });
    const item = listed.json.value[0] as Json;
    const r = await call("PATCH", f.taskUrl, {
      token: f.token,
      json: { ...item, "@odata.etag": 'W/"not-the-current-one"', "@com.example.seen": true, "title@com.example.hint": "x", title: "Renamed" },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.title, "Renamed");
    assert.equal(r.json["@com.example.seen"], undefined, "annotations are not stored");
    // If-Match is where a client asks for a precondition, and it still holds.
    expectError(await call("PATCH", f.taskUrl, { token: f.token, json: { title: "x" }, headers: { "if-match": String(item["@odata.etag"]) } }), 412, "preconditionFailed");
  });

  test("a POST still refuses @odata.etag and read-only properties (there is no current value to match)", async () => {
    const f = await fixture("patch-post-strict");
    const tasks = `${f.todo}/lists/${enc(f.listId)}/tasks`;
    await changesNothing(f.token, [tasks], async () => {
      refusedNaming(await call("POST", tasks, { token: f.token, json: { title: "x", "@odata.etag": 'W/"x"' } }), "@odata.etag");
      refusedNaming(await call("POST", tasks, { token: f.token, json: { title: "x", id: "AQMkTxxxxxxxxxxxxxxxxxxxxxxxx=" } }), "'id'");
    });
  });
});

describe("malformed whole-object task PATCHes: Graph-style 400 naming the property, nothing changed", () => {
  const variants: Array<[string, (t: Json) => Json, string]> = [
    ["another task's id", (t) => ({ ...t, id: "AQMkTxxxxxxxxxxxxxxxxxxxxxxxx=" }), "'id' is read-only"],
    ["createdDateTime changed", (t) => ({ ...t, createdDateTime: "2020-01-01T00:00:00Z" }), "'createdDateTime' is read-only"],
    ["createdDateTime not a timestamp", (t) => ({ ...t, createdDateTime: "yesterday" }), "'createdDateTime' is read-only"],
    ["hasAttachments changed", (t) => ({ ...t, hasAttachments: true }), "'hasAttachments' is read-only"],
    ["bodyLastModifiedDateTime changed", (t) => ({ ...t, bodyLastModifiedDateTime: "2020-01-01T00:00:00Z" }), "'bodyLastModifiedDateTime' is read-only"],
    ["an unknown property", (t) => ({ ...t, priority: 1 }), "'priority' does not exist"],
    ["a navigation property", (t) => ({ ...t, checklistItems: [] }), "'checklistItems'"],
    ["a binding", (t) => ({ ...t, "attachments@odata.bind": [] }), "'attachments@odata.bind'"],
    ["the wrong @odata.type", (t) => ({ ...t, "@odata.type": "#microsoft.graph.event" }), "@odata.type"],
    ["status not an enum value", (t) => ({ ...t, status: "done" }), "'status'"],
    ["title a number", (t) => ({ ...t, title: 5 }), "'title'"],
  ];
  for (const [what, make, fragment] of variants) {
    test(`${what} → 400`, async () => {
      const f = await fixture("patch-whole-bad");
      const current = (await call("GET", f.taskUrl, { token: f.token })).json as Json;
      await changesNothing(f.token, [f.taskUrl], async () => {
        refusedNaming(await call("PATCH", f.taskUrl, { token: f.token, json: make({ ...current, status: "completed" }) }), fragment);
      });
    });
  }

  test("a stale copy (lastModifiedDateTime no longer current) is refused, naming the property", async () => {
    const f = await fixture("patch-whole-stale");
    const first = (await call("GET", f.taskUrl, { token: f.token })).json as Json;
    await new Promise((r) => setTimeout(r, 5)); // the next write gets a later millisecond
    assert.equal((await call("PATCH", f.taskUrl, { token: f.token, json: { title: "Changed elsewhere" } })).status, 200);
    await changesNothing(f.token, [f.taskUrl], async () => {
      refusedNaming(await call("PATCH", f.taskUrl, { token: f.token, json: { ...first, status: "completed" } }), "'lastModifiedDateTime' is read-only");
    });
  });
});

describe("a list PATCHed whole", () => {
  test("renaming changes only displayName and the etag; a re-read agrees", async () => {
    const f = await fixture("patch-whole-list");
    const url = `${f.todo}/lists/${enc(f.listId)}`;
    const got = (await call("GET", url, { token: f.token })).json as Json;
    const r = await call("PATCH", url, { token: f.token, json: { ...got, displayName: "Renamed list" } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(without(r.json, "@odata.etag", "displayName"), without(got, "@odata.etag", "displayName"));
    assert.equal(r.json.displayName, "Renamed list");
    assert.deepEqual((await call("GET", url, { token: f.token })).json, r.json);
  });

  test("the default list sent back with its own name is a no-op; with another name it is still refused", async () => {
    const token = await s.token({ user: "patch-whole-default" });
    const lists = await call("GET", `${s.url}/v1.0/me/todo/lists`, { token });
    const def = (lists.json.value as Json[]).find((l) => l.wellknownListName === "defaultList")!;
    const url = `${s.url}/v1.0/me/todo/lists/${enc(String(def.id))}`;
    const same = await call("PATCH", url, { token, json: { "@odata.context": "x", ...def } });
    assert.equal(same.status, 200, same.text);
    assert.deepEqual(without(same.json, "@odata.context"), def);
    await changesNothing(token, [url], async () => {
      const e = expectError(await call("PATCH", url, { token, json: { ...def, displayName: "Mine" } }), 400, "invalidRequest");
      assert.match(e.message + e.innerError.message, /default task folder can't be renamed/);
    });
  });

  for (const [what, make, fragment] of [
    ["isOwner changed", (l: Json) => ({ ...l, isOwner: false }), "'isOwner' is read-only"],
    ["isShared changed", (l: Json) => ({ ...l, isShared: true }), "'isShared' is read-only"],
    ["wellknownListName changed", (l: Json) => ({ ...l, wellknownListName: "defaultList" }), "'wellknownListName' is read-only"],
    ["another list's id", (l: Json) => ({ ...l, id: "AQMkLxxxxxxxxxxxxxxxxxxxxxxxx=" }), "'id' is read-only"],
    ["an unknown property", (l: Json) => ({ ...l, colour: "red" }), "'colour' does not exist"],
    ["only annotations and unchanged read-only values", (l: Json) => ({ "@odata.etag": l["@odata.etag"], id: l.id, isOwner: l.isOwner }), "Nothing to change"],
  ] as Array<[string, (l: Json) => Json, string]>) {
    test(`${what} → 400`, async () => {
      const f = await fixture("patch-whole-list-bad");
      const url = `${f.todo}/lists/${enc(f.listId)}`;
      const got = (await call("GET", url, { token: f.token })).json as Json;
      await changesNothing(f.token, [url], async () => {
        refusedNaming(await call("PATCH", url, { token: f.token, json: make({ ...got, displayName: "Other" }) }), fragment);
      });
    });
  }
});

describe("children PATCHed whole", () => {
  test("a checklistItem ticked and unticked from the object read back", async () => {
    const f = await fixture("patch-whole-step");
    const made = await call("POST", `${f.taskUrl}/checklistItems`, { token: f.token, json: { displayName: "Step" } });
    const url = `${f.taskUrl}/checklistItems/${enc(made.json.id)}`;
    const ticked = await call("PATCH", url, { token: f.token, json: { ...made.json, isChecked: true } });
    assert.equal(ticked.status, 200, ticked.text);
    assert.ok(ticked.json.checkedDateTime, "checkedDateTime stamped");
    const unticked = await call("PATCH", url, { token: f.token, json: { ...ticked.json, isChecked: false } });
    assert.equal(unticked.status, 200, unticked.text);
    assert.equal(unticked.json.checkedDateTime, undefined);
    assert.deepEqual(without(unticked.json, "@odata.context"), without(made.json, "@odata.context"));
    await changesNothing(f.token, [url], async () => {
      refusedNaming(await call("PATCH", url, { token: f.token, json: { ...ticked.json, checkedDateTime: "2020-01-01T00:00:00Z" } }), "'checkedDateTime' is read-only");
    });
  });

  test("a linkedResource and an open extension PATCHed whole; annotations are not stored; a changed id is refused", async () => {
    const f = await fixture("patch-whole-links");
    const link = await call("POST", `${f.taskUrl}/linkedResources`, { token: f.token, json: { webUrl: "https://example.com/a", displayName: "A" } });
    const linkUrl = `${f.taskUrl}/linkedResources/${enc(link.json.id)}`;
    const linked = await call("PATCH", linkUrl, { token: f.token, json: { ...link.json, displayName: "B" } });
    assert.equal(linked.status, 200, linked.text);
    assert.deepEqual(without(linked.json, "displayName"), without(link.json, "displayName"));

    const ext = await call("POST", `${f.taskUrl}/extensions`, { token: f.token, json: { "@odata.type": "#microsoft.graph.openTypeExtension", extensionName: "com.example.tk", colour: "red" } });
    assert.equal(ext.status, 201, ext.text);
    const extUrl = `${f.taskUrl}/extensions/${enc(ext.json.id)}`;
    const got = (await call("GET", extUrl, { token: f.token })).json as Json;
    const patched = await call("PATCH", extUrl, { token: f.token, json: { ...got, colour: "blue", "colour@com.example.note": "x" } });
    assert.equal(patched.status, 200, patched.text);
    const reread = (await call("GET", extUrl, { token: f.token })).json as Json;
    assert.deepEqual(reread, { ...got, colour: "blue" }, "only the custom property changed, no annotation kept");
    await changesNothing(f.token, [extUrl, linkUrl], async () => {
      refusedNaming(await call("PATCH", extUrl, { token: f.token, json: { ...got, id: "microsoft.graph.openTypeExtension.other" } }), "'id' is read-only");
      refusedNaming(await call("PATCH", linkUrl, { token: f.token, json: { ...linked.json, id: "AQMkRxxxxxxxxxxxxxxxxxxxxxxxx=" } }), "'id' is read-only");
    });
  });
});
