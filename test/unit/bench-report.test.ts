// The bench's own arithmetic: profile ranking and the targets verdict (pure functions).
import assert from "node:assert/strict";
import { test } from "node:test";
import { topFrames } from "../../bench/lib/cpu-profile.js";
import { aims, ratioPairs, type Summary } from "../../bench/lib/report.js";

const frame = (functionName: string, url = "", lineNumber = 0) => ({ functionName, url, lineNumber });

test("topFrames ranks functions by self time, leaves idle out of the shares, and merges samples of one function", () => {
  const profile = {
    nodes: [
      { id: 1, callFrame: frame("(root)") },
      { id: 2, callFrame: frame("(idle)") },
      { id: 3, callFrame: frame("update", "node:internal/crypto/hash", 131) },
      { id: 4, callFrame: frame("writeRange", "file:///x/pkg/dist/src/store/sqlite/sqlite-store.js", 9) },
      { id: 5, callFrame: frame("update", "node:internal/crypto/hash", 131) },
    ],
    samples: [2, 3, 4, 5, 2, 3],
    timeDeltas: [5000, 1000, 2000, 1000, 9000, 2000],
  };
  const top = topFrames(profile, 10);
  assert.equal(top.busyMs, 6);
  assert.deepEqual(
    top.frames.map((f) => [f.frame, f.selfMs, Math.round(f.percent)]),
    [
      ["update (node:internal/crypto/hash:132)", 4, 67],
      ["writeRange (dist/src/store/sqlite/sqlite-store.js:10)", 2, 33],
    ],
  );
  assert.equal(topFrames(profile, 1).frames.length, 1);
});

test("aims mark each target met, NOT MET or n/a from same-run medians", () => {
  const m = (median: number) => ({ min: median, median, max: median, n: 1 });
  const summary: Summary = {
    single: { taskdrop: { mbps: m(96), cpuSecPerGB: m(2.5) }, baseline: { mbps: m(100), cpuSecPerGB: m(2) } },
    small: { taskdrop: { sessionsPerSec: m(500) }, baseline: { sessionsPerSec: m(1000) }, tus: { sessionsPerSec: m(300) } },
  };
  const verdict = Object.fromEntries(aims(["taskdrop", "baseline", "tus"], summary).map((a) => [a.aim, a.status]));
  assert.equal(verdict["single: MB/s ≥ 0.95× baseline"], "met");
  assert.equal(verdict["single: server CPU s/GB ≤ 1.2× baseline"], "NOT MET");
  assert.equal(verdict["small: sessions/s ≥ 0.6× baseline"], "NOT MET");
  assert.equal(verdict["small: sessions/s ≥ 1.5× tus"], "met");
  assert.equal(verdict["concurrent64: MB/s ≥ 1.3× tus"], "n/a");
  assert.ok(!Object.keys(verdict).some((k) => k.includes("PostgreSQL")), "PostgreSQL rows only for taskdrop-pg");
});

test("--ref adds taskdrop/taskdrop-ref to the ratios and holds the reference build to no aim", () => {
  const pairs = ratioPairs(["taskdrop", "taskdrop-ref", "baseline"]).map((p) => p.join("/"));
  assert.ok(pairs.includes("taskdrop/taskdrop-ref"));
  assert.ok(pairs.includes("taskdrop-ref/baseline"), "the reference build is still compared with the baseline");
  assert.ok(ratioPairs(["taskdrop-pg", "taskdrop-ref-pg"]).some((p) => p.join("/") === "taskdrop-pg/taskdrop-ref-pg"));
  const m = (median: number) => ({ min: median, median, max: median, n: 1 });
  const summary: Summary = { single: { taskdrop: { mbps: m(96) }, "taskdrop-ref": { mbps: m(10) }, baseline: { mbps: m(100) } } };
  assert.ok(aims(["taskdrop", "taskdrop-ref", "taskdrop-ref-pg", "baseline"], summary).every((a) => !a.target.startsWith("taskdrop-ref")));
});

test("queries: the default page and the other user's p99 are held to 50 ms on every Taskdrop target that ran it", () => {
  const m = (median: number) => ({ min: median, median, max: median, n: 1 });
  const summary: Summary = { queries: { taskdrop: { defaultP99Ms: m(14), otherBusyP99Ms: m(51) } } };
  const verdict = aims(["taskdrop", "taskdrop-pg", "baseline"], summary).filter((a) => a.aim.startsWith("queries:"));
  const of = (target: string, what: string) => verdict.find((a) => a.target === target && a.aim.includes(what))!;
  assert.equal(of("taskdrop", "default page").status, "met");
  assert.equal(of("taskdrop", "default page").detail, "14.0 ms");
  assert.equal(of("taskdrop", "other user").status, "NOT MET");
  assert.equal(of("taskdrop-pg", "default page").status, "n/a", "not run on PostgreSQL");
  assert.ok(!verdict.some((a) => a.target === "baseline"), "reference servers do not answer Graph");
});
