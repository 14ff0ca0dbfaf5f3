// Assertions shared by the unit tests of pure validation code.
import assert from "node:assert/strict";
import { GraphError } from "../../src/domain/errors.js";

/** Asserts that `fn` throws a GraphError with `status` whose detail contains every fragment; returns it. */
export function refusedWith(fn: () => unknown, status: number, ...fragments: string[]): GraphError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof GraphError, `expected a GraphError, got ${String(e)}`);
    assert.equal(e.status, status, `status of ${JSON.stringify(e.detail)}`);
    for (const f of fragments) assert.ok(e.detail.includes(f), `message ${JSON.stringify(e.detail)} lacks ${JSON.stringify(f)}`);
    return e;
  }
  assert.fail(`expected a ${status}${fragments.length ? ` mentioning ${fragments.map((f) => JSON.stringify(f)).join(", ")}` : ""}`);
}

/** The same, with Graph's code `invalidRequest`. */
export function invalidRequestWith(fn: () => unknown, status: number, ...fragments: string[]): GraphError {
  const e = refusedWith(fn, status, ...fragments);
  assert.equal(e.code, "invalidRequest");
  return e;
}

/** Asserts that `fn` is refused with a 400 invalidRequest whose detail contains `fragment`. */
export function refused(fn: () => unknown, fragment?: string): GraphError {
  return invalidRequestWith(fn, 400, ...(fragment === undefined ? [] : [fragment]));
}
