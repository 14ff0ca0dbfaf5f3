// The page where it is not at http://host/: over --https (the development certificate), and under a
// --public-url with a path behind a reverse proxy that strips that path. Its asset, API, token and
// upload URLs must all follow.
import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { chromiumSkipReason, launchChromium } from "../helpers/chromium.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { assertNoProblems, fileDir, newTask, openDetails, openPage, signIn, waitForState } from "./support.js";

const skip = chromiumSkipReason();

/** A reverse proxy serving `target` under `/prefix/`, the way a site puts an app under a path. */
async function prefixProxy(target: string, prefix: string, port = 0): Promise<{ url: string; paths: string[]; close(): Promise<void> }> {
  const up = new URL(target);
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? "/";
    paths.push(url);
    if (!url.startsWith(`${prefix}/`)) return void res.writeHead(404).end();
    const fwd = request(
      { host: up.hostname, port: up.port, method: req.method, path: url.slice(prefix.length), headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    fwd.on("error", () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe("the page over HTTPS and under a public URL with a path", { skip }, () => {
  let browser: Browser;
  const files = fileDir();
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => browser?.close());

  test("over --https with the development certificate: sign in, attach", async () => {
    const s: TestServer = await startTestServer({ https: true });
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      assert.match(s.url, /^https:/);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(e.message));
      await page.goto(`${s.url}/`);
      await signIn(page, "tls-tia");
      await newTask(page, "Over TLS");
      await openDetails(page, "Over TLS");
      await page.getByLabel("Attach files").setInputFiles(files.make("tls.bin", 1_500_000).path);
      await waitForState(page, "tls.bin", "done");
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
      await s.close();
    }
  });

  test("under --public-url http://proxy/todo behind a proxy that strips /todo: everything goes through /todo/", async () => {
    // The proxy's port must be known before the server that names it in --public-url: take a free one.
    let proxy: Awaited<ReturnType<typeof prefixProxy>> | undefined;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const s = await startTestServer({ publicUrl: `http://127.0.0.1:${port}/todo` });
    try {
      proxy = await prefixProxy(s.url, "/todo", port);
      const run = await openPage(browser, `${proxy.url}/todo/`);
      const { page } = run;
      try {
        await signIn(page, "path-pat");
        await newTask(page, "Under a path");
        await openDetails(page, "Under a path");
        await page.getByLabel("Attach files").setInputFiles(files.make("under-path.bin", 1_200_000).path);
        await waitForState(page, "under-path.bin", "done");
        const outside = proxy.paths.filter((p) => !p.startsWith("/todo/"));
        assert.deepEqual(outside, [], "every request of the page stayed under /todo/");
        assert.ok(proxy.paths.some((p) => p.startsWith("/todo/assets/")));
        assert.ok(proxy.paths.some((p) => p.startsWith("/todo/_taskdrop/web/token")));
        assert.ok(proxy.paths.some((p) => /^\/todo\/v1\.0\/users\/[^/]+\/todo\/lists\/[^/]+\/tasks\/[^/]+\/attachmentSessions\//.test(p)), "the uploadUrl is under the public URL");
        assertNoProblems(run);
      } finally {
        await run.context.close();
      }
    } finally {
      await proxy?.close();
      await s.close();
    }
  });
});

