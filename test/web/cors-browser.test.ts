// CORS as a browser enforces it: a page served from another origin uploads a small file through
// fetch (the PUTs carry Content-Range, so each is preflighted) and reads the final 201's Location;
// a page from an origin outside --cors-origins is stopped by the browser before any PUT is sent.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { makeSession, makeTask } from "../helpers/fixtures.js";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { chromiumSkipReason, launchChromium } from "../helpers/chromium.js";
import { pageOrigin } from "../helpers/page-origin.js";

const skip = chromiumSkipReason();

/** A tiny origin of its own: serves one empty page. */
const pageServer = () => pageOrigin({ "/": { type: "text/html; charset=utf-8", body: "<!doctype html><html><head><title>Taskdrop CORS page</title></head><body></body></html>" } });

interface PageRun {
  ok: boolean;
  error?: string;
  statuses?: number[];
  location?: string | null;
  requestId?: string | null;
  body?: string;
  etag?: string | null;
}

/** Runs in the page: list, task, upload session, two PUTs, then the attachment through Location. */
async function uploadFromPage({ api, token, text }: { api: string; token: string; text: string }): Promise<PageRun> {
  try {
    const auth = { authorization: `Bearer ${token}` };
    const post = (url: string, body: unknown) =>
      fetch(url, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json());
    const list = await post(`${api}/v1.0/me/todo/lists`, { displayName: "From a page" });
    const task = await post(`${api}/v1.0/me/todo/lists/${list.id}/tasks`, { title: "Upload" });
    const bytes = new TextEncoder().encode(text);
    const session = await post(`${api}/v1.0/me/todo/lists/${list.id}/tasks/${task.id}/attachments/createUploadSession`, {
      attachmentInfo: { attachmentType: "file", name: "note.txt", size: bytes.length, contentType: "text/plain" },
    });
    const half = Math.floor(bytes.length / 2);
    const put = (start: number, end: number) =>
      fetch(session.uploadUrl, {
        method: "PUT",
        headers: { ...auth, "content-type": "application/octet-stream", "content-range": `bytes ${start}-${end}/${bytes.length}` },
        body: bytes.slice(start, end + 1),
      });
    const first = await put(0, half - 1);
    const last = await put(half, bytes.length - 1);
    const location = last.headers.get("location");
    const value = await fetch(`${location}/$value`, { headers: auth });
    return {
      ok: true,
      statuses: [first.status, last.status, value.status],
      location,
      requestId: last.headers.get("request-id"),
      body: await value.text(),
      etag: value.headers.get("etag"),
    };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}

/** Runs in the page: one PUT with Content-Range to an existing uploadUrl. */
async function putFromPage({ uploadUrl }: { uploadUrl: string }): Promise<PageRun> {
  try {
    const r = await fetch(uploadUrl, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream", "content-range": "bytes 0-3/4" },
      body: new TextEncoder().encode("abcd"),
    });
    return { ok: true, statuses: [r.status] };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}

describe("CORS in headless Chromium", { skip }, () => {
  let browser: Browser;
  let allowedPage: Awaited<ReturnType<typeof pageServer>>;
  let otherPage: Awaited<ReturnType<typeof pageServer>>;
  let s: TestServer;

  before(async () => {
    allowedPage = await pageServer();
    otherPage = await pageServer();
    s = await startTestServer({ corsOrigins: allowedPage.origin });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
    await allowedPage?.close();
    await otherPage?.close();
  });

  test("a page on an allowed origin uploads through fetch and reads Location from the final 201", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${allowedPage.origin}/`);
      const token = await s.token({ user: "browser" });
      const text = "Taskdrop from a browser page: ünïcödé and all.\n".repeat(3);
      const r = await page.evaluate(uploadFromPage, { api: s.url, token, text });
      assert.equal(r.ok, true, r.error);
      assert.deepEqual(r.statuses, [200, 201, 200]);
      assert.match(r.location!, /^http:\/\/127\.0\.0\.1:\d+\/v1\.0\/users\/[^/]+\/todo\/lists\/[^/]+\/tasks\/[^/]+\/Attachments\('[^']+'\)$/);
      assert.ok(r.requestId, "request-id is readable too");
      assert.ok(r.etag, "ETag of $value is readable");
      assert.equal(r.body, text);
    } finally {
      await page.close();
    }
  });

  test("a page on another origin is refused by the browser, and its PUT never reaches the session", async () => {
    const f = await makeTask(s.url, await s.token({ user: "browser" }));
    const uploadUrl = await makeSession(f, 4);
    const page = await browser.newPage();
    try {
      await page.goto(`${otherPage.origin}/`);
      const r = await page.evaluate(putFromPage, { uploadUrl });
      assert.equal(r.ok, false, "fetch must fail with a CORS error");
      assert.match(r.error!, /TypeError/);
    } finally {
      await page.close();
    }
    const status = await call("GET", uploadUrl);
    assert.deepEqual(status.json.nextExpectedRanges, ["0-"], "nothing was written");
    // The same PUT from the allowed origin goes through.
    const page2 = await browser.newPage();
    try {
      await page2.goto(`${allowedPage.origin}/`);
      const ok = await page2.evaluate(putFromPage, { uploadUrl });
      assert.deepEqual(ok, { ok: true, statuses: [201] });
    } finally {
      await page2.close();
    }
  });
});
