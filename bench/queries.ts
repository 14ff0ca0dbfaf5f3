// The `queries` workload (issue 15) on its own: starts `taskdrop serve` (and a second one on
// PostgreSQL with --database-url) and prints bench/lib/queries.ts's table. `npm run bench --
// --workloads queries` runs the same measurement inside the harness, with its targets checked.
// Usage: node dist/bench/queries.js [--tasks N] [--samples N] [--database-url URL] (see bench/README.md)
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { benchDir, captureOutput, freePort, sleep, stopChild, Tail } from "./lib/proc.js";
import { measureQueries, renderQueryRows } from "./lib/queries.js";

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

async function measure(store: "sqlite" | "postgres"): Promise<string[]> {
  const s = await start(store);
  try {
    const a = await s.token(`bench-q-a-${Date.now()}`);
    const b = await s.token(`bench-q-b-${Date.now()}`);
    const rows = await measureQueries(s.base, a, b, { tasks: TASKS, samples: SAMPLES }, (m) => process.stderr.write(`bench queries (${store}): ${m}\n`));
    return renderQueryRows(store, rows);
  } finally {
    await s.stop();
  }
}

const out = ["| store | request | p50 ms | p99 ms |", "|---|---|---|---|"];
out.push(...(await measure("sqlite")));
if (values["database-url"]) out.push(...(await measure("postgres")));
process.stdout.write(`queries workload: ${TASKS} tasks in one list, ${SAMPLES} samples each, one request at a time\n\n${out.join("\n")}\n`);
