import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseDownloadRange } from "../../src/domain/byte-range.js";

test("one range of each form, clamped to the body", () => {
  assert.deepEqual(parseDownloadRange("bytes=0-9", 100), { start: 0, end: 9 });
  assert.deepEqual(parseDownloadRange("bytes=90-", 100), { start: 90, end: 99 });
  assert.deepEqual(parseDownloadRange("bytes=-10", 100), { start: 90, end: 99 });
  assert.deepEqual(parseDownloadRange("bytes=-500", 100), { start: 0, end: 99 });
  assert.deepEqual(parseDownloadRange("bytes=50-5000", 100), { start: 50, end: 99 });
  assert.deepEqual(parseDownloadRange(" bytes=1-1 ", 100), { start: 1, end: 1 });
});

test("past the end, an empty suffix or any range of an empty body is unsatisfiable", () => {
  assert.equal(parseDownloadRange("bytes=100-", 100), "unsatisfiable");
  assert.equal(parseDownloadRange("bytes=100-200", 100), "unsatisfiable");
  assert.equal(parseDownloadRange("bytes=-0", 100), "unsatisfiable");
  assert.equal(parseDownloadRange("bytes=-5", 0), "unsatisfiable");
  assert.equal(parseDownloadRange("bytes=0-", 0), "unsatisfiable");
});

test("what is not one well-formed range means the whole body", () => {
  for (const h of [undefined, "", "bytes=-", "bytes=5-2", "bytes=0-1,3-4", "items=0-1", "bytes=a-b", "bytes 0-1", "bytes=0x1-2"]) {
    assert.equal(parseDownloadRange(h, 100), undefined, String(h));
  }
});

test("a satisfiable answer always lies inside the body", () => {
  fc.assert(
    fc.property(fc.nat(10_000), fc.option(fc.nat(20_000)), fc.option(fc.nat(20_000)), (size, a, b) => {
      const r = parseDownloadRange(`bytes=${a ?? ""}-${b ?? ""}`, size);
      if (r === undefined || r === "unsatisfiable") return;
      assert.ok(r.start >= 0 && r.start <= r.end && r.end < size);
    }),
  );
});
