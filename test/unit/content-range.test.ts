import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatContentRange, parseContentLength, parseContentRange, type ContentRange } from "../../src/domain/content-range.js";
import { GraphError } from "../../src/domain/errors.js";
import { refused } from "../helpers/refused.js";

const MAX = Number.MAX_SAFE_INTEGER;


/** A valid bytes range: 0 <= start <= end < total <= MAX_SAFE_INTEGER. */
const validRange = fc
  .integer({ min: 1, max: MAX })
  .chain((total) => fc.tuple(fc.integer({ min: 0, max: total - 1 }), fc.integer({ min: 0, max: total - 1 }), fc.constant(total)))
  .map(([a, b, total]) => ({ kind: "bytes" as const, start: Math.min(a, b), end: Math.max(a, b), total }));

/**
 * An independent statement of the accepted grammar, for differential testing: one regex plus the
 * numeric constraints. Returns the parse or null when the header must be refused.
 */
function oracle(h: string): ContentRange | null {
  const empty = /^bytes \*\/(0+)$/i.exec(h);
  if (empty) return { kind: "empty" };
  const m = /^bytes ([0-9]+)-([0-9]+)\/([0-9]+)$/i.exec(h);
  if (!m) return null;
  const [start, end, total] = [m[1]!, m[2]!, m[3]!].map((d) => BigInt(d));
  if (start! > end! || end! >= total! || total! > BigInt(MAX)) return null;
  return { kind: "bytes", start: Number(start), end: Number(end), total: Number(total) };
}

describe("parseContentRange: accepted forms", () => {
  test("a plain range", () => {
    assert.deepEqual(parseContentRange("bytes 0-4194303/26214400"), { kind: "bytes", start: 0, end: 4194303, total: 26214400 });
  });
  test("a one-byte range, a last byte and the largest safe values", () => {
    assert.deepEqual(parseContentRange("bytes 0-0/1"), { kind: "bytes", start: 0, end: 0, total: 1 });
    assert.deepEqual(parseContentRange("bytes 9-9/10"), { kind: "bytes", start: 9, end: 9, total: 10 });
    assert.deepEqual(parseContentRange(`bytes 0-${MAX - 1}/${MAX}`), { kind: "bytes", start: 0, end: MAX - 1, total: MAX });
  });
  test("the unit is case-insensitive", () => {
    for (const unit of ["BYTES", "Bytes", "bYtEs"]) {
      assert.deepEqual(parseContentRange(`${unit} 1-2/3`), { kind: "bytes", start: 1, end: 2, total: 3 });
    }
  });
  test("leading zeros are accepted (RFC 9110 grammar is 1*DIGIT)", () => {
    assert.deepEqual(parseContentRange("bytes 007-009/010"), { kind: "bytes", start: 7, end: 9, total: 10 });
    assert.deepEqual(parseContentRange(`bytes 0-1/${"0".repeat(40)}2`), { kind: "bytes", start: 0, end: 1, total: 2 });
  });
  test("bytes */0 is the empty form", () => {
    assert.deepEqual(parseContentRange("bytes */0"), { kind: "empty" });
    assert.deepEqual(parseContentRange("BYTES */0"), { kind: "empty" });
  });
});

describe("parseContentRange: refusals name the problem", () => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, "Content-Range header is required"],
    ["", "is empty"],
    ["bytes", "is malformed"],
    ["bytes ", "is malformed"],
    [" bytes 0-1/2", "is malformed"],
    ["bytes\t0-1/2", "is malformed"],
    ["bytes=0-1/2", "is malformed"],
    ["items 0-1/2", "unit \"items\" is not supported"],
    ["octets 0-1/2", "only 'bytes'"],
    ["bytes  0-1/2", "contains whitespace"],
    ["bytes 0-1/2 ", "contains whitespace"],
    ["bytes 0 -1/2", "contains whitespace"],
    ["bytes 0-1/\u00a02", "contains whitespace"],
    ["bytes 0-1/2,3-4/5", "several ranges"],
    ["bytes 0-1/10, bytes 2-3/10", "several ranges"],
    ["bytes 0-1,2-3/10", "several ranges"],
    ["bytes 0-1/*", "total size unknown"],
    ["bytes */5", "only accepted as 'bytes */0'"],
    ["bytes */*", "total size unknown"],
    ["bytes */", "total \"\" is not a decimal number"],
    ["bytes 2-1/5", "start 2 is after its end 1"],
    ["bytes 0-5/5", "end 5 must be less than the total 5"],
    ["bytes 0-0/0", "end 0 must be less than the total 0"],
    ["bytes +1-2/5", "range \"+1-2\" is malformed"],
    ["bytes -1-2/5", "malformed"],
    ["bytes 1-2/+5", "total \"+5\" is not a decimal number"],
    ["bytes 1-2/-5", "is not a decimal number"],
    ["bytes 1e1-20/50", "malformed"],
    ["bytes 0x1-2/5", "malformed"],
    ["bytes 1.0-2/5", "malformed"],
    ["bytes 1-2/5.0", "not a decimal number"],
    ["bytes \u0661-2/5", "malformed"], // ARABIC-INDIC DIGIT ONE
    ["bytes \uff10-1/2", "malformed"], // FULLWIDTH DIGIT ZERO
    ["bytes -5/10", "malformed"], // suffix range: a request form, not a content range
    ["bytes 5-/10", "malformed"],
    ["bytes 0-1", "is malformed"],
    ["bytes 0-1/2/3", "is malformed"],
    ["bytes 0-1-2/3", "malformed"],
    [`bytes 0-1/${MAX + 1}`, `at most ${MAX}`],
    ["bytes 0-1/99999999999999999999", "total \"99999999999999999999\" is too large"],
    ["bytes 99999999999999999999-99999999999999999999/99999999999999999999", "\"99999999999999999999\" is too large"],
  ];
  for (const [header, fragment] of cases) {
    test(`${JSON.stringify(header)} → ${fragment}`, () => {
      refused(() => parseContentRange(header), fragment);
    });
  }
  test("a huge header gives a short message", () => {
    const e = refused(() => parseContentRange(`bytes ${"x".repeat(10_000)}/10`));
    assert.ok(e.detail.length < 300, e.detail);
  });
});

describe("parseContentRange: properties", () => {
  test("format → parse round-trips every valid range", () => {
    fc.assert(
      fc.property(validRange, (r) => {
        assert.deepEqual(parseContentRange(formatContentRange(r)), r);
      }),
    );
  });

  test("unit case and leading zeros do not change the value", () => {
    fc.assert(
      fc.property(validRange, fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), fc.nat(3), fc.nat(3), fc.nat(3), (r, upper, z1, z2, z3) => {
        const unit = [..."bytes"].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join("");
        const z = (n: number) => "0".repeat(n);
        assert.deepEqual(parseContentRange(`${unit} ${z(z1)}${r.start}-${z(z2)}${r.end}/${z(z3)}${r.total}`), r);
      }),
    );
  });

  // Strings over an alphabet that reaches every branch of the parser, plus arbitrary Unicode.
  const nearMiss = fc.oneof(
    fc.string({ unit: fc.constantFrom(..."bytesBYTES 0123456789-/*,+\t=."), maxLength: 24 }),
    fc.string({ unit: fc.constantFrom(..."0123456789-/*"), maxLength: 20 }).map((s) => `bytes ${s}`),
    fc.string({ unit: "binary", maxLength: 40 }),
  );

  test("any string either parses exactly as the reference grammar says or is refused with a 400", () => {
    fc.assert(
      fc.property(nearMiss, (h) => {
        const expected = oracle(h);
        let got: ContentRange | undefined;
        try {
          got = parseContentRange(h);
        } catch (e) {
          assert.ok(e instanceof GraphError, `non-GraphError for ${JSON.stringify(h)}: ${String(e)}`);
          assert.equal(e.status, 400);
          assert.equal(expected, null, `refused ${JSON.stringify(h)}, which the grammar accepts`);
          return;
        }
        assert.deepEqual(got, expected, `accepted ${JSON.stringify(h)}`);
      }),
      { numRuns: 1000 },
    );
  });

  // Each mutation turns a valid header into one that must be refused.
  const digitsOf = (n: number) => String(n);
  const UNICODE_ZERO = [0x0660, 0x06f0, 0x0966, 0xff10, 0x1d7ce]; // Arabic-Indic, Persian, Devanagari, fullwidth, math bold
  const mutation = fc.oneof(
    // whitespace anywhere except the one space after the unit (doubling that one is refused too)
    fc.tuple(fc.constantFrom(" ", "\t", "\u00a0", "\u2003", "\n"), fc.nat()).map(([ws, at]) => (h: string) => {
      const i = at % (h.length + 1);
      return h.slice(0, i) + ws + h.slice(i);
    }),
    // a sign before one of the numbers
    fc.tuple(fc.constantFrom("+", "-"), fc.nat(2)).map(([sign, which]) => (h: string) => {
      const parts = h.slice(6).split(/([-/])/); // [start, "-", end, "/", total]
      parts[which * 2] = sign + parts[which * 2];
      return "bytes " + parts.join("");
    }),
    // a second range
    fc.constantFrom(",", ", ").map((sep) => (h: string) => `${h}${sep}${h.slice(6)}`),
    // a digit replaced by a non-digit, or by a Unicode digit of the same value
    fc.tuple(fc.nat(), fc.oneof(fc.constantFrom("a", "x", ".", "_", "e", "O"), fc.constantFrom(...UNICODE_ZERO).map((z) => ({ z })))).map(
      ([at, repl]) => (h: string) => {
        const digits = [...h.matchAll(/[0-9]/g)].map((m) => m.index!);
        const i = digits[at % digits.length]!;
        const r = typeof repl === "string" ? repl : String.fromCodePoint(repl.z + Number(h[i]));
        return h.slice(0, i) + r + h.slice(i + 1);
      },
    ),
    // the unsatisfied-range and unknown-total forms
    fc.constant((h: string) => `bytes */${h.split("/")[1]}`),
    fc.constant((h: string) => `${h.split("/")[0]}/*`),
    // another unit
    fc.constantFrom("byte", "bits", "bytess", "items", "").map((u) => (h: string) => `${u}${h.slice(5)}`),
  );

  test("mutations of valid headers are refused", () => {
    fc.assert(
      fc.property(validRange, mutation, (r, mutate) => {
        const h = mutate(formatContentRange(r));
        assert.equal(oracle(h), null, `mutation produced a valid header ${JSON.stringify(h)}`);
        refused(() => parseContentRange(h));
      }),
      { numRuns: 500 },
    );
  });

  test("reversed ranges, end at or past the total, and overflow are refused", () => {
    fc.assert(
      fc.property(validRange, fc.bigInt({ min: BigInt(MAX) + 1n, max: 10n ** 30n }), fc.nat(2), (r, big, which) => {
        if (r.start < r.end) refused(() => parseContentRange(`bytes ${r.end}-${r.start}/${r.total}`), "is after its end");
        refused(() => parseContentRange(`bytes ${r.start}-${r.total}/${r.total}`), "must be less than the total");
        const nums = [digitsOf(r.start), digitsOf(r.end), digitsOf(r.total)];
        nums[which] = big.toString();
        refused(() => parseContentRange(`bytes ${nums[0]}-${nums[1]}/${nums[2]}`));
      }),
    );
  });

  test("bytes */N is refused for every N > 0", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX }), (n) => {
        refused(() => parseContentRange(`bytes */${n}`), `'bytes */${n}' names no bytes`);
      }),
    );
  });
});

describe("formatContentRange", () => {
  test("formats both kinds", () => {
    assert.equal(formatContentRange({ kind: "bytes", start: 0, end: 9, total: 10 }), "bytes 0-9/10");
    assert.equal(formatContentRange({ kind: "empty" }), "bytes */0");
  });
  test("refuses what the parser would refuse", () => {
    for (const [start, end, total] of [[2, 1, 5], [0, 5, 5], [-1, 0, 1], [0.5, 1, 2], [0, 1, MAX + 1]] as const) {
      assert.throws(() => formatContentRange({ kind: "bytes", start, end, total }), RangeError);
    }
  });
});

describe("parseContentLength", () => {
  test("absent is undefined, digits are numbers", () => {
    assert.equal(parseContentLength(undefined), undefined);
    assert.equal(parseContentLength("0"), 0);
    assert.equal(parseContentLength("4194304"), 4194304);
    assert.equal(parseContentLength("007"), 7);
    assert.equal(parseContentLength(String(MAX)), MAX);
  });
  test("anything but ASCII decimal digits is refused", () => {
    for (const h of ["", " 1", "1 ", "+1", "-1", "1.0", "1e3", "0x10", "\u0661", "1,2", "Infinity", "NaN"]) {
      refused(() => parseContentLength(h), "is not a decimal number");
    }
    refused(() => parseContentLength(String(MAX + 1)), "is too large");
  });
  test("property: every safe natural round-trips; every other string is a 400", () => {
    fc.assert(fc.property(fc.maxSafeNat(), (n) => assert.equal(parseContentLength(String(n)), n)));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 20 }), fc.string({ unit: fc.constantFrom(..."0123456789 +-.e"), maxLength: 20 })), (h) => {
        try {
          const n = parseContentLength(h);
          assert.ok(/^[0-9]+$/.test(h) && n === Number(h) && Number.isSafeInteger(n), `accepted ${JSON.stringify(h)}`);
        } catch (e) {
          assert.ok(e instanceof GraphError && e.status === 400, String(e));
          assert.ok(!/^[0-9]+$/.test(h) || !Number.isSafeInteger(Number(h)), `refused ${JSON.stringify(h)}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});
