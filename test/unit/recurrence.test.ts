// The next occurrence of a recurring task, per pattern and range, and what completing one does.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { PatternedRecurrence, TaskDoc } from "../../src/domain/models.js";
import { completeRecurring, formatDate, nextOccurrence, parseDate } from "../../src/domain/recurrence.js";

const d = (s: string) => parseDate(s)!;
const next = (pattern: Record<string, unknown>, from: string, range: Record<string, unknown> = { type: "noEnd", startDate: from }) => {
  const n = nextOccurrence({ pattern, range } as PatternedRecurrence, d(from));
  return n === null ? null : formatDate(n);
};

describe("nextOccurrence", () => {
  test("daily and weekly", () => {
    assert.equal(next({ type: "daily", interval: 1 }, "2026-12-31"), "2027-01-01");
    assert.equal(next({ type: "daily", interval: 3 }, "2026-02-27"), "2026-03-02");
    // 2026-12-03 is a Thursday.
    assert.equal(next({ type: "weekly", interval: 1, daysOfWeek: ["thursday"] }, "2026-12-03"), "2026-12-10");
    assert.equal(next({ type: "weekly", interval: 1, daysOfWeek: ["monday", "thursday"] }, "2026-12-03"), "2026-12-07");
    assert.equal(next({ type: "weekly", interval: 2, daysOfWeek: ["monday", "thursday"], firstDayOfWeek: "sunday" }, "2026-12-03"), "2026-12-14");
    assert.equal(next({ type: "weekly", interval: 1 }, "2026-12-03"), "2026-12-10", "the due date's weekday when none are named");
  });

  test("monthly and yearly, absolute and relative", () => {
    assert.equal(next({ type: "absoluteMonthly", interval: 1, dayOfMonth: 31 }, "2026-01-31"), "2026-02-28", "clamped to the month's length");
    assert.equal(next({ type: "absoluteMonthly", interval: 2, dayOfMonth: 15 }, "2026-11-15"), "2027-01-15");
    assert.equal(next({ type: "relativeMonthly", interval: 1, daysOfWeek: ["friday"], index: "first" }, "2026-12-04"), "2027-01-01");
    assert.equal(next({ type: "relativeMonthly", interval: 1, daysOfWeek: ["monday"], index: "last" }, "2026-12-28"), "2027-01-25");
    assert.equal(next({ type: "absoluteYearly", interval: 1, month: 2, dayOfMonth: 29 }, "2028-02-29"), "2029-02-28");
    assert.equal(next({ type: "relativeYearly", interval: 1, month: 11, daysOfWeek: ["thursday"], index: "fourth" }, "2026-11-26"), "2027-11-25");
  });

  test("ranges end: past endDate, or numberOfOccurrences used up", () => {
    assert.equal(next({ type: "daily", interval: 1 }, "2026-12-03", { type: "endDate", startDate: "2026-12-01", endDate: "2026-12-04" }), "2026-12-04");
    assert.equal(next({ type: "daily", interval: 1 }, "2026-12-04", { type: "endDate", startDate: "2026-12-01", endDate: "2026-12-04" }), null);
    assert.equal(next({ type: "daily", interval: 1 }, "2026-12-02", { type: "numbered", startDate: "2026-12-01", numberOfOccurrences: 3 }), "2026-12-03");
    assert.equal(next({ type: "daily", interval: 1 }, "2026-12-03", { type: "numbered", startDate: "2026-12-01", numberOfOccurrences: 3 }), null);
  });

  test("always strictly later, for any pattern and date", () => {
    const types = ["daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly"];
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 0, max: 40_000 }), fc.constantFrom("first", "second", "third", "fourth", "last"), (type, interval, day, index) => {
        const from = formatDate(day);
        const n = next({ type, interval, index, daysOfWeek: ["tuesday"], dayOfMonth: 30, month: 5 }, from);
        assert.ok(n !== null && n > from, `${type} every ${interval} from ${from}: ${n}`);
      }),
    );
  });
});

describe("completeRecurring", () => {
  const doc = (o: Partial<TaskDoc>): TaskDoc => ({ title: "t", body: { content: "", contentType: "text" }, importance: "normal", status: "notStarted", isReminderOn: false, categories: [], bodyLastModifiedDateTime: "2026-12-01T00:00:00Z", ...o });
  const recurrence = { pattern: { type: "weekly", interval: 1, daysOfWeek: ["thursday"] }, range: { type: "noEnd", startDate: "2026-12-03" } };
  const now = new Date("2026-12-03T18:00:00Z");

  test("the task moves on a week (due, start and reminder alike), not started; the copy is completed without recurrence", () => {
    const before = doc({ recurrence, dueDateTime: { dateTime: "2026-12-03T00:00:00.0000000", timeZone: "Europe/Paris" }, reminderDateTime: { dateTime: "2026-12-02T09:00:00.0000000", timeZone: "Europe/Paris" } });
    const after = { ...before, status: "completed" as const, completedDateTime: { dateTime: "2026-12-03T18:00:00.0000000", timeZone: "UTC" } };
    const r = completeRecurring(before, after, now)!;
    assert.equal(r.movedOn.status, "notStarted");
    assert.deepEqual(r.movedOn.dueDateTime, { dateTime: "2026-12-10T00:00:00.0000000", timeZone: "Europe/Paris" });
    assert.deepEqual(r.movedOn.reminderDateTime, { dateTime: "2026-12-09T09:00:00.0000000", timeZone: "Europe/Paris" });
    assert.equal(r.movedOn.completedDateTime, undefined);
    assert.deepEqual(r.movedOn.recurrence, recurrence);
    assert.equal(r.completed.status, "completed");
    assert.equal(r.completed.recurrence, undefined);
    assert.deepEqual(r.completed.dueDateTime, before.dueDateTime);
  });

  test("nothing special without recurrence, when already completed, when not completing, or when the range is over", () => {
    const rec = doc({ recurrence, dueDateTime: { dateTime: "2026-12-03T00:00:00.0000000", timeZone: "UTC" } });
    assert.equal(completeRecurring(doc({}), doc({ status: "completed" }), now), null);
    assert.equal(completeRecurring({ ...rec, status: "completed" }, { ...rec, status: "completed" }, now), null);
    assert.equal(completeRecurring(rec, { ...rec, status: "inProgress" }, now), null);
    const ended = { ...rec, recurrence: { ...recurrence, range: { type: "endDate", startDate: "2026-12-03", endDate: "2026-12-05" } } };
    assert.equal(completeRecurring(ended, { ...ended, status: "completed" }, now), null);
  });
});
