// Turns: one user's large pages one after another, other users' alongside (src/http/turns.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { inTurn, LARGE_PAGE, Turns } from "../../src/http/turns.js";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A job that logs its start and end and finishes when told. */
function job(log: string[], name: string) {
  let finish!: () => void;
  const gate = new Promise<void>((resolve) => (finish = resolve));
  return {
    finish,
    fn: async () => {
      log.push(`${name}+`);
      await gate;
      log.push(`${name}-`);
      return name;
    },
  };
}

test("the same key runs one at a time, in arrival order; other keys do not wait", async () => {
  const t = new Turns();
  const log: string[] = [];
  const a1 = job(log, "a1");
  const a2 = job(log, "a2");
  const b1 = job(log, "b1");
  const p = [t.run("a", a1.fn), t.run("a", a2.fn), t.run("b", b1.fn)];
  await tick();
  assert.deepEqual(log, ["a1+", "b1+"]);
  b1.finish();
  await tick();
  assert.deepEqual(log, ["a1+", "b1+", "b1-"]);
  a1.finish();
  await tick();
  assert.deepEqual(log.slice(3), ["a1-", "a2+"]);
  a2.finish();
  assert.deepEqual(await Promise.all(p), ["a1", "a2", "b1"]);
});

test("a failure passes its turn on and reaches its own caller only", async () => {
  const t = new Turns();
  const first = t.run("a", async () => {
    await tick();
    throw new Error("boom");
  });
  const second = t.run("a", async () => "ran");
  await assert.rejects(first, /boom/);
  assert.equal(await second, "ran");
});

test("keys are forgotten when their last turn ends", async () => {
  const t = new Turns();
  await Promise.all([t.run("a", async () => 1), t.run("a", async () => 2)]);
  assert.equal((t as unknown as { tails: Map<string, unknown> }).tails.size, 0);
});

test("pages up to LARGE_PAGE items run at once, larger ones take the owner's turn", async () => {
  const log: string[] = [];
  const big = job(log, "big");
  const small = job(log, "small");
  const bigger = job(log, "bigger");
  const p = [inTurn("u", LARGE_PAGE + 1, big.fn), inTurn("u", LARGE_PAGE, small.fn), inTurn("u", 999, bigger.fn)];
  await tick();
  assert.deepEqual([...log].sort(), ["big+", "small+"]);
  small.finish();
  big.finish();
  await tick();
  assert.ok(log.includes("bigger+"));
  bigger.finish();
  await Promise.all(p);
});
