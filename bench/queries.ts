// The `queries` workload (issue 15): one list of 20,000 tasks, then the latency of a default page,
// a filtered page, an ordered page and a counted contains() scan, one request at a time; then a
// second user's GET /lists while four heavy queries ($top=999, ordered, counted) run back to back.
// Usage: node dist/bench/queries.js [--tasks N] [--samples N] [--database-url URL] (see bench/README.md)
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { Worker } from "node:worker_threads";
import { benchDir, captureOutput, freePort, sleep, stopChild, Tail } from "./lib/proc.js";
import { percentile } from "./lib/stats.js";

const mainJs = join(benchDir, "..", "src", "cli", "main.js");

const { values } = parseArgs({
  options: { tasks: { type: "string", default: "20000" }, samples: { type: "string", default: "200" }, "database-url": { type: "string" } },
});
const TASKS = Number(values.tasks);
const SAMPLES = Number(values.samples);

interface Server {
  base: string;
  token(user: string): Promise<string>;
  stop(): Promise<void>;
}

async function start(store: "sqlite" | "postgres"): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), "taskdrop-bench-q-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const stores = store === "postgres" ? ["--store", "postgres", "--database-url", values["database-url"]!] : [];
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TASKDROP_"))), TASKDROP_LOG_LEVEL: "warn" };
  const tail = new Tail();
  const child = spawn(process.execPath, [mainJs, "serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir, ...stores], { stdio: ["ignore", "pipe", "pipe"], env });
  captureOutput(child, tail);
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/_taskdrop/health`)).status === 200) break;
    } catch {
      /* not yet */
    }
    if (i > 300) throw new Error(`server not healthy\n${tail}`);
    await sleep(100);
  }
  return {
    base,
    async token(user) {
      const { stdout } = await promisify(execFile)(process.execPath, [mainJs, "token", "--user", user, "--data-dir", dataDir, ...stores], { env });
      return stdout.trim().split("\n").pop()!.trim();
    },
    async stop() {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const STATUS = ["notStarted", "inProgress", "completed"];
const IMPORTANCE = ["low", "normal", "high"];
const BODY = "x".repeat(2000);

async function seed(base: string, auth: string, n: number): Promise<string> {
  const h = { authorization: auth, "content-type": "application/json" };
  const list = (await (await fetch(`${base}/v1.0/me/todo/lists`, { method: "POST", headers: h, body: JSON.stringify({ displayName: "big" }) })).json()) as { id: string };
  const url = `${base}/v1.0/me/todo/lists/${encodeURIComponent(list.id)}/tasks`;
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
      const r = await fetch(url, { method: "POST", headers: h, body: JSON.stringify(body) });
      await r.arrayBuffer();
      if (r.status !== 201) throw new Error(`seed: ${r.status}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return url;
}

async function timed(url: string, auth: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(url, { headers: { authorization: auth } });
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
  return performance.now() - t0;
}

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
Promise.all(all).then(() => parentPort.postMessage(times));
`;

const fmt = (xs: number[]) => `${percentile(xs, 50).toFixed(1)} | ${percentile(xs, 99).toFixed(1)}`;

async function measure(store: "sqlite" | "postgres"): Promise<string[]> {
  const s = await start(store);
  try {
    const a = `Bearer ${await s.token(`bench-q-a-${Date.now()}`)}`;
    const b = `Bearer ${await s.token(`bench-q-b-${Date.now()}`)}`;
    const t0 = Date.now();
    const url = await seed(s.base, a, TASKS);
    const seedS = (Date.now() - t0) / 1000;
    const enc = encodeURIComponent;
    const shapes: [string, string][] = [
      ["default page (50)", url],
      ["filtered page: status eq 'completed' and importance eq 'high'", `${url}?$filter=${enc("status eq 'completed' and importance eq 'high'")}`],
      ["ordered page: $orderby=dueDateTime/dateTime desc", `${url}?$orderby=${enc("dueDateTime/dateTime desc")}`],
      ["ordered page: $orderby=title, $skip=10000", `${url}?$orderby=title&$skip=10000`],
      ["scan: contains(title,'seven') with $count=true", `${url}?$filter=${enc("contains(title,'seven')")}&$count=true`],
      ["GET …/tasks/$count", `${url}/$count`],
    ];
    const rows: string[] = [];
    for (const [name, u] of shapes) {
      for (let i = 0; i < 10; i++) await timed(u, a); // warm-up
      const xs: number[] = [];
      for (let i = 0; i < SAMPLES; i++) xs.push(await timed(u, a));
      rows.push(`| ${store} | ${name} | ${fmt(xs)} |`);
    }
    // The other user meanwhile: four heavy queries of user A back to back, B's GET /lists every 10 ms.
    const idle: number[] = [];
    for (let i = 0; i < SAMPLES; i++) idle.push(await timed(`${s.base}/v1.0/me/todo/lists`, b));
    // The heavy queries run on a worker thread: reading their 2 MB answers must not delay the
    // measuring loop's own event loop and be counted against the server.
    const heavy = `${url}?$top=999&$orderby=${enc("title desc")}&$count=true`;
    const hogs = new Worker(HOGS, { eval: true, workerData: { url: heavy, auth: a, n: 4 } });
    await new Promise((resolve) => hogs.once("message", resolve));
    const busy: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      busy.push(await timed(`${s.base}/v1.0/me/todo/lists`, b));
      await sleep(10);
    }
    hogs.postMessage("stop");
    const heavyTimes = await new Promise<number[]>((resolve) => hogs.once("message", resolve));
    await hogs.terminate();
    rows.push(`| ${store} | other user's GET /lists, idle | ${fmt(idle)} |`);
    rows.push(`| ${store} | other user's GET /lists during 4 × ($top=999, ordered, counted) | ${fmt(busy)} |`);
    rows.push(`| ${store} | (the heavy query itself: 999 tasks of 2 KB each, under that load) | ${fmt(heavyTimes)} |`);
    process.stderr.write(`bench queries (${store}): seeded ${TASKS} tasks in ${seedS.toFixed(0)} s\n`);
    return rows;
  } finally {
    await s.stop();
  }
}

const out = ["| store | request | p50 ms | p99 ms |", "|---|---|---|---|"];
out.push(...(await measure("sqlite")));
if (values["database-url"]) out.push(...(await measure("postgres")));
process.stdout.write(`queries workload: ${TASKS} tasks in one list, ${SAMPLES} samples each, one request at a time\n\n${out.join("\n")}\n`);
