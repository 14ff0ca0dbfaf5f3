// Assertions shared by the unit tests of pure validation code.
import assert from "node:assert/strict";
import { GraphError } from "../../src/domain/errors.js";

/** Asserts that `fn` is refused with a 400 invalidRequest whose detail contains `fragment`. */
export function refused(fn: () => unknown, fragment?: string): GraphError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof GraphError, `expected a GraphError, got ${String(e)}`);
    assert.equal(e.status, 400);
    assert.equal(e.code, "invalidRequest");
    if (fragment !== undefined) assert.ok(e.detail.includes(fragment), `${JSON.stringify(e.detail)} lacks ${JSON.stringify(fragment)}`);
    return e;
  }
  assert.fail("expected a refusal");
}
