// The next occurrence of a recurring task (patternedRecurrence: pattern + range), as To Do moves a
// recurring task on when it is completed. Dates are calendar dates (yyyy-MM-dd) in the task's own
// time zone: the pattern speaks of days, weeks, months and years, never of instants.
import type { DateTimeTimeZone, PatternedRecurrence, TaskDoc } from "./models.js";

const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;
const INDEX = ["first", "second", "third", "fourth", "last"] as const;
const DAY_MS = 86_400_000;

/** A calendar date as days since 1970-01-01 (UTC arithmetic only: no zone, no DST). */
type Day = number;

export function parseDate(s: string): Day | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (!m) return undefined;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!);
  const d = new Date(t);
  if (d.getUTCMonth() !== +m[2]! - 1 || d.getUTCDate() !== +m[3]!) return undefined;
  return t / DAY_MS;
}

export const formatDate = (d: Day): string => new Date(d * DAY_MS).toISOString().slice(0, 10);
const parts = (d: Day) => {
  const x = new Date(d * DAY_MS);
  return { y: x.getUTCFullYear(), m: x.getUTCMonth() + 1, day: x.getUTCDate(), dow: x.getUTCDay() };
};
const dayOf = (y: number, m: number, day: number): Day => Date.UTC(y, m - 1, day) / DAY_MS;
const monthLength = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

function weekdays(p: Record<string, unknown>, fallback: number): number[] {
  const raw = Array.isArray(p.daysOfWeek) ? (p.daysOfWeek as unknown[]) : [];
  const out = raw.map((v) => DAYS.indexOf(String(v).toLowerCase() as (typeof DAYS)[number])).filter((i) => i >= 0);
  return out.length > 0 ? [...new Set(out)].sort() : [fallback];
}

/** The `index`-th (or last) of the given weekdays in a month; the earliest of them when several are named. */
function relativeDay(y: number, m: number, days: number[], index: string): Day {
  const candidates = days.map((dow) => {
    const first = dayOf(y, m, 1);
    const offset = (dow - parts(first).dow + 7) % 7;
    if (index === "last") {
      const last = dayOf(y, m, monthLength(y, m));
      return last - ((parts(last).dow - dow + 7) % 7);
    }
    return first + offset + 7 * Math.max(0, INDEX.indexOf(index as (typeof INDEX)[number]));
  });
  return Math.min(...candidates);
}

/** The day of month `want` in a month, clamped to its length (the 31st in April is the 30th). */
const clampedDay = (y: number, m: number, want: number) => dayOf(y, m, Math.min(want, monthLength(y, m)));

/** The first occurrence strictly after `after`, following the pattern from `anchor` (the series' start). */
function nextByPattern(p: Record<string, unknown>, anchor: Day, after: Day): Day {
  const interval = Number.isInteger(p.interval) && (p.interval as number) >= 1 ? (p.interval as number) : 1;
  const a = parts(anchor);
  switch (p.type) {
    case "daily": {
      const steps = Math.floor((after - anchor) / interval) + 1;
      return anchor + Math.max(1, steps) * interval;
    }
    case "weekly": {
      const days = weekdays(p, a.dow);
      const firstDow = Math.max(0, DAYS.indexOf(String(p.firstDayOfWeek ?? "sunday").toLowerCase() as (typeof DAYS)[number]));
      const weekStart = (d: Day) => d - ((parts(d).dow - firstDow + 7) % 7);
      const w0 = weekStart(anchor);
      for (let d = after + 1; d <= after + 7 * interval + 7; d++) {
        if (days.includes(parts(d).dow) && Math.round((weekStart(d) - w0) / 7) % interval === 0) return d;
      }
      return after + 7 * interval;
    }
    case "absoluteMonthly":
    case "relativeMonthly":
    case "absoluteYearly":
    case "relativeYearly": {
      const yearly = p.type === "absoluteYearly" || p.type === "relativeYearly";
      const stepMonths = yearly ? 12 * interval : interval;
      const month = yearly && Number.isInteger(p.month) && (p.month as number) >= 1 && (p.month as number) <= 12 ? (p.month as number) : a.m;
      const dayOfMonth = Number.isInteger(p.dayOfMonth) && (p.dayOfMonth as number) >= 1 ? (p.dayOfMonth as number) : a.day;
      const relative = p.type === "relativeMonthly" || p.type === "relativeYearly";
      const index = typeof p.index === "string" ? p.index : "first";
      for (let k = 0; k < 400; k++) {
        const total = a.y * 12 + (yearly ? month - 1 : a.m - 1) + k * stepMonths;
        const y = Math.floor(total / 12);
        const m = (total % 12) + 1;
        const d = relative ? relativeDay(y, m, weekdays(p, a.dow), index) : clampedDay(y, m, dayOfMonth);
        if (d > after) return d;
      }
      return after + 1;
    }
    default:
      return after + interval;
  }
}

/**
 * The date of the occurrence after `current` (the completed one's due date), or null when the
 * range has ended (past `endDate`, or `numberOfOccurrences` used up counting from `startDate`).
 */
export function nextOccurrence(r: PatternedRecurrence, current: Day): Day | null {
  const range = r.range;
  const start = typeof range.startDate === "string" ? parseDate(range.startDate) : undefined;
  const anchor = start !== undefined && start <= current ? start : current;
  const next = nextByPattern(r.pattern, anchor, current);
  if (range.type === "endDate" && typeof range.endDate === "string") {
    const end = parseDate(range.endDate);
    if (end !== undefined && next > end) return null;
  }
  if (range.type === "numbered" && Number.isInteger(range.numberOfOccurrences) && (range.numberOfOccurrences as number) > 0) {
    // Count the occurrences from the series' start up to `next` (bounded: numberOfOccurrences is).
    let n = 1;
    for (let d = anchor; d < next && n <= (range.numberOfOccurrences as number); n++) d = nextByPattern(r.pattern, anchor, d);
    if (n > (range.numberOfOccurrences as number)) return null;
  }
  return next;
}

/** What completing a recurring task does: the task moves on to its next occurrence, a copy keeps the completion. */
export interface CompletedOccurrence {
  /** The task itself (same id), due at its next occurrence, not started, still recurring. */
  movedOn: TaskDoc;
  /** A new task holding the completed occurrence, without recurrence (the history stays). */
  completed: TaskDoc;
}

function shift(v: DateTimeTimeZone | undefined, days: number): DateTimeTimeZone | undefined {
  if (!v) return undefined;
  const d = parseDate(v.dateTime);
  return d === undefined ? v : { ...v, dateTime: `${formatDate(d + days)}${v.dateTime.slice(10)}` };
}

/**
 * Decides what a change from `before` to `after` does to a recurring task: null unless it completes
 * a task that has a recurrence with an occurrence left. The due date (the completion day in UTC when
 * the task had none) moves to the next occurrence; start and reminder move by as many days.
 */
export function completeRecurring(before: TaskDoc, after: TaskDoc, now: Date): CompletedOccurrence | null {
  if (before.status === "completed" || after.status !== "completed" || !after.recurrence) return null;
  const due = after.dueDateTime ?? { dateTime: `${now.toISOString().slice(0, 10)}T00:00:00.0000000`, timeZone: "UTC" };
  const current = parseDate(due.dateTime);
  if (current === undefined) return null;
  const next = nextOccurrence(after.recurrence, current);
  if (next === null) return null;
  const days = next - current;
  const movedOn: TaskDoc = { ...structuredClone(after), status: "notStarted", dueDateTime: shift(due, days)! };
  delete movedOn.completedDateTime;
  const start = shift(after.startDateTime, days);
  const reminder = shift(after.reminderDateTime, days);
  if (start) movedOn.startDateTime = start;
  if (reminder) movedOn.reminderDateTime = reminder;
  const completed: TaskDoc = structuredClone(after);
  delete completed.recurrence;
  return { movedOn, completed };
}
