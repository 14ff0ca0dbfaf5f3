// Delta's pure parts: sealed state tokens, page cutting, the page-size preference.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import { cutPage, firstPage, openToken, preferredPageSize, requireKept, sealToken, type Change, type RoundState } from "../../src/domain/delta.js";
import { GraphError } from "../../src/domain/errors.js";
import { refused } from "../helpers/refused.js";

const key = randomBytes(32);
const tasksOf = (listId: string) => ({ kind: "tasks" as const, listId });
const common = { owner: "o1", stream: tasksOf("L1"), select: ["title"], top: 5 };

describe("state tokens", () => {
  test("round-trip both phases with the round's options", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.boolean(), (a, b, page) => {
        const st: RoundState = page ? { ...common, phase: "page", cursor: a, removedAfter: b } : { ...common, phase: "done", since: a };
        const tok = sealToken(key, st);
        assert.match(tok, /^[A-Za-z0-9_.-]+$/, "URL-safe as it is");
        assert.deepEqual(openToken(key, tok, st.phase, "o1", tasksOf("L1")), st);
      }),
    );
  });

  test("a tasks round's $expand is carried; a token naming an unknown kind is refused", () => {
    const st: RoundState = { ...common, expand: ["checklistItem", "extension"], phase: "done", since: 3 };
    assert.deepEqual(openToken(key, sealToken(key, st), "done", "o1", tasksOf("L1")), st);
    const bogus = sealToken(key, { ...st, expand: ["attachment" as never] });
    refused(() => openToken(key, bogus, "done", "o1", tasksOf("L1")), "$deltatoken is malformed");
  });

  test("another user's or list's token, the other phase's, a forged or mangled one: refused as malformed", () => {
    const tok = sealToken(key, { ...common, phase: "done", since: 7 });
    refused(() => openToken(key, tok, "done", "o2", tasksOf("L1")), "$deltatoken is malformed");
    refused(() => openToken(key, tok, "done", "o1", tasksOf("L2")));
    refused(() => openToken(key, tok, "done", "o1", { kind: "lists" }));
    refused(() => openToken(key, tok, "page", "o1", tasksOf("L1")), "$skiptoken");
    refused(() => openToken(randomBytes(32), tok, "done", "o1", tasksOf("L1"))); // sealed with another key
    const [payload, sig] = tok.split(".");
    const forged = Buffer.from(JSON.stringify({ v: 1, o: "o1", l: "L1", n: 0 })).toString("base64url");
    refused(() => openToken(key, `${forged}.${sig}`, "done", "o1", tasksOf("L1")));
    // The signature's last character carries 2 unused bits: another spelling of the same bytes is refused too.
    const last = sig!.at(-1)!;
    const sameBytes = "AEIMQUYcgkosw048"[Math.floor("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(last) / 4)]!;
    const twin = last === sameBytes ? String.fromCharCode(last.charCodeAt(0) + 1) : sameBytes;
    refused(() => openToken(key, `${payload}.${sig!.slice(0, -1)}${twin}`, "done", "o1", tasksOf("L1")));
    for (const bad of ["", "x", `${payload}`, `${payload}.`, `${payload}.${sig}x`, "a.b.c", "%%%", `${payload}.${"A".repeat(43)}`]) {
      refused(() => openToken(key, bad, "done", "o1", tasksOf("L1")));
    }
  });
});

test("a token older than the kept history is 410 syncStateNotFound", () => {
  assert.doesNotThrow(() => requireKept({ ...common, phase: "done", since: 5 }, 5));
  for (const st of [{ ...common, phase: "done" as const, since: 4 }, { ...common, phase: "page" as const, cursor: 9, removedAfter: 4 }]) {
    assert.throws(() => requireKept(st, 5), (e: unknown) => e instanceof GraphError && e.status === 410 && e.code === "syncStateNotFound");
  }
});

describe("pages", () => {
  const changes = (seqs: number[]): Array<Change<string>> => seqs.map((seq) => (seq % 3 === 0 ? { seq, removed: `r${seq}` } : { seq, item: `i${seq}` }));

  test("a first round starts at the beginning and reports deletions after its start only", () => {
    assert.deepEqual(firstPage(common, { phase: "start" }, 42), { ...common, phase: "page", cursor: 0, removedAfter: 42 });
    assert.deepEqual(firstPage(common, { ...common, phase: "done", since: 9 }, 42), { ...common, phase: "page", cursor: 9, removedAfter: 9 });
  });

  test("more than a page: the next page starts after the last entry handed out; else the round ends at upTo", () => {
    const at = firstPage(common, { phase: "start" }, 20);
    const full = cutPage(at, changes([2, 4, 5]), 2, 20);
    assert.deepEqual(full.entries.map((c) => c.seq), [2, 4]);
    assert.deepEqual(full.next, { ...at, cursor: 4 });
    const last = cutPage(full.next as typeof at, changes([5]), 2, 20);
    assert.deepEqual(last.next, { ...common, phase: "done", since: 20 });
  });

  test("walking any stream in pages of any size hands out each entry once, in order", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 500 })), fc.integer({ min: 1, max: 12 }), (raw, size) => {
        const all = changes([...raw].sort((a, b) => a - b));
        const upTo = 500;
        let at = firstPage(common, { phase: "start" }, upTo);
        const seen: number[] = [];
        for (;;) {
          const after = all.filter((c) => c.seq > at.cursor).slice(0, size + 1);
          const { entries, next } = cutPage(at, after, size, upTo);
          seen.push(...entries.map((c) => c.seq));
          if (next.phase === "done") {
            assert.equal(next.since, upTo);
            break;
          }
          at = next;
        }
        assert.deepEqual(seen, all.map((c) => c.seq));
      }),
    );
  });
});

test("Prefer: odata.maxpagesize among other preferences; unusable values are ignored", () => {
  assert.equal(preferredPageSize(undefined), undefined);
  assert.equal(preferredPageSize("odata.maxpagesize=2"), 2);
  assert.equal(preferredPageSize('return=minimal, odata.maxpagesize="25"'), 25);
  assert.equal(preferredPageSize(["outlook.timezone=\"UTC\"", "odata.maxpagesize=7"]), 7);
  assert.equal(preferredPageSize("odata.maxpagesize=5000"), 999, "capped at the largest page");
  for (const v of ["odata.maxpagesize=0", "odata.maxpagesize=-1", "odata.maxpagesize=abc", "odata.maxpagesize", "respond-async"]) assert.equal(preferredPageSize(v), undefined, v);
});
