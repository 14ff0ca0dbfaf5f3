// Shared steps of the web page's browser tests: sign in, make a list and a task, open its details,
// read a row of the uploads panel, and files on disk to choose. Everything goes through the page's
// accessible names, as a person (or a screen reader) finds them.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, ConsoleMessage, Page } from "playwright-core";
import type { ProxiedRequest } from "../helpers/fault-proxy.js";
import { call } from "../helpers/http.js";

export const MiB = 1_048_576;

export interface PageRun {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors (CSP violations among them); a test ends by asserting none. */
  problems: string[];
}

export async function openPage(browser: Browser, url: string, viewport = { width: 1280, height: 860 }): Promise<PageRun> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m: ConsoleMessage) => {
    // A dropped connection is logged by the browser as a failed resource: that is the scenario, not a fault.
    if (m.type() === "error" && !/Failed to load resource|ERR_CONNECTION|ERR_EMPTY_RESPONSE|net::/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  return { context, page, problems };
}

export async function signIn(page: Page, user: string): Promise<void> {
  await page.getByLabel("User").fill(user);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Lists" }).getByRole("link", { name: "Tasks" }).waitFor();
}

/** Creates a list through the "New list" field and opens it. */
export async function newList(page: Page, name: string): Promise<void> {
  const field = page.getByRole("textbox", { name: "New list" });
  await field.fill(name);
  await field.press("Enter");
  await page.getByRole("heading", { level: 1, name }).waitFor();
}

export async function newTask(page: Page, title: string): Promise<void> {
  const field = page.getByRole("textbox", { name: "New task" });
  await field.fill(title);
  await field.press("Enter");
  await page.getByRole("checkbox", { name: title }).waitFor();
}

export async function openDetails(page: Page, title: string): Promise<void> {
  await page.getByRole("list", { name: "Tasks" }).getByRole("button", { name: title, exact: true }).click();
  await page.getByRole("complementary", { name: "Details" }).waitFor();
}

export const progressOf = (page: Page, name: string) => page.getByRole("progressbar", { name, exact: true });

export async function percentOf(page: Page, name: string): Promise<number> {
  return Number(await progressOf(page, name).getAttribute("aria-valuenow"));
}

/** Waits until the file's progress bar reaches at least `pct` (polled: the page updates per range). */
export async function waitForPercent(page: Page, name: string, pct: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = (await progressOf(page, name).count()) > 0 ? await percentOf(page, name) : -1;
    if (v >= pct) return v;
    if (Date.now() > deadline) throw new Error(`${name} stayed at ${v} % (wanted ${pct} %)`);
    await page.waitForTimeout(50);
  }
}

/** The uploads panel's row of a file. */
export const rowOf = (page: Page, name: string) => page.getByRole("region", { name: "Uploads" }).getByRole("listitem").filter({ hasText: name });

export async function waitForState(page: Page, name: string, state: string, timeoutMs = 60_000): Promise<void> {
  try {
    await rowOf(page, name).and(page.locator(`[data-state="${state}"]`)).waitFor({ timeout: timeoutMs });
  } catch (e) {
    const rows = await rowOf(page, name).allInnerTexts().catch(() => []);
    const all = await page.locator("body").innerText().catch(() => "");
    throw new Error(`${name} did not reach "${state}" within ${timeoutMs} ms; its row says: ${JSON.stringify(rows)}; the page says: ${JSON.stringify(all)}`, { cause: e });
  }
}

/** A directory of files to choose, with random content (so no two are alike). */
export function fileDir(): { dir: string; make(name: string, size: number): { path: string; bytes: Buffer } } {
  const dir = mkdtempSync(join(tmpdir(), "taskdrop-web-files-"));
  return {
    dir,
    make(name, size) {
      const bytes = randomBytes(size);
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return { path, bytes };
    },
  };
}

/** Request-body bytes the server was sent for upload ranges, from the proxy's log. */
export function rangeBytes(log: ProxiedRequest[], from = 0): number {
  return log.slice(from).filter((r) => r.method === "PUT" && /attachmentSessions/.test(r.url)).reduce((n, r) => n + r.forwardedBytes, 0);
}

export function assertNoProblems(run: PageRun): void {
  assert.deepEqual(run.problems, [], "the page logged errors");
}

/** A task the page made, found through the API by its list's name and its title (the user's own token). */
export async function taskThroughApi(serverUrl: string, token: string, listName: string, title: string) {
  const todo = `${serverUrl}/v1.0/me/todo`;
  const list = ((await call("GET", `${todo}/lists`, { token })).json.value as { id: string; displayName: string }[]).find((l) => l.displayName === listName);
  assert.ok(list, `a list named ${listName}`);
  const listUrl = `${todo}/lists/${list.id}`;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const tasks = (await call("GET", `${listUrl}/tasks`, { token })).json.value as Record<string, any>[];
  const task = tasks.find((t) => t.title === title);
  assert.ok(task, `a task titled ${title}`);
  return { listUrl, taskUrl: `${listUrl}/tasks/${task.id}`, task, tasks };
}

/** The bytes of the task's only attachment with this name. */
export async function attachmentBytes(taskUrl: string, token: string, name: string): Promise<Buffer> {
  const atts = ((await call("GET", `${taskUrl}/attachments`, { token })).json.value as { id: string; name: string }[]).filter((a) => a.name === name);
  assert.equal(atts.length, 1, `one attachment named ${name}`);
  return (await call("GET", `${taskUrl}/attachments/${atts[0]!.id}/$value`, { token })).bytes;
}
