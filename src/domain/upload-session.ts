// The upload session's state machine and the decision for one PUT, without I/O. The service
// layer loads a SessionView under the session's lock, asks decidePut what to do, does it, and
// commits. A GraphError thrown here means: answer it, change nothing.

import { errors } from "./errors.js";
import type { ContentRange } from "./content-range.js";
import { describeBytes } from "./limits.js";
import type { RangeRecord } from "./models.js";

export type { RangeRecord };

export type SessionView =
  | { status: "open"; size: number; committed: number; lastRange: RangeRecord | null }
  | { status: "completed"; size: number; attachmentId: string; lastRange: RangeRecord | null };

export type PutDecision =
  /** Append `length` bytes at `start` (always the committed offset); `final` when they complete the session. */
  | { action: "write"; start: number; length: number; final: boolean }
  /**
   * The request repeats `range` exactly (same start and end). Compare the body with the stored
   * bytes of the range: equal → answer the current state (200 with next ranges, or 201 with the
   * Location when completed) and write nothing; different → 416.
   */
  | { action: "replay"; range: RangeRecord }
  // `bytes */0` on an open 0-byte session: create the empty attachment.
  | { action: "complete-empty" };

const SDK_OPTIONS =
  "Microsoft's SDKs default to 5 MiB slices: set `rangeSize` (JS SDK v3 LargeFileUploadTask options) or " +
  "`maxSliceSize` (.NET / Java LargeFileUploadTask) to at most this limit, or start Taskdrop with a larger `--range-limit`.";

/**
 * Decide what a PUT with this Content-Range and Content-Length does to the session.
 *
 * Order of checks, most fundamental first, so the client hears about the mistake it must fix
 * before anything else and never gets an answer that a later fix would contradict:
 *  1. 411 no Content-Length — nothing else about the body can be judged without it.
 *  2. 400 the empty form (kind "empty") used on a non-empty session or with a non-zero length.
 *  3. 400 total ≠ the session's size — the client is describing another file (or session).
 *  4. 400 end-start+1 ≠ Content-Length — the request contradicts itself.
 *  5. 413 Content-Length over the range limit — a configuration problem; the message says which
 *     SDK option fixes it. Checked before the offset so that a client on the SDKs' 5 MiB default
 *     learns it whatever offset it sends, rather than being sent to resume first.
 *  6. Session state: completed → replay of the final range or 416; open → replay of the last
 *     acknowledged range, else 416 unless start is the next expected offset (message names it).
 * Steps 1-5 depend only on the request and the session's fixed size, so they say the same thing
 * whatever state the session is in.
 */
export function decidePut(s: SessionView, range: ContentRange, contentLength: number | undefined, rangeLimit: number): PutDecision {
  if (!Number.isSafeInteger(rangeLimit) || rangeLimit < 1) throw new RangeError(`rangeLimit must be a positive integer, got ${rangeLimit}`);
  if (contentLength === undefined) throw errors.lengthRequired();

  if (range.kind === "empty") {
    if (s.size !== 0) {
      throw errors.invalidUpload(`Content-Range 'bytes */0' only completes a 0-byte upload session; this session's size is ${s.size} bytes.`);
    }
    if (contentLength !== 0) {
      throw errors.invalidUpload(`Content-Range 'bytes */0' must come with Content-Length: 0, not ${contentLength}.`);
    }
    if (s.status === "completed") {
      // Idempotent completion: the (empty) body equals the empty stored range, so 201 again.
      return { action: "replay", range: s.lastRange ?? { start: 0, end: -1 } };
    }
    return { action: "complete-empty" };
  }

  const { start, end, total } = range;
  if (total !== s.size) {
    throw errors.invalidUpload(`Content-Range total ${total} does not match the upload session's size of ${s.size} bytes.`);
  }
  const length = end - start + 1;
  if (length !== contentLength) {
    throw errors.invalidUpload(
      `Content-Range bytes ${start}-${end} is ${length} bytes but Content-Length is ${contentLength}; they must be equal (the end is inclusive).`,
    );
  }
  if (contentLength > rangeLimit) {
    throw errors.tooLarge(`This range is ${contentLength} bytes; each PUT to an upload session may carry at most ${describeBytes(rangeLimit)}. ${SDK_OPTIONS}`);
  }

  const last = s.lastRange;
  if (last !== null && last.start === start && last.end === end) return { action: "replay", range: last };

  if (s.status === "completed") {
    throw errors.invalidRange(
      `The upload session is already complete (attachment '${s.attachmentId}'); no more bytes are expected. ` +
        `Only the final range${last ? ` (bytes ${last.start}-${last.end})` : ""} may be repeated.`,
    );
  }
  if (start !== s.committed) {
    const why = start < s.committed ? `overlaps the ${s.committed} bytes already received` : `would leave a gap after the ${s.committed} bytes received`;
    throw errors.invalidRange(
      `Content-Range starts at ${start}, which ${why}; the next expected offset is ${s.committed} (nextExpectedRanges: ["${s.committed}-"]).`,
    );
  }
  return { action: "write", start, length, final: end === s.size - 1 };
}

/** nextExpectedRanges of an intermediate PUT answer: a bare start offset, as the seed shows. */
export function nextExpectedRangesForPut(s: SessionView): string[] {
  return s.status === "open" ? [String(s.committed)] : [];
}

/** nextExpectedRanges of GET status (and create): `{offset}-` with the dash (.NET splits on it); [] when completed. */
export function nextExpectedRangesForStatus(s: SessionView): string[] {
  return s.status === "open" ? [`${s.committed}-`] : [];
}
