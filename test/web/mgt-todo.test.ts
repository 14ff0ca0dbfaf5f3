// The Graph Toolkit's <mgt-todo> 4.6.0, unchanged, in headless Chromium against Taskdrop over
// --https with CORS: it renders the lists and the default list's tasks, adds a task, ticks it
// complete (the Toolkit PATCHes the whole object it holds, annotations and read-only properties
// included) and deletes it. Each step is asserted in the component's shadow DOM and on the server.
// The page (mgt-todo.page.ts) is bundled here with vite and served from an origin of its own; the
// browser trusts exactly the development certificate's key (--ignore-certificate-errors-spki-list).
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { chromiumSkipReason, launchChromium } from "../helpers/chromium.js";
import { pageOrigin, type PageOrigin } from "../helpers/page-origin.js";
import { callVia, fetchVia, trustingAgent } from "../helpers/tls.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";
import { enc } from "../http/_foundation.js";

const skip = chromiumSkipReason();
const PAGE_ENTRY = fileURLToPath(new URL("./mgt-todo.page.js", import.meta.url));

/** The page's script: the Toolkit and the provider subclass in one ES module. */
async function bundlePage(): Promise<string> {
  const { build } = await import("vite");
  const out = await build({
    configFile: false,
    logLevel: "warn",
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    build: {
      write: false,
      target: "es2022",
      minify: false,
      modulePreload: false,
      reportCompressedSize: false,
      rollupOptions: { input: PAGE_ENTRY, output: { entryFileNames: "page.js", inlineDynamicImports: true } },
    },
  });
  const chunk = (Array.isArray(out) ? out[0]! : (out as { output: Array<{ type: string; fileName: string; code?: string }> })).output.find((o) => o.fileName === "page.js");
  assert.ok(chunk && chunk.type === "chunk" && chunk.code, "vite produced page.js");
  return chunk.code;
}

const HTML = { type: "text/html; charset=utf-8", body: '<!doctype html><html><head><title>mgt-todo on Taskdrop</title><script type="module" src="/page.js"></script></head><body></body></html>' };

/** base64(SHA-256(SPKI)) of the certificate Taskdrop serves: what Chromium is told to trust. */
function spkiPin(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

interface TaskRow {
  id: string;
  title: string;
  complete: boolean;
}

/** The tasks <mgt-todo> shows, read from its shadow DOM (titles live in fluent-text-field values). */
function shownTasks(page: Page): Promise<TaskRow[]> {
  return page.evaluate(() => {
    const root = document.querySelector("mgt-todo")?.shadowRoot;
    if (!root) return [];
    return [...root.querySelectorAll("div.task:not(.new-task)")].map((div) => {
      const box = div.querySelector("fluent-checkbox");
      const title = div.querySelector("fluent-text-field.title") as (Element & { value?: string }) | null;
      return { id: box?.id ?? "", title: title?.value ?? "", complete: div.classList.contains("complete") && box?.hasAttribute("checked") === true };
    });
  });
}

/** The list names the list picker offers. */
function shownLists(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const picker = document.querySelector("mgt-todo")?.shadowRoot?.querySelector("mgt-picker");
    return [...(picker?.shadowRoot?.querySelectorAll("fluent-option") ?? [])].map((o) => (o.textContent ?? "").trim());
  });
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let last: T | undefined;
  try {
    await waitFor(what, async () => ok((last = await read())), 20_000, 50);
  } catch (e) {
    throw new Error(`${(e as Error).message}; last seen: ${JSON.stringify(last)?.slice(0, 500)}`);
  }
  return last!;
}

interface OpenTodo {
  context: BrowserContext;
  page: Page;
  /** Page errors, console errors and answers ≥ 400, as they happened. */
  problems: string[];
  /** Every request the Toolkit sent to Taskdrop, with its JSON body. */
  sent: Array<{ method: string; url: string; body: unknown }>;
}

/** The test page in a fresh context (en-US), told where Taskdrop is and which token to send. */
async function openTodo(browser: Browser, pageAt: string, baseURL: string, token: string): Promise<OpenTodo> {
  const context = await browser.newContext({ locale: "en-US" });
  await context.addInitScript((config) => {
    window.taskdrop = config;
  }, { baseURL, token });
  const page = await context.newPage();
  const problems: string[] = [];
  const sent: OpenTodo["sent"] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`${r.request().method()} ${r.url()} → ${r.status()}`);
  });
  page.on("request", (r) => {
    if (r.url().startsWith(baseURL) && r.method() !== "OPTIONS") sent.push({ method: r.method(), url: r.url(), body: r.postData() ? r.postDataJSON() : undefined });
  });
  await page.goto(`${pageAt}/`);
  return { context, page, problems, sent };
}

describe("<mgt-todo> 4.6.0 against Taskdrop (--https, CORS, headless Chromium)", { skip }, () => {
  let browser: Browser;
  let s: TestServer;
  let origin: PageOrigin;
  let api: ReturnType<typeof fetchVia>;

  before(async () => {
    // The page and its script, from an origin of their own.
    origin = await pageOrigin({ "/": HTML, "/page.js": { type: "text/javascript; charset=utf-8", body: await bundlePage() } });
    s = await startTestServer({ https: true, corsOrigins: origin.origin });
    const tls = join(s.dataDir, "tls");
    api = fetchVia(trustingAgent(readFileSync(join(tls, "ca.pem"), "utf8")));
    browser = await launchChromium([`--ignore-certificate-errors-spki-list=${spkiPin(readFileSync(join(tls, "server.pem"), "utf8"))}`]);
  });
  after(async () => {
    await browser?.close();
    await s?.close();
    await origin?.close();
  });

  test("renders lists and tasks, adds a task, ticks it complete, deletes it", async () => {
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const token = await s.token({ user: "toolkit-tia" });
    const todo = `${s.url}/v1.0/me/todo`;
    const call = (method: string, url: string, json?: unknown) => callVia(api, method, url, { token, ...(json === undefined ? {} : { json }) });
    // What the user already has: the default list (made on first use) with two tasks, and a second list.
    const lists = await call("GET", `${todo}/lists`);
    const defaultList = (lists.json.value as Array<{ id: string; wellknownListName: string }>).find((l) => l.wellknownListName === "defaultList")!;
    const tasksUrl = `${todo}/lists/${enc(defaultList.id)}/tasks`;
    for (const title of ["Buy milk", "Call the plumber"]) assert.equal((await call("POST", tasksUrl, { title })).status, 201);
    assert.equal((await call("POST", `${todo}/lists`, { displayName: "Groceries" })).status, 201);

    const { context, page, problems, sent } = await openTodo(browser, origin.origin, s.url, token);
    const patches = () => sent.filter((r) => r.method === "PATCH").map((r) => r.body as Record<string, unknown>);
    try {

      // Renders: the default list's tasks, and every list in the picker.
      const shown = await until("the default list's tasks are shown", () => shownTasks(page), (t) => t.length === 2);
      assert.deepEqual(shown.map((t) => t.title).sort(), ["Buy milk", "Call the plumber"]);
      assert.ok(shown.every((t) => !t.complete));
      const names = await until("the picker offers every list", () => shownLists(page), (l) => l.length === 2);
      assert.deepEqual(names.sort(), ["Groceries", "Tasks"]);

      // Adds a task: typed into the new-task field, Enter.
      const field = page.locator("mgt-todo").getByRole("textbox", { name: "New Task Input" });
      await field.fill("Water the plants");
      await field.press("Enter");
      const added = (await until("the new task is shown", () => shownTasks(page), (t) => t.some((x) => x.title === "Water the plants" && x.id !== ""))).find((t) => t.title === "Water the plants")!;
      const onServer = await call("GET", `${tasksUrl}/${enc(added.id)}`);
      assert.equal(onServer.status, 200, "the task exists on the server");
      assert.equal(onServer.json.title, "Water the plants");
      assert.equal(onServer.json.status, "notStarted");

      // Ticks it complete: the Toolkit PATCHes the whole object it got back from its POST.
      await page.locator(`mgt-todo fluent-checkbox[id="${added.id}"]`).click();
      await until("the task shows as complete", () => shownTasks(page), (t) => t.some((x) => x.id === added.id && x.complete));
      const completed = await until("the server has it completed", () => call("GET", `${tasksUrl}/${enc(added.id)}`), (r) => r.json.status === "completed");
      assert.equal(completed.json.completedDateTime.timeZone, "UTC");
      assert.equal(completed.json.title, "Water the plants", "nothing but the status changed");
      assert.equal(patches().length, 1);
      for (const k of ["@odata.context", "@odata.etag", "id", "createdDateTime", "lastModifiedDateTime", "hasAttachments", "body", "status"]) {
        assert.ok(k in patches()[0]!, `the Toolkit's PATCH carries ${k}`);
      }
      assert.equal(patches()[0]!.status, "completed");

      // Ticks it again: the object PATCH answered goes back with status notStarted and the old
      // completedDateTime, which is not a new one, so the task is simply open again.
      await page.locator(`mgt-todo fluent-checkbox[id="${added.id}"]`).click();
      await until("the task shows as open", () => shownTasks(page), (t) => t.some((x) => x.id === added.id && !x.complete));
      const reopened = await until("the server has it open", () => call("GET", `${tasksUrl}/${enc(added.id)}`), (r) => r.json.status === "notStarted");
      assert.equal(reopened.json.completedDateTime, undefined);
      assert.equal(patches().length, 2);
      assert.deepEqual(patches()[1]!.completedDateTime, completed.json.completedDateTime, "sent back as it was read");

      // Deletes it: the task's delete button.
      await page.locator(`mgt-todo div.task:has(fluent-checkbox[id="${added.id}"]) fluent-button.task-delete`).click();
      await until("the task is gone from the component", () => shownTasks(page), (t) => !t.some((x) => x.id === added.id));
      await until("the server deleted it", () => call("GET", `${tasksUrl}/${enc(added.id)}`), (r) => r.status === 404);
      const left = await call("GET", tasksUrl);
      assert.deepEqual((left.json.value as Array<{ title: string }>).map((t) => t.title).sort(), ["Buy milk", "Call the plumber"]);
      assert.deepEqual((await shownTasks(page)).map((t) => t.title).sort(), ["Buy milk", "Call the plumber"]);
      assert.deepEqual(problems, []);
    } catch (e) {
      // What the browser saw (a refused request, a script error) says whose fault a failure is.
      throw new Error(`${(e as Error).message}\nbrowser problems: ${JSON.stringify(problems)}`, { cause: e });
    } finally {
      await context.close();
    }
  });

  test("client defect: a due date picked in it is sent in the browser's locale format, refused with a 400 naming dueDateTime", async () => {
    const token = await s.token({ user: "toolkit-due" });
    const tasksOf = async () => {
      const lists = await callVia(api, "GET", `${s.url}/v1.0/me/todo/lists`, { token });
      const def = (lists.json.value as Array<{ id: string; wellknownListName: string }>).find((l) => l.wellknownListName === "defaultList")!;
      return (await callVia(api, "GET", `${s.url}/v1.0/me/todo/lists/${enc(def.id)}/tasks`, { token })).json.value as unknown[];
    };
    await tasksOf(); // the default list exists before the component looks for it
    const { context, page, problems, sent } = await openTodo(browser, origin.origin, s.url, token);
    try {
      const todo = page.locator("mgt-todo");
      const field = todo.getByRole("textbox", { name: "New Task Input" });
      await field.fill("Pay the rent");
      await todo.getByRole("textbox", { name: "New Task Date Input" }).fill("2030-05-01");
      await field.press("Enter");
      const post = await until("the Toolkit's POST", async () => sent.find((r) => r.method === "POST"), (r) => r !== undefined);
      // createNewTask in mgt-todo.js: dateTime is `new Date(date).toLocaleDateString()`.
      assert.deepEqual((post!.body as { dueDateTime: unknown }).dueDateTime, { dateTime: "5/1/2030", timeZone: "UTC" });
      await until("Taskdrop's 400", async () => problems, (p) => p.some((x) => x.startsWith("POST") && x.endsWith("→ 400")));
      const again = await callVia(api, "POST", post!.url, { token, json: post!.body });
      assert.equal(again.status, 400);
      assert.match(again.json.error.innerError.message, /'dueDateTime\.dateTime' is not a valid date and time/);
      assert.deepEqual(await tasksOf(), [], "nothing was created");
      // The same task without a date, through the same component, is created.
      await field.fill("Pay the rent");
      await field.press("Enter");
      await until("the task without a date on the server", tasksOf, (t) => t.length === 1);
    } finally {
      await context.close();
    }
  });
});
