// Graph's timestamp shapes: UTC ISO 8601 with up to 7 fractional digits, trailing zeros trimmed
// and a `Z`; dateTimeTimeZone values always carry 7 digits and no zone letter.

export function graphTimestamp(d: Date): string {
  const iso = d.toISOString(); // 2024-04-02T20:21:24.138Z
  const [main, frac = ""] = iso.slice(0, -1).split(".");
  const trimmed = frac.replace(/0+$/, "");
  return trimmed ? `${main}.${trimmed}Z` : `${main}Z`;
}

/** `innerError.date`: UTC, no fraction, no `Z`. */
export function graphErrorDate(d: Date): string {
  return d.toISOString().slice(0, 19);
}

/** A dateTimeTimeZone `dateTime` for an instant in UTC. */
export function dateTimeTimeZoneUtc(d: Date): { dateTime: string; timeZone: string } {
  return { dateTime: `${d.toISOString().slice(0, 19)}.0000000`, timeZone: "UTC" };
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$/;

/** Normalises a client's dateTime (no zone designator) to Graph's 7-digit form; undefined if invalid. */
export function normaliseDateTime(v: string): string | undefined {
  const m = DATE_TIME.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = "00", f = ""] = m;
  const check = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s));
  if (check.getUTCMonth() !== +mo! - 1 || check.getUTCDate() !== +d! || +h! > 23 || +mi! > 59 || +s > 59) return undefined;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}.${f.padEnd(7, "0")}`;
}
