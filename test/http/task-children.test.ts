// checklistItems, linkedResources and open extensions over HTTP (issue 14): the five operations
// under every version and principal form, checkedDateTime, inline creation with a task (the docs'
// example, all or nothing), $expand, delta, cascades, isolation, and every malformed body.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { makeTask, type TaskFixture } from "../helpers/fixtures.js";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { changesNothing, enc, expectError, oidOf, principals, VERSIONS } from "./_foundation.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$/;
const EXT = "microsoft.graph.openTypeExtension";
const listUrlOf = (f: TaskFixture) => `${f.todo}/lists/${enc(f.listId)}`;

async function fixture(user: string): Promise<TaskFixture> {
  return makeTask(s.url, await s.token({ user }));
}

const KINDS = [
  { seg: "checklistItems", tag: /^AQMkC/, create: { displayName: "Buy milk" }, patch: { displayName: "Buy oat milk" }, changed: "displayName" },
  { seg: "linkedResources", tag: /^AQMkR/, create: { webUrl: "https://example.com/a", applicationName: "Example", displayName: "A", externalId: "a-1" }, patch: { displayName: "B" }, changed: "displayName" },
  { seg: "extensions", tag: /^microsoft\.graph\.openTypeExtension\.com\.example\.x$/, create: { "@odata.type": `#${EXT}`, extensionName: "com.example.x", colour: "red" }, patch: { colour: "blue" }, changed: "colour" },
] as const;

describe("the five operations under every version and principal form", () => {
  for (const version of VERSIONS) {
    for (const p of principals("children-crud")) {
      for (const k of KINDS) {
        test(`${version} ${p.name} ${k.seg}: POST (201 + Location), GET one, GET collection, PATCH, DELETE`, async () => {
          const token = await s.token({ user: "children-crud" });
          const f = await makeTask(s.url, token, version);
          const base = `${s.url}/${version}/${p.path}/todo/lists/${enc(f.listId)}/tasks/${enc(f.taskId)}/${k.seg}`;
          const made = await call("POST", base, { token, json: k.create });
          assert.equal(made.status, 201, made.text);
          assert.match(made.json.id, k.tag);
          const ctx = `${s.url}/${version}/$metadata#users('${oidOf("children-crud")}')/todo/lists('${enc(f.listId)}')/tasks('${enc(f.taskId)}')/${k.seg}`;
          assert.equal(made.json["@odata.context"], `${ctx}/$entity`);
          const location = made.headers.get("location")!;
          assert.equal(location, `${s.url}/${version}/users/${oidOf("children-crud")}/todo/lists/${f.listId}/tasks/${f.taskId}/${k.seg}/${made.json.id}`);
          const one = await call("GET", location, { token });
          assert.equal(one.status, 200, one.text);
          assert.deepEqual(one.json, made.json);
          const coll = await call("GET", base, { token });
          assert.equal(coll.json["@odata.context"], ctx);
          assert.deepEqual(coll.json.value.map((x: { id: string }) => x.id), [made.json.id]);
          const patched = await call("PATCH", `${base}/${enc(made.json.id)}`, { token, json: k.patch });
          assert.equal(patched.status, 200, patched.text);
          assert.equal(patched.json[k.changed], (k.patch as Record<string, unknown>)[k.changed]);
          assert.equal((await call("DELETE", `${base}/${enc(made.json.id)}`, { token })).status, 204);
          expectError(await call("GET", `${base}/${enc(made.json.id)}`, { token }), 404, "itemNotFound");
          expectError(await call("DELETE", `${base}/${enc(made.json.id)}`, { token }), 404, "itemNotFound");
        });
      }
    }
  }
});

describe("checklistItems", () => {
  test("shape as Graph's; checkedDateTime set when isChecked turns true, removed when false", async () => {
    const f = await fixture("steps-shape");
    const made = await call("POST", `${f.taskUrl}/checklistItems`, { token: f.token, json: { displayName: "Step" } });
    assert.deepEqual(Object.keys(made.json).sort(), ["@odata.context", "createdDateTime", "displayName", "id", "isChecked"]);
    assert.equal(made.json.isChecked, false);
    assert.match(made.json.createdDateTime, TIMESTAMP);
    const url = `${f.taskUrl}/checklistItems/${enc(made.json.id)}`;
    const checked = await call("PATCH", url, { token: f.token, json: { isChecked: true } });
    assert.equal(checked.json.isChecked, true);
    assert.match(checked.json.checkedDateTime, TIMESTAMP);
    const again = await call("PATCH", url, { token: f.token, json: { isChecked: true, displayName: "Renamed" } });
    assert.equal(again.json.checkedDateTime, checked.json.checkedDateTime, "checking a checked item keeps its time");
    const unchecked = await call("PATCH", url, { token: f.token, json: { isChecked: false } });
    assert.equal(unchecked.json.isChecked, false);
    assert.equal(unchecked.json.checkedDateTime, undefined);
    const born = await call("POST", `${f.taskUrl}/checklistItems`, { token: f.token, json: { displayName: "Done already", isChecked: true } });
    assert.match(born.json.checkedDateTime, TIMESTAMP);
  });

  test("paged like tasks: $top/$skip with nextLink, $select, $filter", async () => {
    const f = await fixture("steps-paging");
    for (const n of ["a", "b", "c"]) await call("POST", `${f.taskUrl}/checklistItems`, { token: f.token, json: { displayName: n, isChecked: n === "b" } });
    const first = await call("GET", `${f.taskUrl}/checklistItems?$top=2`, { token: f.token });
    assert.deepEqual(first.json.value.map((x: { displayName: string }) => x.displayName), ["a", "b"]);
    const next = await call("GET", first.json["@odata.nextLink"], { token: f.token });
    assert.deepEqual(next.json.value.map((x: { displayName: string }) => x.displayName), ["c"]);
    assert.equal(next.json["@odata.nextLink"], undefined);
    const skipped = await call("GET", `${f.taskUrl}/checklistItems?$skip=2`, { token: f.token });
    assert.equal(skipped.json.value.length, 1);
    const selected = await call("GET", `${f.taskUrl}/checklistItems?$select=displayName`, { token: f.token });
    assert.deepEqual(Object.keys(selected.json.value[0]).sort(), ["displayName", "id"]);
    const filtered = await call("GET", `${f.taskUrl}/checklistItems?$filter=isChecked eq true`, { token: f.token });
    assert.deepEqual(filtered.json.value.map((x: { displayName: string }) => x.displayName), ["b"]);
    expectError(await call("GET", `${f.taskUrl}/checklistItems?$select=title`, { token: f.token }), 400, "invalidRequest");
    expectError(await call("GET", `${f.taskUrl}/checklistItems?$top=x`, { token: f.token }), 400, "invalidRequest");
  });

  const bad: Array<[string, unknown]> = [
    ["no displayName", { isChecked: true }],
    ["displayName a number", { displayName: 1 }],
    ["displayName empty", { displayName: " " }],
    ["displayName over 255 characters", { displayName: "x".repeat(256) }],
    ["isChecked a string", { displayName: "x", isChecked: "yes" }],
    ["read-only id", { displayName: "x", id: "AQMkCxxxxxxxxxxxxxxxxxxxxxxxx=" }],
    ["read-only createdDateTime", { displayName: "x", createdDateTime: "2020-01-01T00:00:00Z" }],
    ["read-only checkedDateTime", { displayName: "x", checkedDateTime: "2020-01-01T00:00:00Z" }],
    ["an unknown property", { displayName: "x", title: "y" }],
    ["the wrong @odata.type", { "@odata.type": "#microsoft.graph.todoTask", displayName: "x" }],
    ["an array", [{ displayName: "x" }]],
  ];
  for (const [what, body] of bad) {
    test(`POST with ${what} → 400, nothing created`, async () => {
      const f = await fixture("steps-bad");
      await changesNothing(f.token, [`${f.taskUrl}/checklistItems`, f.taskUrl], async () => {
        expectError(await call("POST", `${f.taskUrl}/checklistItems`, { token: f.token, json: body }), 400, "invalidRequest", "ErrorInvalidRequest");
      });
    });
  }
  test("PATCH with a read-only or mistyped property → 400, nothing changed", async () => {
    const f = await fixture("steps-bad-patch");
    const made = await call("POST", `${f.taskUrl}/checklistItems`, { token: f.token, json: { displayName: "x" } });
    const url = `${f.taskUrl}/checklistItems/${enc(made.json.id)}`;
    for (const body of [{ checkedDateTime: "2020-01-01T00:00:00Z" }, { isChecked: 1 }, { displayName: null }, { createdDateTime: "x" }]) {
      await changesNothing(f.token, [url], async () => {
        expectError(await call("PATCH", url, { token: f.token, json: body }), 400, "invalidRequest");
      });
    }
  });
});

describe("linkedResources", () => {
  test("optional strings; PATCH with null clears one", async () => {
    const f = await fixture("links-shape");
    const made = await call("POST", `${f.taskUrl}/linkedResources`, { token: f.token, json: { displayName: "Only a name" } });
    assert.equal(made.status, 201, made.text);
    assert.deepEqual(Object.keys(made.json).sort(), ["@odata.context", "displayName", "id"]);
    const url = `${f.taskUrl}/linkedResources/${enc(made.json.id)}`;
    const patched = await call("PATCH", url, { token: f.token, json: { webUrl: "https://example.com/", displayName: null } });
    assert.equal(patched.json.webUrl, "https://example.com/");
    assert.equal(patched.json.displayName, undefined);
  });
  for (const [what, body] of [
    ["webUrl not a URL", { webUrl: "not a url" }],
    ["webUrl a number", { webUrl: 5 }],
    ["webUrl over 2048 characters", { webUrl: `https://example.com/${"a".repeat(2048)}` }],
    ["read-only id", { id: "x" }],
    ["an unknown property", { url: "https://example.com/" }],
  ] as Array<[string, unknown]>) {
    test(`POST with ${what} → 400`, async () => {
      const f = await fixture("links-bad");
      expectError(await call("POST", `${f.taskUrl}/linkedResources`, { token: f.token, json: body }), 400, "invalidRequest");
    });
  }
});

describe("open extensions", () => {
  test("custom properties kept as sent; by name or by id; PATCH merges, null removes; a name once per resource", async () => {
    const f = await fixture("ext-shape");
    for (const parent of [f.taskUrl, listUrlOf(f)]) {
      const body = { "@odata.type": EXT, extensionName: "com.example.deal", amount: 12.5, tags: ["a", { b: [1, null] }], nested: { deep: { x: true } } };
      const made = await call("POST", `${parent}/extensions`, { token: f.token, json: body });
      assert.equal(made.status, 201, made.text);
      assert.equal(made.json.id, `${EXT}.com.example.deal`);
      assert.equal(made.json["@odata.type"], `#${EXT}`);
      assert.deepEqual(made.json.tags, body.tags);
      assert.deepEqual(made.json.nested, body.nested);
      const byName = await call("GET", `${parent}/extensions/com.example.deal`, { token: f.token });
      const byId = await call("GET", `${parent}/extensions/${EXT}.com.example.deal`, { token: f.token });
      assert.deepEqual(byName.json, made.json);
      assert.deepEqual(byId.json, made.json);
      const patched = await call("PATCH", `${parent}/extensions/com.example.deal`, { token: f.token, json: { amount: null, extra: "y" } });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.json.amount, undefined);
      assert.equal(patched.json.extra, "y");
      assert.deepEqual(patched.json.tags, body.tags);
      expectError(await call("POST", `${parent}/extensions`, { token: f.token, json: body }), 409, "conflict", "ErrorItemAlreadyExists");
      const coll = await call("GET", `${parent}/extensions`, { token: f.token });
      assert.equal(coll.json.value.length, 1);
    }
  });
  for (const [what, body] of [
    ["no @odata.type", { extensionName: "a" }],
    ["another @odata.type", { "@odata.type": "#microsoft.graph.todoTask", extensionName: "a" }],
    ["no extensionName", { "@odata.type": EXT }],
    ["an extensionName with a slash", { "@odata.type": EXT, extensionName: "a/b" }],
    ["read-only id", { "@odata.type": EXT, extensionName: "a", id: "x" }],
    ["an annotation", { "@odata.type": EXT, extensionName: "a", "x@odata.type": "y" }],
    ["data over 4096 characters", { "@odata.type": EXT, extensionName: "a", blob: "x".repeat(4096) }],
  ] as Array<[string, unknown]>) {
    test(`POST with ${what} → 400`, async () => {
      const f = await fixture("ext-bad");
      expectError(await call("POST", `${f.taskUrl}/extensions`, { token: f.token, json: body }), 400, "invalidRequest");
    });
  }
  test("renaming by PATCH → 400; a malformed name in the path → 400; more than 10 → 400", async () => {
    const f = await fixture("ext-limits");
    await call("POST", `${f.taskUrl}/extensions`, { token: f.token, json: { "@odata.type": EXT, extensionName: "e0" } });
    expectError(await call("PATCH", `${f.taskUrl}/extensions/e0`, { token: f.token, json: { extensionName: "other" } }), 400, "invalidRequest");
    expectError(await call("GET", `${f.taskUrl}/extensions/${enc("a b")}`, { token: f.token }), 400, "invalidRequest", "ErrorInvalidIdMalformed");
    for (let i = 1; i < 10; i++) assert.equal((await call("POST", `${f.taskUrl}/extensions`, { token: f.token, json: { "@odata.type": EXT, extensionName: `e${i}` } })).status, 201);
    expectError(await call("POST", `${f.taskUrl}/extensions`, { token: f.token, json: { "@odata.type": EXT, extensionName: "e10" } }), 400, "invalidRequest");
  });
});

describe("inline creation with the task", () => {
  test("the docs' Create-task example (one linkedResource inline) → 201 with the linked resource", async () => {
    const f = await fixture("inline-docs");
    const list = `${listUrlOf(f)}/tasks`;
    // As in Microsoft's "Create todoTask" example (todotasklist-post-tasks).
    const body = {
      title: "A new task",
      categories: ["Important"],
      linkedResources: [{ webUrl: "http://microsoft.com", applicationName: "Microsoft", displayName: "Microsoft" }],
    };
    const r = await call("POST", list, { token: f.token, json: body });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.linkedResources.length, 1);
    assert.equal(r.json.linkedResources[0].webUrl, "http://microsoft.com");
    const links = await call("GET", `${list}/${enc(r.json.id)}/linkedResources`, { token: f.token });
    assert.deepEqual(links.json.value, r.json.linkedResources);
  });

  test("checklistItems and extensions inline; $expand returns them on the task and the collection", async () => {
    const f = await fixture("inline-expand");
    const list = `${listUrlOf(f)}/tasks`;
    const r = await call("POST", list, {
      token: f.token,
      json: { title: "With steps", checklistItems: [{ displayName: "one" }, { displayName: "two", isChecked: true }], extensions: [{ "@odata.type": EXT, extensionName: "x", v: 1 }] },
    });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.checklistItems.map((c: { displayName: string }) => c.displayName), ["one", "two"]);
    assert.equal(r.json.linkedResources, undefined, "only what was sent");
    const url = `${list}/${enc(r.json.id)}`;
    const plain = await call("GET", url, { token: f.token });
    assert.equal(plain.json.checklistItems, undefined, "no $expand, no children");
    const one = await call("GET", `${url}?$expand=checklistItems,linkedResources,extensions&$select=title`, { token: f.token });
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.json.checklistItems, r.json.checklistItems);
    assert.deepEqual(one.json.linkedResources, []);
    assert.equal(one.json.extensions[0].v, 1);
    assert.equal(one.json.status, undefined, "$select still applies to the task");
    const coll = await call("GET", `${list}?$expand=checklistItems`, { token: f.token });
    const byId = new Map(coll.json.value.map((t: { id: string; checklistItems: unknown[] }) => [t.id, t.checklistItems]));
    assert.equal((byId.get(r.json.id) as unknown[]).length, 2);
    assert.deepEqual(byId.get(f.taskId), [], "a task without steps expands to []");
  });

  for (const [what, body, inner] of [
    ["two linkedResources (Graph: InvalidModel)", { title: "x", linkedResources: [{ displayName: "a" }, { displayName: "b" }] }, "InvalidModel"],
    ["a bad checklistItem after a good one", { title: "x", checklistItems: [{ displayName: "ok" }, { displayName: 5 }] }, "ErrorInvalidRequest"],
    ["a bad extension", { title: "x", extensions: [{ extensionName: "no-type" }] }, "ErrorInvalidRequest"],
    ["an extension twice", { title: "x", extensions: [{ "@odata.type": EXT, extensionName: "d" }, { "@odata.type": EXT, extensionName: "d" }] }, "ErrorInvalidRequest"],
    ["a bad task with good children", { title: 5, checklistItems: [{ displayName: "ok" }] }, "ErrorInvalidRequest"],
    ["linkedResources not an array", { title: "x", linkedResources: { displayName: "a" } }, "ErrorInvalidRequest"],
    ["more than 100 checklistItems", { title: "x", checklistItems: Array.from({ length: 101 }, (_, i) => ({ displayName: `s${i}` })) }, "ErrorInvalidRequest"],
  ] as Array<[string, unknown, string]>) {
    test(`${what} → 400, nothing created`, async () => {
      const f = await fixture("inline-bad");
      const list = `${listUrlOf(f)}/tasks`;
      await changesNothing(f.token, [list], async () => {
        expectError(await call("POST", list, { token: f.token, json: body }), 400, "invalidRequest", inner);
      });
    });
  }

  test("$expand of an unknown property, of attachments, or with an option Taskdrop refuses → 400", async () => {
    const f = await fixture("expand-bad");
    for (const q of ["$expand=steps", "$expand=attachments", "$expand=checklistItems($skip=1)"]) {
      expectError(await call("GET", `${f.taskUrl}?${q}`, { token: f.token }), 400, "invalidRequest");
      expectError(await call("GET", `${listUrlOf(f)}/tasks?${q}`, { token: f.token }), 400, "invalidRequest");
    }
  });
});

describe("parents, isolation and change tracking", () => {
  test("deleting the task deletes its children; a missing parent or another user's is 404", async () => {
    const f = await fixture("children-cascade");
    const step = await call("POST", `${f.taskUrl}/checklistItems`, { token: f.token, json: { displayName: "x" } });
    const stepUrl = `${f.taskUrl}/checklistItems/${enc(step.json.id)}`;
    const other = await s.token({ user: "children-intruder" });
    // The same path under the intruder's own /me names nothing of theirs; the owner's path is refused.
    expectError(await call("GET", stepUrl, { token: other }), 404, "itemNotFound");
    expectError(await call("PATCH", stepUrl, { token: other, json: { displayName: "mine" } }), 404, "itemNotFound");
    expectError(await call("DELETE", stepUrl, { token: other }), 404, "itemNotFound");
    expectError(await call("POST", `${f.taskUrl}/checklistItems`, { token: other, json: { displayName: "x" } }), 404, "itemNotFound");
    expectError(await call("GET", step.headers.get("location")!, { token: other }), 403, "accessDenied");
    assert.equal((await call("GET", stepUrl, { token: f.token })).json.displayName, "x", "the intruder changed nothing");
    assert.equal((await call("DELETE", f.taskUrl, { token: f.token })).status, 204);
    expectError(await call("GET", `${f.taskUrl}/checklistItems`, { token: f.token }), 404, "itemNotFound");
    expectError(await call("POST", `${f.taskUrl}/checklistItems`, { token: f.token, json: { displayName: "x" } }), 404, "itemNotFound");
  });

  test("malformed ids in the path → 400 ErrorInvalidIdMalformed; a read-only token can read but not write", async () => {
    const f = await fixture("children-ids");
    expectError(await call("GET", `${f.taskUrl}/checklistItems/nope`, { token: f.token }), 400, "invalidRequest", "ErrorInvalidIdMalformed");
    expectError(await call("GET", `${f.taskUrl}/linkedResources/AQMkC${"A".repeat(24)}=`, { token: f.token }), 400, "invalidRequest", "ErrorInvalidIdMalformed");
    expectError(await call("GET", `${f.taskUrl}/checklistItems/AQMkC${"A".repeat(24)}=`, { token: f.token }), 404, "itemNotFound");
    const ro = await s.token({ user: "children-ids", scopes: ["Tasks.Read"] });
    assert.equal((await call("GET", `${f.taskUrl}/checklistItems`, { token: ro })).status, 200);
    expectError(await call("POST", `${f.taskUrl}/checklistItems`, { token: ro, json: { displayName: "x" } }), 403, "accessDenied");
  });

  test("a child's write shows its task in the next delta round", async () => {
    const f = await fixture("children-delta");
    let link = `${listUrlOf(f)}/tasks/delta`;
    for (;;) {
      const r = await call("GET", link, { token: f.token });
      if (r.json["@odata.deltaLink"]) {
        link = r.json["@odata.deltaLink"];
        break;
      }
      link = r.json["@odata.nextLink"];
    }
    await call("POST", `${f.taskUrl}/checklistItems`, { token: f.token, json: { displayName: "x" } });
    const r = await call("GET", link, { token: f.token });
    assert.deepEqual(r.json.value.map((t: { id: string }) => t.id), [f.taskId]);
  });
});
