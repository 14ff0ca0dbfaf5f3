import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decidePut,
  nextExpectedRangesForPut,
  nextExpectedRangesForStatus,
  type PutDecision,
  type RangeRecord,
  type SessionView,
} from "../../src/domain/upload-session.js";
import type { ContentRange } from "../../src/domain/content-range.js";
import { GraphError } from "../../src/domain/errors.js";
import { DEFAULT_RANGE_LIMIT, MAX_ATTACHMENT_BYTES } from "../../src/domain/limits.js";
import { refusedWith } from "../helpers/refused.js";

const LIMIT = DEFAULT_RANGE_LIMIT;
const bytes = (start: number, end: number, total: number): ContentRange => ({ kind: "bytes", start, end, total });
const EMPTY: ContentRange = { kind: "empty" };
const rec = (start: number, end: number): RangeRecord => ({ start, end });
const open = (size: number, committed: number, lastRange: RangeRecord | null = committed > 0 ? rec(0, committed - 1) : null): SessionView => ({
  status: "open",
  size,
  committed,
  lastRange,
});
const completed = (size: number, lastRange: RangeRecord | null = size > 0 ? rec(0, size - 1) : null): SessionView => ({
  status: "completed",
  size,
  attachmentId: "att-1",
  lastRange,
});

describe("decidePut: writes", () => {
  test("the first, a middle and the final range", () => {
    assert.deepEqual(decidePut(open(10, 0), bytes(0, 3, 10), 4, LIMIT), { action: "write", start: 0, length: 4, final: false });
    assert.deepEqual(decidePut(open(10, 4), bytes(4, 7, 10), 4, LIMIT), { action: "write", start: 4, length: 4, final: false });
    assert.deepEqual(decidePut(open(10, 8), bytes(8, 9, 10), 2, LIMIT), { action: "write", start: 8, length: 2, final: true });
  });
  test("the whole file in one range, and a lone last byte", () => {
    assert.deepEqual(decidePut(open(1, 0), bytes(0, 0, 1), 1, LIMIT), { action: "write", start: 0, length: 1, final: true });
    assert.deepEqual(decidePut(open(10, 9), bytes(9, 9, 10), 1, LIMIT), { action: "write", start: 9, length: 1, final: true });
  });
  test("a range of exactly the limit is accepted", () => {
    assert.deepEqual(decidePut(open(MAX_ATTACHMENT_BYTES, 0), bytes(0, LIMIT - 1, MAX_ATTACHMENT_BYTES), LIMIT, LIMIT), {
      action: "write",
      start: 0,
      length: LIMIT,
      final: false,
    });
  });
});

describe("decidePut: request errors", () => {
  test("no Content-Length is 411", () => {
    refusedWith(() => decidePut(open(10, 0), bytes(0, 3, 10), undefined, LIMIT), 411, "Content-Length");
  });
  test("total other than the session's size is 400 naming both", () => {
    refusedWith(() => decidePut(open(10, 0), bytes(0, 3, 11), 4, LIMIT), 400, "total 11", "size of 10 bytes");
  });
  test("Content-Length other than the range's length is 400 naming both", () => {
    refusedWith(() => decidePut(open(10, 0), bytes(0, 3, 10), 3, LIMIT), 400, "is 4 bytes", "Content-Length is 3");
    refusedWith(() => decidePut(open(10, 0), bytes(0, 3, 10), 0, LIMIT), 400, "Content-Length is 0");
  });
  test("a range over the limit is 413 saying the limit and how to set it", () => {
    const size = 20 * 1_048_576;
    const e = refusedWith(
      () => decidePut(open(size, 0), bytes(0, 5 * 1_048_576 - 1, size), 5 * 1_048_576, LIMIT),
      413,
      "at most 4194304 bytes (4 MiB)",
      "rangeSize",
      "maxSliceSize",
      "5 MiB",
      "--range-limit",
      "5242880",
    );
    assert.equal(e.code, "invalidRequest");
  });
  test("the limit in the message is the configured one", () => {
    refusedWith(() => decidePut(open(10, 0), bytes(0, 3, 10), 4, 3), 413, "at most 3 bytes.");
  });
  test("bytes */0 on a non-empty session, or with a body, is 400", () => {
    refusedWith(() => decidePut(open(10, 0), EMPTY, 0, LIMIT), 400, "'bytes */0' only completes a 0-byte", "size is 10");
    refusedWith(() => decidePut(open(0, 0), EMPTY, 5, LIMIT), 400, "Content-Length: 0, not 5");
    refusedWith(() => decidePut(open(0, 0), EMPTY, undefined, LIMIT), 411);
  });
  test("a nonsensical range limit is a programming error, not a client error", () => {
    assert.throws(() => decidePut(open(10, 0), bytes(0, 3, 10), 4, 0), RangeError);
  });
});

describe("decidePut: order of checks", () => {
  test("411 comes before anything else", () => {
    refusedWith(() => decidePut(completed(10), bytes(5, 3, 99), undefined, 1), 411);
  });
  test("400 total mismatch before 400 length mismatch before 413", () => {
    refusedWith(() => decidePut(open(10, 0), bytes(0, 8, 11), 2, 4), 400, "total 11");
    refusedWith(() => decidePut(open(10, 0), bytes(0, 8, 10), 2, 4), 400, "Content-Length is 2");
  });
  test("413 before 416: a client on a 5 MiB default hears about the limit whatever its offset", () => {
    refusedWith(() => decidePut(open(20, 4), bytes(10, 15, 20), 6, 5), 413);
    refusedWith(() => decidePut(completed(20), bytes(10, 15, 20), 6, 5), 413);
  });
  test("request errors are the same whatever the session's state", () => {
    const states = [open(10, 0), open(10, 4), completed(10)];
    const requests: Array<[ContentRange, number | undefined]> = [
      [bytes(0, 3, 11), 4],
      [bytes(0, 3, 10), 5],
      [bytes(0, 3, 10), undefined],
      [EMPTY, 0],
    ];
    for (const [range, length] of requests) {
      const details = states.map((s) => refusedWith(() => decidePut(s, range, length, LIMIT), length === undefined ? 411 : 400).detail);
      assert.equal(new Set(details).size, 1, details.join(" | "));
    }
  });
});

describe("decidePut: offsets, replays and completion", () => {
  test("a gap is 416 naming the expected offset", () => {
    const e = refusedWith(() => decidePut(open(10, 4), bytes(6, 7, 10), 2, LIMIT), 416, "starts at 6", "gap", "next expected offset is 4");
    assert.equal(e.code, "invalidRange");
  });
  test("an overlap that is not an exact replay is 416 naming the expected offset", () => {
    refusedWith(() => decidePut(open(10, 4), bytes(2, 5, 10), 4, LIMIT), 416, "overlaps", "next expected offset is 4");
    refusedWith(() => decidePut(open(10, 4, rec(2, 3)), bytes(0, 3, 10), 4, LIMIT), 416, "next expected offset is 4");
    refusedWith(() => decidePut(open(10, 4, rec(2, 3)), bytes(2, 2, 10), 1, LIMIT), 416, "next expected offset is 4");
  });
  test("an exact repeat of the last acknowledged range is a replay", () => {
    const last = rec(2, 3);
    assert.deepEqual(decidePut(open(10, 4, last), bytes(2, 3, 10), 2, LIMIT), { action: "replay", range: last });
  });
  test("a completed session replays its final range and refuses anything else with 416", () => {
    const last = rec(8, 9);
    assert.deepEqual(decidePut(completed(10, last), bytes(8, 9, 10), 2, LIMIT), { action: "replay", range: last });
    refusedWith(() => decidePut(completed(10, last), bytes(0, 1, 10), 2, LIMIT), 416, "already complete", "att-1", "bytes 8-9");
    refusedWith(() => decidePut(completed(10, last), bytes(9, 9, 10), 1, LIMIT), 416, "already complete");
  });
  test("bytes */0 completes an open 0-byte session, and replays on a completed one", () => {
    assert.deepEqual(decidePut(open(0, 0), EMPTY, 0, LIMIT), { action: "complete-empty" });
    const d = decidePut(completed(0), EMPTY, 0, LIMIT);
    assert.equal(d.action, "replay");
    assert.deepEqual(d.action === "replay" && d.range, { start: 0, end: -1 }, "the empty range, compared with no stored bytes");
  });
});

describe("nextExpectedRanges", () => {
  test("PUT answers carry a bare offset, GET status the offset with a dash, [] once completed", () => {
    assert.deepEqual(nextExpectedRangesForPut(open(10, 4)), ["4"]);
    assert.deepEqual(nextExpectedRangesForStatus(open(10, 4)), ["4-"]);
    assert.deepEqual(nextExpectedRangesForStatus(open(0, 0)), ["0-"]);
    assert.deepEqual(nextExpectedRangesForPut(completed(10)), []);
    assert.deepEqual(nextExpectedRangesForStatus(completed(10)), []);
  });
});

// --- properties ---------------------------------------------------------------------------------

/** Any session that respects the invariants: committed <= size, lastRange ends at committed - 1. */
const sessionArb: fc.Arbitrary<SessionView> = fc
  .oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: MAX_ATTACHMENT_BYTES }))
  .chain((size) =>
    fc.oneof(
      fc.integer({ min: 0, max: size }).chain((committed) =>
        (committed === 0 ? fc.constant(null) : fc.integer({ min: 0, max: committed - 1 }).map((start) => rec(start, committed - 1))).map(
          (lastRange): SessionView => ({ status: "open", size, committed, lastRange }),
        ),
      ),
      (size === 0 ? fc.constant(null) : fc.integer({ min: 0, max: size - 1 }).map((start) => rec(start, size - 1))).map(
        (lastRange): SessionView => ({ status: "completed", size, attachmentId: "att", lastRange }),
      ),
    ),
  );

/** Requests biased towards the values that matter for this session: its size, offset and last range. */
function requestArb(s: SessionView): fc.Arbitrary<[ContentRange, number | undefined, number]> {
  const committed = s.status === "open" ? s.committed : s.size;
  const near = (n: number) => fc.integer({ min: Math.max(0, n - 2), max: n + 2 });
  const point = fc.oneof(near(committed), near(s.size), near(s.lastRange?.start ?? 0), near(s.lastRange?.end ?? 0), fc.nat(s.size + 5));
  const range: fc.Arbitrary<ContentRange> = fc.oneof(
    { weight: 1, arbitrary: fc.constant(EMPTY) },
    { weight: 1, arbitrary: s.lastRange ? fc.constant(bytes(s.lastRange.start, s.lastRange.end, s.size)) : fc.constant(EMPTY) },
    {
      weight: 6,
      arbitrary: fc
        .tuple(point, point, fc.oneof(fc.constant(s.size), near(s.size).filter((n) => n > 0)))
        .filter(([a, b, t]) => Math.max(a, b) < t)
        .map(([a, b, t]) => bytes(Math.min(a, b), Math.max(a, b), t)),
    },
  );
  return range.chain((r) => {
    const exact = r.kind === "bytes" ? r.end - r.start + 1 : 0;
    const length = fc.oneof({ weight: 6, arbitrary: fc.constant(exact) }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: near(exact) });
    const limit = fc.oneof(fc.constant(LIMIT), near(exact).filter((n) => n > 0), fc.integer({ min: 1, max: 64 }));
    return fc.tuple(fc.constant(r), length, limit);
  });
}

const caseArb = sessionArb.chain((s) => requestArb(s).map(([r, l, lim]) => ({ s, r, l, lim })));

function outcome(f: () => PutDecision): PutDecision | GraphError {
  try {
    return f();
  } catch (e) {
    if (e instanceof GraphError) return e;
    throw e;
  }
}

describe("decidePut: properties", () => {
  test("every decision is sound, every refusal a 400/411/413/416 GraphError", () => {
    fc.assert(
      fc.property(caseArb, ({ s, r, l, lim }) => {
        const d = outcome(() => decidePut(s, r, l, lim));
        if (d instanceof GraphError) {
          assert.ok([400, 411, 413, 416].includes(d.status), `${d.status} ${d.detail}`);
          assert.ok(d.detail.length > 0);
          if (d.status === 416 && s.status === "open") assert.ok(d.detail.includes(`next expected offset is ${s.committed}`), d.detail);
          return;
        }
        assert.notEqual(l, undefined);
        switch (d.action) {
          case "write": {
            assert.equal(s.status, "open");
            assert.ok(s.status === "open" && r.kind === "bytes");
            assert.equal(d.start, s.committed, "writes only at the committed offset");
            assert.equal(d.start, r.start);
            assert.equal(d.length, l);
            assert.equal(d.length, r.end - r.start + 1);
            assert.ok(d.length >= 1 && d.length <= lim, "within the range limit");
            assert.ok(d.start + d.length <= s.size, "committed never exceeds size");
            assert.equal(d.final, d.start + d.length === s.size);
            break;
          }
          case "replay": {
            if (r.kind === "bytes") {
              assert.ok(s.lastRange, "replays only an acknowledged range");
              assert.deepEqual(d.range, s.lastRange);
              assert.equal(r.start, d.range.start);
              assert.equal(r.end, d.range.end);
              assert.ok(l! <= lim);
            } else {
              assert.equal(s.status, "completed");
              assert.equal(s.size, 0);
              assert.equal(l, 0);
              assert.deepEqual(d.range, { start: 0, end: -1 });
            }
            break;
          }
          case "complete-empty":
            assert.equal(s.status, "open");
            assert.equal(s.size, 0);
            assert.equal(r.kind, "empty");
            assert.equal(l, 0);
            break;
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("400/411/413 answers do not depend on the session's state", () => {
    fc.assert(
      fc.property(caseArb, ({ s, r, l, lim }) => {
        const other: SessionView =
          s.status === "open" ? { status: "completed", size: s.size, attachmentId: "x", lastRange: null } : { status: "open", size: s.size, committed: 0, lastRange: null };
        const a = outcome(() => decidePut(s, r, l, lim));
        const b = outcome(() => decidePut(other, r, l, lim));
        for (const [x, y] of [[a, b], [b, a]] as const) {
          if (x instanceof GraphError && x.status !== 416) {
            assert.ok(y instanceof GraphError, `${x.detail} only in one state`);
            assert.equal(y.status, x.status);
            assert.equal(y.detail, x.detail);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  // A client that uploads in random slices, sometimes repeating its last slice (a lost answer),
  // sometimes sending a wrong offset, an oversized slice or a lying Content-Length, must end with
  // every byte committed exactly once, in order, and a completed session.
  test("a faulty client's upload ends complete with committed == size", () => {
    const step = fc.record({
      kind: fc.constantFrom("next", "next", "next", "replay", "gap", "overlap", "oversize", "badLength", "noLength"),
      slice: fc.integer({ min: 1, max: 64 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 64 }), fc.array(step, { maxLength: 200 }), (size, limit, steps) => {
        let s: SessionView = open(size, 0);
        const written: Array<[number, number]> = [];
        const apply = (r: ContentRange, l: number | undefined) => {
          const d = outcome(() => decidePut(s, r, l, limit));
          if (d instanceof GraphError || d.action === "replay") return d;
          assert.equal(s.status, "open");
          if (s.status !== "open") return d;
          if (d.action === "complete-empty") {
            s = { status: "completed", size, attachmentId: "a", lastRange: null };
            return d;
          }
          written.push([d.start, d.length]);
          const committed = d.start + d.length;
          assert.ok(committed <= size);
          const lastRange = rec(d.start, committed - 1);
          s = d.final ? { status: "completed", size, attachmentId: "a", lastRange } : { status: "open", size, committed, lastRange };
          return d;
        };
        const next = (slice: number): [ContentRange, number] => {
          if (size === 0) return [EMPTY, 0];
          const at = s.status === "open" ? s.committed : size;
          const len = Math.max(1, Math.min(slice, limit, size - at));
          return at >= size ? [bytes(size - 1, size - 1, size), 1] : [bytes(at, at + len - 1, size), len];
        };
        for (const { kind, slice } of steps) {
          const [r, l] = next(slice);
          if (kind === "next") apply(r, l);
          else if (kind === "replay" && s.lastRange) {
            const d = apply(bytes(s.lastRange.start, s.lastRange.end, size), s.lastRange.end - s.lastRange.start + 1);
            assert.ok(!(d instanceof GraphError) && d.action === "replay");
          } else if (r.kind === "bytes") {
            const before = JSON.stringify(s);
            let d: PutDecision | GraphError;
            if (kind === "gap") d = apply(bytes(Math.min(r.start + 1, size - 1), size - 1, size), size - Math.min(r.start + 1, size - 1));
            else if (kind === "overlap") d = r.start === 0 ? apply(r, undefined) : apply(bytes(r.start - 1, r.end, size), l + 1);
            else if (kind === "oversize") {
              d = r.start + limit < size ? apply(bytes(r.start, r.start + limit, size), limit + 1) : apply(r, l + 1);
              assert.ok(d instanceof GraphError && (d.status === 413 || d.status === 400 || d.status === 416));
            }
            else if (kind === "badLength") d = apply(r, l - 1);
            else d = apply(r, undefined);
            // A fault either is refused, or (a gap/overlap that happens to be a replay or the final
            // byte) is harmless; it never moves the session unless it was a valid next range.
            if (d instanceof GraphError) assert.equal(JSON.stringify(s), before);
          }
        }
        // Finish cleanly.
        for (let i = 0; s.status === "open" && i < size + 2; i++) {
          const [r, l] = next(limit);
          const d = apply(r, l);
          assert.ok(!(d instanceof GraphError), d instanceof GraphError ? d.detail : "");
        }
        assert.equal(s.status, "completed");
        // The writes tile [0, size) in order, without gaps or overlaps.
        let at = 0;
        for (const [start, length] of written) {
          assert.equal(start, at);
          at += length;
        }
        assert.equal(at, size);
      }),
      { numRuns: 300 },
    );
  });
});
