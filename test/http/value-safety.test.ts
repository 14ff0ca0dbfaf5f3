// `$value` serves bytes a user uploaded with a content type the user chose, on the origin that
// also serves Taskdrop's web page: it must never be rendered as a page there (no sniffing, no
// script, always a download), and a file's name must not be able to disguise itself with
// bidirectional overrides ("invoice\u202Efdp.exe" shown as "invoiceexe.pdf").
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { devUserOid } from "../../src/auth/dev-issuer.js";
import { newId } from "../../src/domain/ids.js";
import { makeSession, putRange, type TaskFixture } from "../helpers/fixtures.js";
import { call, graphError, type Res } from "../helpers/http.js";
import { startServerWithTask, type TestServer } from "../helpers/server.js";

let s: TestServer;
let f: TaskFixture;
before(async () => ({ s, f } = await startServerWithTask()));
after(() => s.close());

function assertInert(r: Res, what: string): void {
  assert.equal(r.headers.get("x-content-type-options"), "nosniff", `${what}: nosniff`);
  assert.equal(r.headers.get("content-security-policy"), "default-src 'none'; sandbox", `${what}: CSP`);
  assert.match(r.headers.get("content-disposition") ?? "", /^attachment; /, `${what}: a download`);
}

const page = Buffer.from("<html><script>parent.stolen = document.cookie</script></html>");

describe("$value is never a page on Taskdrop's origin", () => {
  test("text/html and text/html; charset=utf-7, whole, ranged and past the end: nosniff, CSP default-src 'none'; sandbox, attachment", async () => {
    const small = await call("POST", `${f.taskUrl}/attachments`, {
      token: f.token,
      json: { "@odata.type": "#microsoft.graph.taskFileAttachment", name: "page.html", contentType: "text/html", contentBytes: page.toString("base64") },
    });
    assert.equal(small.status, 201, small.text);
    const url = await makeSession(f, page.length, "utf7.html", "text/html; charset=utf-7");
    const fin = await putRange(url, page, 0, page.length - 1);
    assert.equal(fin.status, 201, fin.text);
    for (const [location, type] of [[small.headers.get("location")!, "text/html"], [fin.headers.get("location")!, "text/html; charset=utf-7"]] as const) {
      const whole = await call("GET", `${location}/$value`, { token: f.token });
      assert.equal(whole.status, 200);
      assert.deepEqual(whole.bytes, page);
      assert.equal(whole.headers.get("content-type"), type, "the stored type is still what Graph would send");
      assertInert(whole, `200 ${type}`);
      const ranged = await call("GET", `${location}/$value`, { token: f.token, headers: { range: "bytes=0-5" } });
      assert.equal(ranged.status, 206);
      assertInert(ranged, `206 ${type}`);
      const past = await call("GET", `${location}/$value`, { token: f.token, headers: { range: "bytes=9999-" } });
      assert.equal(past.status, 416);
      assert.equal(past.headers.get("x-content-type-options"), "nosniff");
    }
  });
});

describe("bidirectional overrides in attachment names", () => {
  const spoofs = ["invoice\u202Efdp.exe", "\u202Dltr.txt", "a\u2067b.txt", "report\u2066x\u2069.pdf"];

  test("are refused with 400 by both creation routes, naming the character; nothing is created", async () => {
    for (const name of spoofs) {
      const smallRes = await call("POST", `${f.taskUrl}/attachments`, {
        token: f.token,
        json: { "@odata.type": "#microsoft.graph.taskFileAttachment", name, contentBytes: "YWJj" },
      });
      assert.equal(smallRes.status, 400, `small ${JSON.stringify(name)}: ${smallRes.text}`);
      assert.match(graphError(smallRes).innerError.message, /bidirectional override characters \(U\+20[26][0-9A-F] at index \d+\)/);
      const session = await call("POST", `${f.taskUrl}/attachments/createUploadSession`, {
        token: f.token,
        json: { attachmentInfo: { attachmentType: "file", name, size: 3 } },
      });
      assert.equal(session.status, 400, `session ${JSON.stringify(name)}: ${session.text}`);
      assert.equal(graphError(session).innerError.code, "ErrorInvalidRequest");
    }
    const listed = await call("GET", `${f.taskUrl}/attachments`, { token: f.token });
    assert.ok(!listed.json.value.some((a: { name: string }) => /[\u202A-\u202E\u2066-\u2069]/.test(a.name)), "no disguised name was stored");
  });

  test("right-to-left names (with the marks U+200F, U+200E, U+061C) are accepted and round-trip", async () => {
    const name = "\u05D3\u05D5\u05D7 \u200F2026\u200E \u061C\u0645\u0644\u0641.pdf";
    const r = await call("POST", `${f.taskUrl}/attachments`, {
      token: f.token,
      json: { "@odata.type": "#microsoft.graph.taskFileAttachment", name, contentBytes: "YWJj" },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.name, name);
    const v = await call("GET", `${r.headers.get("location")}/$value`, { token: f.token });
    assert.equal(v.headers.get("content-disposition"), `attachment; filename*=UTF-8''${encodeURIComponent(name)}`);
  });

  test("a name stored before they were refused is downloaded without them", async () => {
    // An older server may have stored one: put it in the store the way such a server did.
    const now = new Date().toISOString();
    const att = {
      id: newId("attachment"), ownerOid: devUserOid("alice"), listId: f.listId, taskId: f.taskId, name: "invoice\u202Efdp.exe",
      contentType: "application/pdf", size: 3, sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", createdAt: now, lastModifiedAt: now,
    };
    await s.running.store.attachments.createWithBytes(att, Buffer.from("abc"));
    const v = await call("GET", `${f.taskUrl}/attachments/${encodeURIComponent(att.id)}/$value`, { token: f.token });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.headers.get("content-disposition"), `attachment; filename*=UTF-8''${encodeURIComponent("invoicefdp.exe")}`);
    assertInert(v, "legacy name");
  });
});
