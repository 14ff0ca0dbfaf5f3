// Resume in the web page, in real headless Chromium against a real `taskdrop serve` process behind
// a counting, slowing proxy: the server killed and started again (same port, same data) at ~30 %
// while the page carries on by itself, and the page reloaded at ~40 % and the file chosen again.
// Either way the server is sent at most the file's size + 8 MiB in upload ranges. Also takes the
// README's screenshot (a finished and a running upload); TASKDROP_UPDATE_SCREENSHOT=1 writes it
// to docs/web-page.png.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { chromiumSkipReason, launchChromium } from "../helpers/chromium.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { sha256 } from "../helpers/fixtures.js";
import { ProcessServer } from "../helpers/process-server.js";
import { sleep } from "../helpers/wait.js";
import { MiB, assertNoProblems, attachmentBytes, fileDir, newTask, openDetails, openPage, percentOf, rangeBytes, rowOf, signIn, taskThroughApi, waitForPercent, waitForState } from "./support.js";

const skip = chromiumSkipReason();
const SLACK = 8 * MiB;
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

describe("the web page resumes uploads", { skip }, () => {
  let srv: ProcessServer;
  let proxy: FaultProxy;
  let browser: Browser;
  const files = fileDir();

  before(async () => {
    srv = await ProcessServer.start();
    proxy = await startFaultProxy(srv.url);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await srv?.close();
  });

  /** The attachment's bytes through the API, as the user the page signed in as. */
  const attachedBytes = async (user: string, title: string, name: string): Promise<Buffer> => {
    const token = await srv.token(user);
    return attachmentBytes((await taskThroughApi(srv.url, token, "Tasks", title)).taskUrl, token, name);
  };

  test("the server is killed at ~30 % and started again: the upload finishes by itself within size + 8 MiB", async () => {
    const run = await openPage(browser, `${proxy.url}/`);
    const { page } = run;
    try {
      await signIn(page, "resume-amy");
      await newTask(page, "Survive a restart");
      await openDetails(page, "Survive a restart");
      const f = files.make("restart.bin", 20 * MiB);
      const from = proxy.log.length;
      proxy.setUploadRate(5 * MiB);
      await page.getByLabel("Attach files").setInputFiles(f.path);
      await waitForPercent(page, "restart.bin", 30);
      await srv.kill("SIGKILL");
      // The page says what is going on, in words, and waits.
      await waitForState(page, "restart.bin", "retrying", 20_000);
      assert.match(await rowOf(page, "restart.bin").innerText(), /trying again/);
      await sleep(1_500);
      await srv.restart();
      await waitForState(page, "restart.bin", "done", 120_000);
      proxy.setUploadRate(undefined);
      const sent = rangeBytes(proxy.log, from);
      assert.ok(sent >= f.bytes.length, `sent ${sent}`);
      assert.ok(sent <= f.bytes.length + SLACK, `the server was sent ${sent} bytes of ranges for a ${f.bytes.length}-byte file`);
      assert.equal(sha256(await attachedBytes("resume-amy", "Survive a restart", "restart.bin")), sha256(f.bytes));
      assertNoProblems(run);
    } finally {
      proxy.setUploadRate(undefined);
      await run.context.close();
    }
  });

  test("the page is reloaded at ~40 %: the upload is paused, a different file is refused, the same file continues where the server stands", async () => {
    const run = await openPage(browser, `${proxy.url}/`);
    const { page } = run;
    try {
      await signIn(page, "resume-ben");
      await newTask(page, "Survive a reload");
      await openDetails(page, "Survive a reload");
      const f = files.make("reload.bin", 20 * MiB + 333);
      const from = proxy.log.length;
      proxy.setUploadRate(5 * MiB);
      await page.getByLabel("Attach files").setInputFiles(f.path);
      await waitForPercent(page, "reload.bin", 40);
      await page.reload();
      proxy.setUploadRate(undefined);

      // Signed in again (the user name, not the token, was kept for this tab); the upload is listed as paused.
      const row = rowOf(page, "reload.bin");
      await waitForState(page, "reload.bin", "paused", 20_000);
      await row.getByText("Paused — choose the file again to resume").waitFor();
      const deadline = Date.now() + 10_000;
      while ((await percentOf(page, "reload.bin")) < 30 && Date.now() < deadline) await page.waitForTimeout(50);
      const pausedAt = await percentOf(page, "reload.bin");
      assert.ok(pausedAt >= 30 && pausedAt < 100, `paused at ${pausedAt} %`);

      // Another file of the same name and size: refused, the paused upload kept.
      const other = fileDir().make("reload.bin", f.bytes.length);
      await row.getByLabel("Choose reload.bin again").setInputFiles(other.path);
      const refusal = page.getByRole("region", { name: "Uploads" }).getByRole("alert").filter({ hasText: "not the file whose upload is paused" });
      await refusal.waitFor();
      await waitForState(page, "reload.bin", "paused");
      await page.locator('[data-state="refused"]').getByRole("button", { name: "Dismiss reload.bin", exact: true }).click();
      await refusal.waitFor({ state: "detached" });

      const before = rangeBytes(proxy.log, from);
      await row.getByLabel("Choose reload.bin again").setInputFiles(f.path);
      await waitForState(page, "reload.bin", "done", 60_000);
      const message = await row.innerText();
      const resumedAt = Number(/resumed from (\d+) %/.exec(message)?.[1]);
      assert.ok(resumedAt >= 30, `resumed from ${resumedAt} % (${message})`);
      const after = rangeBytes(proxy.log, from) - before;
      assert.ok(after <= f.bytes.length - (f.bytes.length * (resumedAt - 1)) / 100, `after the reload only the rest was sent (${after} bytes)`);
      const sent = rangeBytes(proxy.log, from);
      assert.ok(sent <= f.bytes.length + SLACK, `the server was sent ${sent} bytes of ranges for a ${f.bytes.length}-byte file`);
      assert.equal(sha256(await attachedBytes("resume-ben", "Survive a reload", "reload.bin")), sha256(f.bytes));

      // The screenshot: one finished upload, one running.
      await openDetails(page, "Survive a reload");
      proxy.setUploadRate(1 * MiB);
      const running = files.make("holiday-video.mp4", 18 * MiB);
      await page.getByLabel("Attach files").setInputFiles(running.path);
      await waitForPercent(page, "holiday-video.mp4", 35);
      await page.getByText(/left$/).first().waitFor();
      const png = await page.screenshot({ fullPage: false });
      assert.equal(png.subarray(1, 4).toString("latin1"), "PNG");
      if (process.env.TASKDROP_UPDATE_SCREENSHOT === "1") {
        mkdirSync(join(repoRoot, "docs"), { recursive: true });
        writeFileSync(join(repoRoot, "docs", "web-page.png"), png);
      }
      proxy.setUploadRate(undefined);
      await waitForState(page, "holiday-video.mp4", "done");
      assertNoProblems(run);
    } finally {
      proxy.setUploadRate(undefined);
      await run.context.close();
    }
  });
});

