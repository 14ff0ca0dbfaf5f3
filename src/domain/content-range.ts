// Parsing of the Content-Range and Content-Length request headers of an upload-session PUT.
//
// Accepted Content-Range forms (RFC 9110 §14.4, narrowed to what an upload session needs):
//   bytes {start}-{end}/{total}   0-based, inclusive end, start <= end < total
//   bytes */0                     completes a 0-byte session (spec Decision: HTTP has no other way
//                                 to name an empty range)
// Everything else is refused with a 400 that names what was wrong. Strictness rules:
// - the unit is `bytes`, case-insensitive (RFC 9110 range units are case-insensitive);
// - exactly one space after the unit and no other whitespace anywhere;
// - numbers are ASCII decimal digits only (no sign, no exponent, no Unicode digits) and must be
//   safe integers;
// - leading zeros are ACCEPTED (`bytes 007-9/10`): RFC 9110's grammar is `1*DIGIT`, the value is
//   unambiguous, and refusing would be stricter than HTTP itself. The same holds for Content-Length.

import { errors } from "./errors.js";

export type ContentRange =
  | { kind: "bytes"; start: number; end: number; total: number }
  | { kind: "empty" };

const EXPECTED = "expected 'bytes {start}-{end}/{total}' (0-based, inclusive end) or 'bytes */0'";
const DIGITS = /^[0-9]+$/;

/** Quote a client-supplied value for an error message, bounded so a huge header stays a short message. */
function show(value: string): string {
  const max = 64;
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** ASCII decimal digits to a safe integer, or a 400 naming the header part that overflowed. */
function toSafeInteger(digits: string, what: string): number {
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) {
    throw errors.invalidUpload(`Content-Range ${what} ${show(digits)} is too large; values must be at most ${Number.MAX_SAFE_INTEGER}.`);
  }
  return n;
}

export function parseContentRange(header: string | undefined): ContentRange {
  if (header === undefined) throw errors.invalidUpload("Content-Range header is required.");
  if (header.length === 0) throw errors.invalidUpload(`Content-Range header is empty; ${EXPECTED}.`);

  const space = header.indexOf(" ");
  if (space <= 0) throw errors.invalidUpload(`Content-Range ${show(header)} is malformed; ${EXPECTED}.`);
  const unit = header.slice(0, space);
  if (!/^bytes$/i.test(unit)) throw errors.invalidUpload(`Content-Range unit ${show(unit)} is not supported; only 'bytes' is.`);
  const spec = header.slice(space + 1);
  // Node joins repeated headers with ", ", so this also catches a header sent twice.
  if (spec.includes(",")) throw errors.invalidUpload(`Content-Range ${show(header)} names several ranges; send exactly one range per request.`);
  if (/\s/.test(spec)) throw errors.invalidUpload(`Content-Range ${show(header)} contains whitespace; ${EXPECTED}.`);

  const slash = spec.indexOf("/");
  if (slash < 0 || spec.indexOf("/", slash + 1) >= 0) {
    throw errors.invalidUpload(`Content-Range ${show(header)} is malformed; ${EXPECTED}.`);
  }
  const rangePart = spec.slice(0, slash);
  const totalPart = spec.slice(slash + 1);

  if (totalPart === "*") {
    throw errors.invalidUpload(`Content-Range ${show(header)} leaves the total size unknown ('/*'); state the upload session's size.`);
  }
  if (!DIGITS.test(totalPart)) {
    throw errors.invalidUpload(`Content-Range total ${show(totalPart)} is not a decimal number; ${EXPECTED}.`);
  }
  const total = toSafeInteger(totalPart, "total");

  if (rangePart === "*") {
    if (total !== 0) {
      throw errors.invalidUpload(
        `Content-Range 'bytes */${total}' names no bytes; the '*/' form is only accepted as 'bytes */0' to complete a 0-byte upload session.`,
      );
    }
    return { kind: "empty" };
  }

  const dash = rangePart.indexOf("-");
  const startPart = dash < 0 ? rangePart : rangePart.slice(0, dash);
  const endPart = dash < 0 ? "" : rangePart.slice(dash + 1);
  if (dash < 0 || !DIGITS.test(startPart) || !DIGITS.test(endPart)) {
    throw errors.invalidUpload(`Content-Range range ${show(rangePart)} is malformed; ${EXPECTED}.`);
  }
  const start = toSafeInteger(startPart, "start");
  const end = toSafeInteger(endPart, "end");
  if (start > end) {
    throw errors.invalidUpload(`Content-Range start ${start} is after its end ${end}; the end is inclusive, so a range of L bytes is 'bytes {start}-{start+L-1}/{total}'.`);
  }
  if (end >= total) {
    throw errors.invalidUpload(`Content-Range end ${end} must be less than the total ${total} (the end is 0-based and inclusive).`);
  }
  return { kind: "bytes", start, end, total };
}

/** The header as a client sends it. Throws RangeError on a range the parser would refuse (a caller bug). */
export function formatContentRange(range: ContentRange): string {
  if (range.kind === "empty") return "bytes */0";
  const { start, end, total } = range;
  const ok = [start, end, total].every((n) => Number.isSafeInteger(n) && n >= 0) && start <= end && end < total;
  if (!ok) throw new RangeError(`not a valid byte range: ${start}-${end}/${total}`);
  return `bytes ${start}-${end}/${total}`;
}

/**
 * Content-Length as a number; undefined when the header is absent (the caller answers 411 where a
 * length is needed). Node's HTTP parser already refuses most malformed values; this is the same check
 * for any other path that hands us a string.
 */
export function parseContentLength(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  if (!DIGITS.test(header)) throw errors.invalidUpload(`Content-Length ${show(header)} is not a decimal number of bytes.`);
  const n = Number(header);
  if (!Number.isSafeInteger(n)) throw errors.invalidUpload(`Content-Length ${show(header)} is too large.`);
  return n;
}
