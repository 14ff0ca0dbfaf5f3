// The `queries` workload (issue 15), against a running Taskdrop: one list of `tasks` tasks, then the
// latency of a default page, a filtered page, ordered pages (a deep one by `$skip` and one by the
// nextLinks' `$skiptoken`), a counted contains() scan and `/$count`, one request at a time; last, a
// second user's GET /lists idle and while four heavy queries of the first user ($top=999, ordered,
// counted) run back to back. Used by `npm run bench` (workload `queries`) and bench/queries.ts.
import { Worker } from "node:worker_threads";
import { sleep } from "./proc.js";
import { percentile } from "./stats.js";

export interface QueriesOptions {
  tasks: number;
  samples: number;
}

/** One row of the table: what was timed, its p50 and p99 in ms. */
export interface QueryRow {
  key: string;
  label: string;
  p50: number;
  p99: number;
}

const STATUS = ["notStarted", "inProgress", "completed"];
const IMPORTANCE = ["low", "normal", "high"];
// Tasks of realistic size: a 2 KB note each, so a page of 999 is about 2 MB of JSON.
const BODY = "x".repeat(2000);

async function seed(base: string, auth: string, n: number): Promise<{ listUrl: string; tasksUrl: string }> {
  const h = { authorization: auth, "content-type": "application/json" };
  const r = await fetch(`${base}/v1.0/me/todo/lists`, { method: "POST", headers: h, body: JSON.stringify({ displayName: "big" }) });
  if (r.status !== 201) throw new Error(`create list: ${r.status} ${await r.text()}`);
  const list = (await r.json()) as { id: string };
  const listUrl = `${base}/v1.0/me/todo/lists/${encodeURIComponent(list.id)}`;
  const tasksUrl = `${listUrl}/tasks`;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const body = {
        title: `Task ${i} ${i % 7 === 0 ? "seven" : "other"}`,
        status: STATUS[i % 3],
        importance: IMPORTANCE[(i * 7) % 3],
        categories: i % 5 === 0 ? ["Red"] : [],
        body: { content: BODY, contentType: "text" },
        dueDateTime: { dateTime: `2026-${String(1 + (i % 12)).padStart(2, "0")}-${String(1 + (i % 28)).padStart(2, "0")}T00:00:00`, timeZone: "UTC" },
      };
      const res = await fetch(tasksUrl, { method: "POST", headers: h, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`seed: ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { listUrl, tasksUrl };
}

async function timed(url: string, auth: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(url, { headers: { authorization: auth } });
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
  return performance.now() - t0;
}

/** The nextLink `hops` pages into a walk from `url`. */
async function deepLink(url: string, auth: string, hops: number): Promise<string> {
  let next = url;
  for (let i = 0; i < hops; i++) {
    const r = await fetch(next, { headers: { authorization: auth } });
    const j = (await r.json()) as { "@odata.nextLink"?: string };
    if (!j["@odata.nextLink"]) break;
    next = j["@odata.nextLink"];
  }
  return next;
}

// The heavy queries run on a worker thread: reading their 2 MB answers must not delay the
// measuring loop's own event loop and be counted against the server.
const HOGS = `
const { parentPort, workerData } = require("node:worker_threads");
let stop = false;
const times = [];
parentPort.on("message", () => { stop = true; });
const hog = async () => {
  while (!stop) {
    const t0 = performance.now();
    const r = await fetch(workerData.url, { headers: { authorization: workerData.auth } });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error("heavy query: " + r.status);
    times.push(performance.now() - t0);
  }
};
const all = Array.from({ length: workerData.n }, hog);
parentPort.postMessage("started");
Promise.all(all).then(() => parentPort.postMessage(times), (e) => parentPort.postMessage(String(e)));
`;

/** Seeds, measures and deletes the list again (a database outlives the run). `a` and `b` are bearer tokens of two users. */
export async function measureQueries(base: string, a: string, b: string, o: QueriesOptions, log: (s: string) => void = () => {}): Promise<QueryRow[]> {
  const authA = `Bearer ${a}`;
  const authB = `Bearer ${b}`;
  const t0 = Date.now();
  const { listUrl, tasksUrl: url } = await seed(base, authA, o.tasks);
  log(`seeded ${o.tasks} tasks in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  try {
    const enc = encodeURIComponent;
    const deepSkip = Math.floor(o.tasks / 2);
    const deep = await deepLink(`${url}?$orderby=title&$top=50`, authA, Math.floor(deepSkip / 50));
    const shapes: [string, string, string][] = [
      ["default", "default page (50)", url],
      ["filtered", "filtered page: status eq 'completed' and importance eq 'high'", `${url}?$filter=${enc("status eq 'completed' and importance eq 'high'")}`],
      ["ordered", "ordered page: $orderby=dueDateTime/dateTime desc", `${url}?$orderby=${enc("dueDateTime/dateTime desc")}`],
      ["skip", `ordered page: $orderby=title, $skip=${deepSkip}`, `${url}?$orderby=title&$skip=${deepSkip}`],
      ["deepToken", `ordered page: $orderby=title, the nextLink ${deepSkip} items in ($skiptoken)`, deep],
      ["scan", "scan: contains(title,'seven') with $count=true", `${url}?$filter=${enc("contains(title,'seven')")}&$count=true`],
      ["count", "GET …/tasks/$count", `${url}/$count`],
    ];
    const rows: QueryRow[] = [];
    const row = (key: string, label: string, xs: number[]) => rows.push({ key, label, p50: percentile(xs, 50), p99: percentile(xs, 99) });
    for (const [key, label, u] of shapes) {
      for (let i = 0; i < 10; i++) await timed(u, authA); // warm-up
      const xs: number[] = [];
      for (let i = 0; i < o.samples; i++) xs.push(await timed(u, authA));
      row(key, label, xs);
    }
    // The other user meanwhile: four heavy queries of user A back to back, B's GET /lists every 10 ms.
    const lists = `${base}/v1.0/me/todo/lists`;
    const idle: number[] = [];
    for (let i = 0; i < o.samples; i++) idle.push(await timed(lists, authB));
    const heavy = `${url}?$top=999&$orderby=${enc("title desc")}&$count=true`;
    const hogs = new Worker(HOGS, { eval: true, workerData: { url: heavy, auth: authA, n: 4 } });
    await new Promise((resolve) => hogs.once("message", resolve));
    const busy: number[] = [];
    for (let i = 0; i < o.samples; i++) {
      busy.push(await timed(lists, authB));
      await sleep(10);
    }
    hogs.postMessage("stop");
    const heavyTimes = await new Promise<number[] | string>((resolve) => hogs.once("message", resolve));
    await hogs.terminate();
    if (typeof heavyTimes === "string") throw new Error(heavyTimes);
    row("otherIdle", "other user's GET /lists, idle", idle);
    row("otherBusy", "other user's GET /lists during 4 × ($top=999, ordered, counted)", busy);
    row("heavy", "(the heavy query itself: 999 tasks of 2 KB each, under that load)", heavyTimes);
    return rows;
  } finally {
    const r = await fetch(listUrl, { method: "DELETE", headers: { authorization: authA } }).catch(() => undefined);
    await r?.arrayBuffer();
  }
}

/** The table rows of one store's measurement, as Markdown. */
export function renderQueryRows(store: string, rows: QueryRow[]): string[] {
  return rows.map((r) => `| ${store} | ${r.label} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`);
}
