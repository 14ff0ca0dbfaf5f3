// The web page in real headless Chromium, through a proxy that logs (and, where a test needs time
// to act mid-upload, slows) what reaches the server: sign-in, lists, tasks, details, uploads with
// progress, refusal, cancel, parallel files, drop, download, keyboard use and phone width.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { chromiumSkipReason, launchChromium } from "../helpers/chromium.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { sha256 } from "../helpers/fixtures.js";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { MiB, assertNoProblems, attachmentBytes, fileDir, newList, newTask, openDetails, openPage, percentOf, progressOf, rangeBytes, rowOf, signIn, taskThroughApi, waitForPercent, waitForState } from "./support.js";

const skip = chromiumSkipReason();

describe("the web page in headless Chromium", { skip }, () => {
  let s: TestServer;
  let proxy: FaultProxy;
  let browser: Browser;
  const files = fileDir();

  before(async () => {
    s = await startTestServer();
    proxy = await startFaultProxy(s.url);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await s?.close();
  });

  /** A task through the API as the signed-in user (the dev token the page got is the same user's). */
  const task = async (user: string, listName: string, title: string) => {
    const token = await s.token({ user });
    return { token, ...(await taskThroughApi(s.url, token, listName, title)) };
  };

  test("sign in, make a list and a task, attach a 20 MB file: bytes identical through the API and the download link", async () => {
    const run = await openPage(browser, `${proxy.url}/`);
    const { page } = run;
    try {
      await signIn(page, "web-alice");
      await newList(page, "Trip");
      assert.equal(await page.getByRole("navigation", { name: "Lists" }).getByRole("link", { name: "Trip" }).getAttribute("aria-current"), "page");
      await newTask(page, "Pack the bags");
      await openDetails(page, "Pack the bags");
      const big = files.make("photos.zip", 20 * MiB + 12_345);
      await page.getByLabel("Attach files").setInputFiles(big.path);
      await progressOf(page, "photos.zip").waitFor();
      await waitForState(page, "photos.zip", "done");
      assert.equal(await percentOf(page, "photos.zip"), 100);
      await assert.doesNotReject(rowOf(page, "photos.zip").getByText("20.0 MiB of 20.0 MiB").waitFor());

      // Through the API: one attachment, the same bytes.
      const { token, taskUrl } = await task("web-alice", "Trip", "Pack the bags");
      assert.equal((await call("GET", `${taskUrl}/attachments`, { token })).json.value.length, 1);
      assert.equal(sha256(await attachmentBytes(taskUrl, token, "photos.zip")), sha256(big.bytes));

      // The details list it as a link with its size; the task shows the count.
      const details = page.getByRole("complementary", { name: "Details" });
      const link = details.getByRole("link", { name: "photos.zip" });
      await link.waitFor();
      await details.getByText("20.0 MiB").waitFor();
      await page.getByRole("list", { name: "Tasks" }).getByText("1 attachment").waitFor();
      const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
      assert.equal(download.suggestedFilename(), "photos.zip");
      assert.equal(sha256(readFileSync((await download.path())!)), sha256(big.bytes));

      // Delete from the details: gone through the API too.
      await details.getByRole("button", { name: "Delete photos.zip" }).click();
      await details.getByText("No files yet").waitFor();
      const left = (await call("GET", `${taskUrl}/attachments`, { token })).json.value;
      assert.equal(left.length, 0);
      assertNoProblems(run);
    } finally {
      await run.context.close();
    }
  });

  test("a 26 MiB file is refused before any request, with the reason; a 0-byte file is attached", async () => {
    const run = await openPage(browser, `${proxy.url}/`);
    const { page } = run;
    try {
      await signIn(page, "web-bob");
      await newTask(page, "Limits");
      await openDetails(page, "Limits");
      const huge = files.make("huge.iso", 26 * MiB);
      const seen = proxy.log.length;
      await page.getByLabel("Attach files").setInputFiles(huge.path);
      const alert = rowOf(page, "huge.iso").getByRole("alert");
      await alert.waitFor();
      assert.match(await alert.innerText(), /at most 25 MiB/);
      await page.waitForTimeout(300);
      assert.deepEqual(proxy.log.slice(seen).map((r) => `${r.method} ${r.url}`), [], "no request was sent for the refused file");

      const empty = files.make("empty.txt", 0);
      await page.getByLabel("Attach files").setInputFiles(empty.path);
      await waitForState(page, "empty.txt", "done");
      assert.equal(await percentOf(page, "empty.txt"), 100);
      await page.getByRole("complementary", { name: "Details" }).getByRole("link", { name: "empty.txt" }).waitFor();
      assertNoProblems(run);
    } finally {
      await run.context.close();
    }
  });

  test("two files upload at once, each with its own progress, speed and time left; a drop on a task attaches", async () => {
    const run = await openPage(browser, `${proxy.url}/`);
    const { page } = run;
    // Slow enough (about 4 s for both) that a busy machine still sees them under way, speed and time left shown.
    proxy.setUploadRate(3 * MiB);
    try {
      await signIn(page, "web-carol");
      await newTask(page, "Two at once");
      await openDetails(page, "Two at once");
      const a = files.make("first.bin", 6 * MiB);
      const b = files.make("second.bin", 6 * MiB);
      await page.getByLabel("Attach files").setInputFiles([a.path, b.path]);
      // Both under way at the same moment.
      const deadline = Date.now() + 30_000;
      let both = false;
      while (!both && Date.now() < deadline) {
        const [pa, pb] = [await percentOf(page, "first.bin").catch(() => 0), await percentOf(page, "second.bin").catch(() => 0)];
        both = pa > 0 && pa < 100 && pb > 0 && pb < 100;
        if (!both) await page.waitForTimeout(30);
      }
      assert.ok(both, "both files were in progress at once");
      const row = rowOf(page, "first.bin");
      await row.getByText(/\/s$/).waitFor();
      await row.getByText(/left$/).waitFor();
      await waitForState(page, "first.bin", "done");
      await waitForState(page, "second.bin", "done");
      proxy.setUploadRate(undefined);

      // Drop a file on a task in the list (not the open one).
      await newTask(page, "Drop target");
      const item = page.getByRole("list", { name: "Tasks" }).getByRole("listitem").filter({ hasText: "Drop target" });
      const dt = await page.evaluateHandle(() => {
        const d = new DataTransfer();
        d.items.add(new File(["dropped bytes"], "dropped.txt", { type: "text/plain" }));
        return d;
      });
      await item.dispatchEvent("dragover", { dataTransfer: dt });
      await item.dispatchEvent("drop", { dataTransfer: dt });
      await waitForState(page, "dropped.txt", "done");
      await item.getByText("1 attachment").waitFor();
      await page.getByRole("list", { name: "Tasks" }).getByRole("listitem").filter({ hasText: "Two at once" }).getByText("2 attachments").waitFor();
      assertNoProblems(run);
    } finally {
      proxy.setUploadRate(undefined);
      await run.context.close();
    }
  });

  test("Cancel stops the upload and deletes its session", async () => {
    const run = await openPage(browser, `${proxy.url}/`);
    const { page } = run;
    proxy.setUploadRate(1 * MiB);
    try {
      await signIn(page, "web-dave");
      await newTask(page, "Cancel me");
      await openDetails(page, "Cancel me");
      const f = files.make("stop-me.bin", 12 * MiB);
      await page.getByLabel("Attach files").setInputFiles(f.path);
      await waitForPercent(page, "stop-me.bin", 8);
      await rowOf(page, "stop-me.bin").getByRole("button", { name: "Cancel stop-me.bin", exact: true }).click();
      await waitForState(page, "stop-me.bin", "cancelled");
      await rowOf(page, "stop-me.bin").getByText("Cancelled: the upload session was deleted.").waitFor();
      proxy.setUploadRate(undefined);
      const { token, taskUrl } = await task("web-dave", "Tasks", "Cancel me");
      assert.deepEqual((await call("GET", `${taskUrl}/attachmentSessions`, { token })).json.value, [], "no session is left");
      assert.deepEqual((await call("GET", `${taskUrl}/attachments`, { token })).json.value, [], "nothing was attached");
      const del = proxy.log.filter((r) => r.method === "DELETE" && /attachmentSessions/.test(r.url));
      assert.equal(del.length, 1);
      assert.equal(del[0]!.status, 204);
      assert.ok(rangeBytes(proxy.log) > 0);
      assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("taskdrop-upload:")).length), 0, "no resume record is left");
      assertNoProblems(run);
    } finally {
      proxy.setUploadRate(undefined);
      await run.context.close();
    }
  });

  test("lists: rename, delete, and Graph's error when the default list is deleted; tasks complete into a Completed group; details edit", async () => {
    const run = await openPage(browser, `${proxy.url}/`);
    const { page } = run;
    try {
      await signIn(page, "web-erin");
      // The default list cannot be deleted: Graph's own message, in words.
      await page.getByRole("button", { name: "Delete list" }).click();
      await page.getByRole("button", { name: "Delete", exact: true }).click();
      const alert = page.getByRole("main").getByRole("alert");
      await alert.waitFor();
      assert.match(await alert.innerText(), /Could not delete the list Tasks: .*default task folder can't be deleted/);

      await newList(page, "Groceries");
      await page.getByRole("button", { name: "Rename list" }).click();
      await page.getByRole("textbox", { name: "List name" }).fill("Shopping");
      await page.getByRole("textbox", { name: "List name" }).press("Enter");
      await page.getByRole("heading", { level: 1, name: "Shopping" }).waitFor();
      await page.getByRole("navigation", { name: "Lists" }).getByRole("link", { name: "Shopping" }).waitFor();

      await newTask(page, "Milk");
      await newTask(page, "Bread");
      // A click, not check(): the checkbox moves into the Completed group once the server agrees,
      // and check() would look for it where it was.
      await page.getByRole("checkbox", { name: "Milk" }).click();
      await page.getByText("Completed (1)").click();
      await page.getByRole("list", { name: "Completed" }).getByRole("checkbox", { name: "Milk" }).waitFor();
      assert.equal(await page.getByRole("list", { name: "Tasks" }).getByRole("checkbox", { name: "Milk" }).count(), 0);

      await openDetails(page, "Bread");
      const details = page.getByRole("complementary", { name: "Details" });
      await details.getByLabel("Notes").fill("Wholemeal");
      await details.getByLabel("Due date").fill("2030-05-01");
      await details.getByLabel("Importance").selectOption("high");
      await details.getByLabel("Title").fill("Bread rolls");
      await details.getByLabel("Title").press("Enter");
      await page.getByRole("list", { name: "Tasks" }).getByRole("button", { name: "Bread rolls" }).waitFor();
      const { token, listUrl, tasks, task: bread } = await task("web-erin", "Shopping", "Bread rolls");
      assert.equal(bread.body.content, "Wholemeal");
      assert.equal(bread.importance, "high");
      assert.equal(bread.dueDateTime.dateTime.slice(0, 10), "2030-05-01");
      assert.equal(tasks.find((t) => t.title === "Milk")!.status, "completed");

      // Escape closes the details and puts the focus back on the task.
      await details.getByLabel("Notes").focus();
      await page.keyboard.press("Escape");
      await details.waitFor({ state: "detached" });
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Bread rolls");

      // Delete the list (two steps): gone from the navigation and through the API.
      await page.getByRole("button", { name: "Delete list" }).click();
      await page.getByRole("button", { name: "Delete", exact: true }).click();
      await page.getByRole("heading", { level: 1, name: "Tasks" }).waitFor();
      assert.equal(await page.getByRole("navigation", { name: "Lists" }).getByRole("link", { name: "Shopping" }).count(), 0);
      assert.equal((await call("GET", listUrl, { token })).status, 404);
      assertNoProblems(run);
    } finally {
      await run.context.close();
    }
  });

  test("steps in the details: add two, check one, rename it, delete the other; the API has exactly that", async () => {
    const run = await openPage(browser, `${proxy.url}/`);
    const { page } = run;
    try {
      await signIn(page, "web-steps");
      await newTask(page, "Trip");
      await openDetails(page, "Trip");
      const steps = page.getByRole("region", { name: "Steps" });
      const add = steps.getByRole("textbox", { name: "Add a step" });
      for (const name of ["Book train", "Pack"]) {
        await add.fill(name);
        await add.press("Enter");
        await steps.getByRole("checkbox", { name: `Step done: ${name}` }).waitFor();
      }
      assert.equal(await add.inputValue(), "", "the field empties once the step is added");
      await steps.getByRole("checkbox", { name: "Step done: Book train" }).click();
      await page.waitForFunction(() => (document.querySelector('[aria-label="Step done: Book train"]') as HTMLInputElement | null)?.checked === true);
      const name = steps.getByRole("textbox", { name: "Step name: Book train" });
      await name.fill("Book the train");
      await name.press("Enter");
      await steps.getByRole("checkbox", { name: "Step done: Book the train" }).waitFor();
      await steps.getByRole("button", { name: "Delete step Pack" }).click();
      await steps.getByRole("checkbox", { name: "Step done: Pack" }).waitFor({ state: "detached" });

      const { token, taskUrl } = await task("web-steps", "Tasks", "Trip");
      const items = (await call("GET", `${taskUrl}/checklistItems`, { token })).json.value as { displayName: string; isChecked: boolean; checkedDateTime?: string }[];
      assert.deepEqual(items.map((i) => [i.displayName, i.isChecked]), [["Book the train", true]]);
      assert.ok(items[0]!.checkedDateTime, "the server set checkedDateTime");
      // Reopened, the details show what the server has.
      await page.keyboard.press("Escape");
      await openDetails(page, "Trip");
      await page.getByRole("region", { name: "Steps" }).getByRole("checkbox", { name: "Step done: Book the train", checked: true }).waitFor();
      assertNoProblems(run);
    } finally {
      await run.context.close();
    }
  });

  test("keyboard only: sign in, add a task, complete it, open and close its details", async () => {
    const run = await openPage(browser, `${proxy.url}/`);
    const { page } = run;
    try {
      await page.getByLabel("User").waitFor();
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement).name), "user");
      await page.keyboard.type("web-kim");
      await page.keyboard.press("Enter");
      await page.getByRole("navigation", { name: "Lists" }).getByRole("link", { name: "Tasks" }).waitFor();
      // Tab from the top until the New task field has the focus.
      for (let i = 0; i < 20 && (await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))) !== "New task"; i++) await page.keyboard.press("Tab");
      await page.keyboard.type("By keyboard");
      await page.keyboard.press("Enter");
      await page.getByRole("checkbox", { name: "By keyboard" }).waitFor();
      await page.keyboard.press("Tab");
      assert.match((await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))) ?? "", /By keyboard/);
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      await page.getByRole("complementary", { name: "Details" }).waitFor();
      await page.keyboard.press("Escape");
      await page.getByRole("complementary", { name: "Details" }).waitFor({ state: "detached" });
      // The focus goes back to the task's title on the next frame: only then is Shift+Tab its checkbox.
      await page.waitForFunction(() => document.activeElement?.textContent === "By keyboard");
      await page.keyboard.press("Shift+Tab");
      await page.keyboard.press("Space");
      await page.getByText("Completed (1)").waitFor();
      assertNoProblems(run);
    } finally {
      await run.context.close();
    }
  });

  test("at phone width nothing overflows sideways and the whole flow still works", async () => {
    const run = await openPage(browser, `${proxy.url}/`, { width: 390, height: 844 });
    const { page } = run;
    try {
      await signIn(page, "web-phone");
      await newTask(page, "On the phone");
      await openDetails(page, "On the phone");
      const f = files.make("phone.jpg", 300_000);
      await page.getByLabel("Attach files").setInputFiles(f.path);
      await waitForState(page, "phone.jpg", "done");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
      for (const name of ["New list", "New task"]) {
        const box = await page.getByRole("textbox", { name }).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${name} fits the screen`);
      }
      assertNoProblems(run);
    } finally {
      await run.context.close();
    }
  });
});
