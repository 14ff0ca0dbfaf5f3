// The SDK's browser path in real headless Chromium: the compiled ESM files of dist/src/client are
// served as they are and imported by a module script (no bundler), so any `node:` import on the
// browser path would fail the page. Skipped, with the reason, when Chromium is not installed.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { makeTask, type TaskFixture } from "../helpers/fixtures.js";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { MiB, closeServer, sha } from "./support.js";

/** CHROMIUM_PATH, else the first chromium (Debian's package) or chrome on PATH. */
function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return existsSync(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : undefined;
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    for (const name of ["chromium", "chromium-browser", "google-chrome"]) if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}
const CHROMIUM = findChromium();
const skip = CHROMIUM ? false : `Chromium not found (apt-get install -y chromium, or set CHROMIUM_PATH)${process.env.CHROMIUM_PATH ? `: nothing at ${process.env.CHROMIUM_PATH}` : " on PATH"}`;
const clientDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "client");

const PAGE = `<!doctype html><meta charset="utf-8"><title>taskdrop client</title>
<script type="module">
  import * as sdk from "/client/index.js";
  window.sdk = sdk;
  window.ready = true;
</script>`;

let s: TestServer;
let proxy: FaultProxy;
let f: TaskFixture;
let statics: Server;
let origin: string;
const served: string[] = [];
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  s = await startTestServer();
  proxy = await startFaultProxy(s.url);
  f = await makeTask(s.url, await s.token());
  statics = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    served.push(path);
    if (path === "/") return void res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    const m = /^\/client\/([a-z-]+\.js)$/.exec(path);
    if (m && existsSync(join(clientDir, m[1]!))) {
      return void res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(join(clientDir, m[1]!)));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => statics.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(statics.address() as AddressInfo).port}`;
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage();
  page.on("pageerror", (e) => served.push(`pageerror: ${e.message}`));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 10_000 });
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await new Promise<void>((r) => statics?.close(() => r()));
  await proxy?.close();
  if (s) await closeServer(s);
});

interface PageArgs {
  baseUrl: string;
  token: string;
  listId: string;
  taskId: string;
  b64: string;
  abortAt?: number;
  webStorage?: boolean;
}

/** Uploads a Blob from the page; returns what the SDK reported. */
function uploadInPage(a: PageArgs) {
  return page.evaluate(async (a: PageArgs) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const sdk = (window as any).sdk;
    const bytes = Uint8Array.from(atob(a.b64), (c) => c.charCodeAt(0));
    const blob = new Blob([bytes], { type: "application/x-test" });
    const client = new sdk.TaskdropClient({ baseUrl: a.baseUrl, token: a.token, retry: { baseDelayMs: 5 } });
    const progress: number[] = [];
    const retries: (number | null)[] = [];
    const ctl = new AbortController();
    try {
      const r = await client.uploadAttachment({
        listId: a.listId,
        taskId: a.taskId,
        source: blob,
        name: "from-browser.bin",
        chunkSize: 1048576,
        signal: ctl.signal,
        ...(a.webStorage ? { resumeStore: sdk.webStorageResumeStore() } : {}),
        onProgress: (p: { bytesUploaded: number }) => {
          progress.push(p.bytesUploaded);
          if (a.abortAt !== undefined && p.bytesUploaded >= a.abortAt) ctl.abort();
        },
        onRetry: (e: { status?: number }) => retries.push(e.status ?? null),
      });
      return { ok: true as const, r, progress, retries };
    } catch (e) {
      return { ok: false as const, name: (e as Error).name, message: String((e as Error).message), progress, retries };
    }
  }, a);
}

test("a Blob uploaded from Chromium arrives byte-exact; no Node module is fetched", { skip }, async () => {
  const data = randomBytes(5 * MiB + 17);
  const out = await uploadInPage({ baseUrl: `${s.url}/v1.0`, token: f.token, listId: f.listId, taskId: f.taskId, b64: data.toString("base64") });
  assert.ok(out.ok, JSON.stringify(out));
  assert.equal(out.r.contentType, "application/x-test");
  assert.deepEqual(out.progress, [0, MiB, 2 * MiB, 3 * MiB, 4 * MiB, 5 * MiB, data.length]);
  const got = await call("GET", `${f.taskUrl}/attachments/${out.r.attachmentId}/$value`, { token: f.token });
  assert.equal(sha(got.bytes), sha(data));
  assert.ok(!served.some((p) => p.includes("node")), `the page fetched ${served.join(", ")}`);
  assert.ok(served.includes("/client/upload.js"));
});

test("in Chromium: an injected 503 is retried after asking the session; a reload resumes from localStorage", { skip }, async () => {
  const cors = { "access-control-allow-origin": "*", "access-control-expose-headers": "Retry-After" };
  proxy.add({ method: "PUT", url: /attachmentSessions/, nth: 2, fault: { kind: "status", status: 503, headers: cors } });
  const data = randomBytes(3 * MiB);
  const args = { baseUrl: `${proxy.url}/v1.0`, token: f.token, listId: f.listId, taskId: f.taskId, b64: data.toString("base64"), webStorage: true };
  const first = await uploadInPage({ ...args, abortAt: 2 * MiB });
  assert.equal(first.ok, false);
  assert.equal((first as { name: string }).name, "AbortError");
  assert.deepEqual(first.retries, [503]);
  const putsAndGets = proxy.log.filter((x) => /attachmentSessions/.test(x.url) && x.method !== "OPTIONS").map((x) => `${x.method}${x.fault ? "!" : ""}`);
  assert.deepEqual(putsAndGets, ["PUT", "PUT!", "GET", "PUT"]);

  await page.reload();
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  const second = await uploadInPage(args);
  assert.ok(second.ok, JSON.stringify(second));
  assert.equal(second.r.resumedFrom, 2 * MiB);
  const got = await call("GET", `${f.taskUrl}/attachments/${second.r.attachmentId}/$value`, { token: f.token });
  assert.equal(sha(got.bytes), sha(data));
  assert.equal(await page.evaluate(() => localStorage.length), 0, "the record is gone once done");
});
