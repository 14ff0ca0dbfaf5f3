import assert from "node:assert/strict";
import { test } from "node:test";
import { newId } from "../../src/domain/ids.js";
import { loggedPath, redactSessionIds, sessionFingerprint } from "../../src/log.js";

test("redactSessionIds replaces a session id in any text (raw, %3D, inside a stack) by one fingerprint", () => {
  const id = newId("session");
  const fp = sessionFingerprint(id);
  assert.match(fp, /^AQMkS…#[0-9a-f]{8}$/);
  for (const text of [id, `PUT /x/attachmentSessions/${id}/content`, `key (${id.slice(0, -1)}%3D) not found`, `Error: ${id}\n    at f`]) {
    const out = redactSessionIds(text);
    assert.ok(!out.includes(id.slice(5, -1)), out);
    assert.ok(out.includes(fp), out);
  }
  assert.equal(redactSessionIds("AQMkLabcdefghijklmnopqrstuvwx="), "AQMkLabcdefghijklmnopqrstuvwx=", "list ids stay");
  // The uploadUrl's last segment is the id and a secret: both go, the id's fingerprint stays.
  const secret = "s3cr3t-HMAC_base64url-0123456789abcdefghijk";
  assert.equal(redactSessionIds(`/attachmentSessions/${id}${secret}/content`), `/attachmentSessions/${fp}/content`);
  assert.equal(loggedPath(`/x/attachmentSessions/${encodeURIComponent(id + secret)}`), `/x/attachmentSessions/${fp}`);
});

test("loggedPath fingerprints the session segment however it was encoded and drops the query", () => {
  const id = newId("session");
  const fp = sessionFingerprint(id);
  const enc = [...id].map((c) => `%${c.charCodeAt(0).toString(16)}`).join("");
  for (const seg of [id, encodeURIComponent(id), enc]) {
    assert.equal(loggedPath(`/v1.0/me/todo/lists/L/tasks/T/attachmentSessions/${seg}/content?token=${id}`), `/v1.0/me/todo/lists/L/tasks/T/attachmentSessions/${fp}/content`);
  }
  assert.equal(loggedPath("/v1.0/me/todo/lists?$top=1"), "/v1.0/me/todo/lists");
  assert.equal(loggedPath("/v1.0/me/todo/lists/L/tasks/T/attachmentSessions/%zz"), `/v1.0/me/todo/lists/L/tasks/T/attachmentSessions/${sessionFingerprint("%zz")}`);
});
