import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { GraphError } from "../../src/domain/errors.js";
import type { TaskDoc } from "../../src/domain/models.js";
import { applyListInput, applyTaskInput, MAX_TITLE } from "../../src/domain/task-input.js";
import { refused } from "../helpers/refused.js";

const NOW = new Date("2025-06-07T08:09:10.123Z");
const LATER = new Date("2025-06-08T00:00:00.000Z");


const create = (body: unknown) => applyTaskInput(body, undefined, NOW);

describe("applyTaskInput: creating", () => {
  test("defaults for everything but the title", () => {
    assert.deepEqual(create({ title: "t" }), {
      title: "t",
      body: { content: "", contentType: "text" },
      importance: "normal",
      status: "notStarted",
      isReminderOn: false,
      categories: [],
      bodyLastModifiedDateTime: NOW.toISOString(),
    });
  });

  test("title is required and a string of at most 255 characters", () => {
    refused(() => create({}), "'title' is required");
    refused(() => create({ title: 1 }), "'title'");
    assert.equal(create({ title: "x".repeat(MAX_TITLE) }).title.length, MAX_TITLE);
    refused(() => create({ title: "x".repeat(MAX_TITLE + 1) }), "255");
  });

  test("dateTimeTimeZone: 7 fractional digits, the given timeZone kept, UTC when none", () => {
    const t = create({
      title: "t",
      dueDateTime: { dateTime: "2024-03-31T22:00", timeZone: "Pacific Standard Time" },
      startDateTime: { "@odata.type": "microsoft.graph.dateTimeTimeZone", dateTime: "2024-03-31T22:00:01.1" },
    });
    assert.deepEqual(t.dueDateTime, { dateTime: "2024-03-31T22:00:00.0000000", timeZone: "Pacific Standard Time" });
    assert.deepEqual(t.startDateTime, { dateTime: "2024-03-31T22:00:01.1000000", timeZone: "UTC" });
  });

  test("a UTC designator is accepted for UTC, refused with another time zone", () => {
    const z = create({ title: "t", dueDateTime: { dateTime: "2024-03-31T22:00:00.000Z", timeZone: "UTC" } });
    assert.deepEqual(z.dueDateTime, { dateTime: "2024-03-31T22:00:00.0000000", timeZone: "UTC" });
    const plus = create({ title: "t", dueDateTime: { dateTime: "2024-03-31T22:00:00+00:00" } });
    assert.deepEqual(plus.dueDateTime, { dateTime: "2024-03-31T22:00:00.0000000", timeZone: "UTC" });
    refused(() => create({ title: "t", dueDateTime: { dateTime: "2024-03-31T22:00:00Z", timeZone: "Tokyo Standard Time" } }), "dueDateTime");
    refused(() => create({ title: "t", dueDateTime: { dateTime: "2024-03-31T22:00:00+09:00", timeZone: "UTC" } }), "dueDateTime");
  });

  test("impossible or malformed dates are refused", () => {
    for (const dateTime of ["2024-02-30T00:00:00", "2023-02-29T00:00:00", "2024-01-01T24:00:00", "2024-01-01T00:60:00", "2024-01-01", "2024-1-1T00:00:00", "", "2024-01-01T00:00:00.12345678"]) {
      refused(() => create({ title: "t", dueDateTime: { dateTime, timeZone: "UTC" } }), "dueDateTime");
    }
    assert.ok(create({ title: "t", dueDateTime: { dateTime: "2024-02-29T23:59:59.9999999", timeZone: "UTC" } }).dueDateTime);
  });

  test("created completed: completedDateTime is now, unless given", () => {
    assert.deepEqual(create({ title: "t", status: "completed" }).completedDateTime, { dateTime: "2025-06-07T08:09:10.0000000", timeZone: "UTC" });
    const given = { dateTime: "2020-01-01T00:00:00.0000000", timeZone: "UTC" };
    assert.deepEqual(create({ title: "t", status: "completed", completedDateTime: given }).completedDateTime, given);
  });

  test("unknown, read-only and navigation properties are refused by name", () => {
    refused(() => create({ title: "t", colour: 1 }), "'colour'");
    for (const k of ["id", "createdDateTime", "lastModifiedDateTime", "bodyLastModifiedDateTime", "hasAttachments", "@odata.etag"]) {
      refused(() => create({ title: "t", [k]: "x" }), `'${k}'`);
    }
    for (const k of ["attachments", "checklistItems", "linkedResources", "extensions"]) refused(() => create({ title: "t", [k]: [] }), `'${k}'`);
    refused(() => create({ "@odata.type": "#microsoft.graph.event", title: "t" }), "@odata.type");
    assert.doesNotThrow(() => create({ "@odata.type": "#microsoft.graph.todoTask", title: "t" }));
  });

  test("bodies that are not objects are refused", () => {
    for (const b of [null, [], "x", 1, true]) refused(() => create(b), "JSON object");
  });

  test("recurrence is checked and kept", () => {
    const rec = { pattern: { type: "daily", interval: 1 }, range: { type: "numbered", startDate: "2025-01-01", numberOfOccurrences: 3 } };
    assert.deepEqual(create({ title: "t", recurrence: rec }).recurrence, rec);
    refused(() => create({ title: "t", recurrence: { pattern: { type: "daily", interval: 0 }, range: {} } }), "interval");
    refused(() => create({ title: "t", recurrence: { pattern: { type: "daily" }, range: { type: "forever" } } }), "range.type");
    refused(() => create({ title: "t", recurrence: { pattern: { type: "daily" }, range: { startDate: "01/02/2025" } } }), "startDate");
    refused(() => create({ title: "t", recurrence: { pattern: { type: "daily", note: "x".repeat(5000) }, range: {} } }), "too large");
  });
});

describe("applyTaskInput: updating", () => {
  const base: TaskDoc = create({
    title: "t",
    body: { content: "b", contentType: "html" },
    importance: "high",
    categories: ["c"],
    dueDateTime: { dateTime: "2030-01-01T00:00:00", timeZone: "UTC" },
  });

  test("changes only what is given and never mutates the current document", () => {
    const frozen = structuredClone(base);
    const next = applyTaskInput({ importance: "low" }, base, LATER);
    assert.deepEqual(base, frozen);
    assert.deepEqual(next, { ...base, importance: "low" });
    assert.deepEqual(applyTaskInput({}, base, LATER), base);
  });

  test("body merges content and contentType; bodyLastModifiedDateTime moves only when the body changes", () => {
    const same = applyTaskInput({ body: { content: "b" } }, base, LATER);
    assert.equal(same.bodyLastModifiedDateTime, base.bodyLastModifiedDateTime);
    const changed = applyTaskInput({ body: { content: "new" } }, base, LATER);
    assert.deepEqual(changed.body, { content: "new", contentType: "html" });
    assert.equal(changed.bodyLastModifiedDateTime, LATER.toISOString());
  });

  test("null removes optional dates and recurrence; reminderDateTime drives isReminderOn unless given", () => {
    assert.equal("dueDateTime" in applyTaskInput({ dueDateTime: null }, base, LATER), false);
    const on = applyTaskInput({ reminderDateTime: { dateTime: "2030-01-01T08:00:00", timeZone: "UTC" } }, base, LATER);
    assert.equal(on.isReminderOn, true);
    assert.equal(applyTaskInput({ reminderDateTime: null }, on, LATER).isReminderOn, false);
    assert.equal(applyTaskInput({ reminderDateTime: { dateTime: "2030-01-01T08:00:00" }, isReminderOn: false }, base, LATER).isReminderOn, false);
  });

  test("entering completed stamps completedDateTime once; leaving it removes it", () => {
    const done = applyTaskInput({ status: "completed" }, base, LATER);
    assert.deepEqual(done.completedDateTime, { dateTime: "2025-06-08T00:00:00.0000000", timeZone: "UTC" });
    const still = applyTaskInput({ status: "completed", title: "again" }, done, new Date("2026-01-01T00:00:00Z"));
    assert.deepEqual(still.completedDateTime, done.completedDateTime);
    for (const status of ["notStarted", "inProgress", "waitingOnOthers", "deferred"]) {
      assert.equal("completedDateTime" in applyTaskInput({ status }, done, LATER), false, status);
    }
  });

  test("the title may not be removed", () => {
    refused(() => applyTaskInput({ title: null }, base, LATER), "'title'");
  });

  test("a refused PATCH leaves the current document as it was (no partial application)", () => {
    const frozen = structuredClone(base);
    refused(() => applyTaskInput({ title: "changed", importance: "urgent" }, base, LATER));
    assert.deepEqual(base, frozen);
  });
});

describe("applyListInput", () => {
  test("displayName is required on create, trimmed of nothing, at most 255 non-blank characters", () => {
    assert.deepEqual(applyListInput({ displayName: " Groceries " }, true), { displayName: " Groceries " });
    refused(() => applyListInput({}, true), "required");
    refused(() => applyListInput({}, false), "displayName");
    refused(() => applyListInput({ displayName: "  " }, true), "empty");
    refused(() => applyListInput({ displayName: "x".repeat(256) }, true), "255");
    refused(() => applyListInput({ displayName: 1 }, true), "string");
    refused(() => applyListInput({ displayName: "ok", wellknownListName: "defaultList" }, true), "read-only");
    refused(() => applyListInput({ displayName: "ok", tasks: [] }, true), "tasks");
    refused(() => applyListInput({ displayName: "ok", extra: 1 }, true), "extra");
  });
});

describe("fuzz", () => {
  test("arbitrary JSON bodies are either accepted or refused with a 400, never another error", () => {
    const keys = fc.constantFrom("title", "body", "importance", "status", "isReminderOn", "categories", "dueDateTime", "startDateTime", "reminderDateTime", "completedDateTime", "recurrence", "id", "x", "@odata.type");
    fc.assert(
      fc.property(fc.dictionary(keys, fc.jsonValue({ maxDepth: 3 })), fc.boolean(), (body, patch) => {
        try {
          const doc = applyTaskInput(body, patch ? structuredClone(create({ title: "t" })) : undefined, NOW);
          assert.equal(typeof doc.title, "string");
          assert.ok(doc.title.length <= MAX_TITLE);
        } catch (e) {
          assert.ok(e instanceof GraphError && e.status === 400, `threw ${String(e)} for ${JSON.stringify(body)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
