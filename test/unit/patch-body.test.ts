// PATCH bodies as Graph accepts them: annotations dropped, read-only properties dropped when they
// carry the current value and refused when they do not; the rest left for the resource's own rules.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { Task, TaskChild, TaskList } from "../../src/domain/models.js";
import { childReadOnly, patchBody, sameReadOnlyValue, taskReadOnly } from "../../src/domain/patch-body.js";
import { applyListPatch, applyTaskPatch } from "../../src/domain/task-input.js";
import { childUpdate } from "../../src/domain/task-children.js";
import { graphTimestamp } from "../../src/domain/time.js";
import { refused } from "../helpers/refused.js";

const NOW = new Date("2025-06-07T08:09:10.123Z");
const CREATED = "2025-06-01T10:00:00.120Z";
const TASK: Task = {
  id: "AQMkTtask",
  listId: "AQMkLlist",
  ownerOid: "alice",
  createdAt: CREATED,
  lastModifiedAt: "2025-06-02T11:00:00.000Z",
  changeKey: "ck1",
  attachmentCount: 0,
  doc: { title: "Buy milk", body: { content: "", contentType: "text" }, importance: "normal", status: "notStarted", isReminderOn: false, categories: [], bodyLastModifiedDateTime: CREATED },
};
const LIST: TaskList = { id: "AQMkLlist", ownerOid: "alice", displayName: "Groceries", wellknownListName: "none", isOwner: true, isShared: false, createdAt: CREATED, changeKey: "ck2" };

/** The task as GET answers it, plus what <mgt-todo> adds: what it PATCHes back with `status` changed. */
function toolkitTask(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "@odata.context": "https://localhost/v1.0/$metadata#users('alice')/todo/lists('AQMkLlist')/tasks/$entity",
    "@odata.etag": 'W/"ck1"',
    importance: "normal",
    isReminderOn: false,
    status: "notStarted",
    title: "Buy milk",
    createdDateTime: graphTimestamp(new Date(CREATED)),
    lastModifiedDateTime: "2025-06-02T11:00:00Z",
    hasAttachments: false,
    categories: [],
    id: "AQMkTtask",
    body: { content: "", contentType: "text" },
    bodyLastModifiedDateTime: graphTimestamp(new Date(CREATED)),
    ...extra,
  };
}

describe("patchBody", () => {
  test("instance and property annotations are dropped; @odata.type and @odata.bind are left for the resource's check", () => {
    const out = patchBody(
      {
        "@odata.context": "x",
        "@odata.etag": 'W/"stale"',
        "@odata.id": "y",
        "@com.example.note": 1,
        "title@com.example.hint": "z",
        "categories@odata.type": "#Collection(String)",
        "@odata.type": "#microsoft.graph.todoTask",
        "tasks@odata.bind": ["a"],
        title: "t",
      },
      {},
    );
    assert.deepEqual(out, { "@odata.type": "#microsoft.graph.todoTask", "tasks@odata.bind": ["a"], title: "t" });
  });

  test("a read-only property with its current value is dropped; with another value it is refused by name", () => {
    assert.deepEqual(patchBody({ id: "a", title: "t" }, { id: "a" }), { title: "t" });
    refused(() => patchBody({ id: "b" }, { id: "a" }), "'id' is read-only");
    refused(() => patchBody({ isOwner: false }, { isOwner: true }), "'isOwner'");
    refused(() => patchBody({ isOwner: "true" }, { isOwner: true }), "'isOwner'");
  });

  test("an unset read-only property may be sent as null, nothing else", () => {
    assert.deepEqual(patchBody({ checkedDateTime: null }, { checkedDateTime: undefined }), {});
    refused(() => patchBody({ checkedDateTime: "2025-01-01T00:00:00Z" }, { checkedDateTime: undefined }), "'checkedDateTime'");
  });

  test("unknown and writable properties are left for the resource's own rules", () => {
    assert.deepEqual(patchBody({ colour: 1, title: null }, { id: "a" }), { colour: 1, title: null });
  });

  test("bodies that are not objects are refused", () => {
    for (const b of [null, [], "x", 1, true]) refused(() => patchBody(b, {}), "JSON object");
  });
});

describe("sameReadOnlyValue", () => {
  test("timestamps are compared as instants, whatever their form", () => {
    for (const form of ["2025-06-01T10:00:00.12Z", "2025-06-01T10:00:00.1200000Z", "2025-06-01T10:00:00.120+00:00", "2025-06-01T12:00:00.12+02:00"]) {
      assert.ok(sameReadOnlyValue(form, CREATED), form);
    }
    assert.ok(!sameReadOnlyValue("2025-06-01T10:00:00.121Z", CREATED));
    assert.ok(!sameReadOnlyValue("2025-06-01T10:00:00", CREATED), "a local time is not an instant");
    assert.ok(!sameReadOnlyValue("yesterday", CREATED));
    assert.ok(!sameReadOnlyValue(Date.parse(CREATED), CREATED), "a number is not the timestamp");
  });

  test("property: every instant equals its own Graph timestamp, and no other millisecond", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }), fc.integer({ min: 1, max: 86_400_000 }), (d, shift) => {
        const iso = d.toISOString();
        assert.ok(sameReadOnlyValue(graphTimestamp(d), iso));
        assert.ok(!sameReadOnlyValue(graphTimestamp(new Date(d.getTime() + shift)), iso));
      }),
    );
  });
});

describe("applyTaskPatch: the whole object sent back, as <mgt-todo> does", () => {
  test("completing: only status changes, completedDateTime is stamped", () => {
    const doc = applyTaskPatch(toolkitTask({ status: "completed" }), TASK, NOW);
    assert.deepEqual(doc, { ...TASK.doc, status: "completed", completedDateTime: { dateTime: "2025-06-07T08:09:10.0000000", timeZone: "UTC" } });
  });

  test("un-completing with the old completedDateTime sent back clears it (unchanged, it is not given)", () => {
    const done = { dateTime: "2025-06-05T00:00:00.0000000", timeZone: "UTC" };
    const completed: Task = { ...TASK, doc: { ...TASK.doc, status: "completed", completedDateTime: done } };
    const doc = applyTaskPatch(toolkitTask({ status: "notStarted", completedDateTime: done }), completed, NOW);
    assert.equal(doc.status, "notStarted");
    assert.equal(doc.completedDateTime, undefined);
    // A completedDateTime that differs is the client's, and wins as before.
    const other = { dateTime: "2025-06-06T00:00:00.0000000", timeZone: "UTC" };
    assert.deepEqual(applyTaskPatch({ status: "notStarted", completedDateTime: other }, completed, NOW).completedDateTime, other);
  });

  test("an unchanged body keeps bodyLastModifiedDateTime", () => {
    assert.equal(applyTaskPatch(toolkitTask({ title: "Buy oat milk" }), TASK, NOW).bodyLastModifiedDateTime, CREATED);
  });

  test("every read-only property changed is refused by name", () => {
    for (const [k, v] of [["id", "AQMkTother"], ["createdDateTime", "2020-01-01T00:00:00Z"], ["lastModifiedDateTime", "2025-06-02T11:00:01Z"], ["bodyLastModifiedDateTime", "x"], ["hasAttachments", true]] as const) {
      refused(() => applyTaskPatch(toolkitTask({ [k]: v }), TASK, NOW), `'${k}' is read-only`);
    }
    assert.deepEqual(taskReadOnly({ ...TASK, attachmentCount: 2 }).hasAttachments, true);
  });

  test("unknown, navigation and mistyped properties are still refused", () => {
    refused(() => applyTaskPatch(toolkitTask({ priority: 1 }), TASK, NOW), "'priority' does not exist");
    refused(() => applyTaskPatch(toolkitTask({ checklistItems: [] }), TASK, NOW), "'checklistItems'");
    refused(() => applyTaskPatch(toolkitTask({ "attachments@odata.bind": [] }), TASK, NOW), "'attachments@odata.bind' does not exist");
    refused(() => applyTaskPatch(toolkitTask({ status: "done" }), TASK, NOW), "'status'");
    refused(() => applyTaskPatch(toolkitTask({ "@odata.type": "#microsoft.graph.event" }), TASK, NOW), "@odata.type");
  });
});

describe("applyListPatch and childUpdate", () => {
  test("a list sent back whole renames; read-only values changed are refused", () => {
    const whole = { "@odata.context": "c", "@odata.etag": 'W/"ck2"', displayName: "Food", isOwner: true, isShared: false, wellknownListName: "none", id: "AQMkLlist" };
    assert.deepEqual(applyListPatch(whole, LIST), { displayName: "Food" });
    refused(() => applyListPatch({ ...whole, wellknownListName: "defaultList" }, LIST), "'wellknownListName'");
    refused(() => applyListPatch({ ...whole, isShared: true }, LIST), "'isShared'");
    refused(() => applyListPatch({ "@odata.etag": 'W/"ck2"', id: "AQMkLlist" }, LIST), "Nothing to change");
  });

  test("a checklistItem sent back whole: unticking removes checkedDateTime; a changed one is refused", () => {
    const item: TaskChild = { kind: "checklistItem", id: "AQMkCitem", ownerOid: "alice", listId: "l", taskId: "t", createdAt: CREATED, doc: { displayName: "Step", isChecked: true, checkedDateTime: "2025-06-03T00:00:00.000Z" } };
    const whole = { "@odata.etag": "e", displayName: "Step", createdDateTime: graphTimestamp(new Date(CREATED)), checkedDateTime: "2025-06-03T00:00:00Z", id: "AQMkCitem" };
    assert.deepEqual(childUpdate({ ...whole, isChecked: false }, item, NOW), { displayName: "Step", isChecked: false });
    refused(() => childUpdate({ ...whole, checkedDateTime: "2025-06-04T00:00:00Z" }, item, NOW), "'checkedDateTime'");
    assert.deepEqual(childReadOnly({ ...item, kind: "linkedResource" }), { id: "AQMkCitem" });
  });

  test("an open extension sent back whole keeps its data; annotations are not stored", () => {
    const ext: TaskChild = { kind: "extension", id: "microsoft.graph.openTypeExtension.com.example", ownerOid: "alice", listId: "l", taskId: "t", createdAt: CREATED, doc: { extensionName: "com.example", n: 1 } };
    const whole = { "@odata.context": "c", "@odata.type": "#microsoft.graph.openTypeExtension", id: ext.id, extensionName: "com.example", n: 2, "n@com.example.unit": "kg" };
    assert.deepEqual(childUpdate(whole, ext, NOW), { extensionName: "com.example", n: 2 });
    refused(() => childUpdate({ ...whole, id: "microsoft.graph.openTypeExtension.other" }, ext, NOW), "'id'");
  });
});
