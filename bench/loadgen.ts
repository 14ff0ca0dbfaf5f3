// The load generator: a separate process, so its CPU work is not the server's and vice versa.
// Conversation with the harness over IPC:
//   harness -> {type:"job", target, endpoint, workload}
//   loadgen -> {type:"ready"}            (buffers generated, connections warmed up)
//   harness -> {type:"go"}               (memory sampling of the server has started)
//   loadgen -> {type:"timed", ...}       (the measured phase is over)
//   loadgen -> {type:"verified", count}  (every upload read back and compared), then exits
//   loadgen -> {type:"error", message}   at any point
import { randomFillSync } from "node:crypto";
import { Http } from "./lib/http.js";
import { percentile } from "./lib/stats.js";
import type { Workload } from "./lib/workloads.js";
import { targetByName } from "./targets/index.js";
import type { Endpoint, UploadClient, UploadHandle } from "./targets/types.js";

export interface Job {
  type: "job";
  target: string;
  endpoint: Endpoint;
  workload: Workload;
}

export interface TimedResult {
  type: "timed";
  elapsedMs: number;
  bytes: number;
  uploads: number;
  rangeP50Ms: number;
  rangeP99Ms: number;
  sessionP50Ms: number;
  sessionP99Ms: number;
  /** The load generator's own CPU use over the measured phase (1 = one core busy). */
  cpu: number;
}

const SHIFT_WINDOW = 1024 * 1024;

function send(msg: object): Promise<void> {
  return new Promise((resolve, reject) => process.send!(msg, (e: Error | null) => (e ? reject(e) : resolve())));
}

function nextMessage(type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (m?.type !== type) return;
      process.off("message", on);
      resolve(m);
    };
    process.on("message", on);
  });
}

/** Runs `count` tasks with at most `concurrency` in flight; the first failure stops new ones. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (!failed && next < count) {
        const i = next++;
        try {
          await task(i);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    }),
  );
}

async function main(): Promise<void> {
  const job = (await nextMessage("job")) as unknown as Job;
  const w = job.workload;
  // One random buffer; upload i sends a window of it starting at a different offset, so every
  // upload has distinct content while nothing is copied or generated during the measurement.
  const data = randomFillSync(Buffer.allocUnsafe(w.size + SHIFT_WINDOW));
  const view = (i: number) => data.subarray((i * 4099) % SHIFT_WINDOW, ((i * 4099) % SHIFT_WINDOW) + w.size);
  const http = new Http(Math.max(w.concurrency, 8));
  const client: UploadClient = targetByName(job.target).client(job.endpoint, http);

  // Warm-up, unmeasured: connections, the server's JIT, its first-use paths.
  await client.upload(data.subarray(0, Math.min(w.size, w.rangeSize)), w.rangeSize, () => {});
  await pool(16, 8, (i) => client.upload(data.subarray(i, i + 100_000), w.rangeSize, () => {}).then(() => {}));

  await send({ type: "ready" });
  await nextMessage("go");

  const ranges: number[] = [];
  const sessions: number[] = [];
  const handles: UploadHandle[] = new Array(w.uploads);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await pool(w.uploads, w.concurrency, async (i) => {
    const s0 = performance.now();
    handles[i] = await client.upload(view(i), w.rangeSize, (ms) => ranges.push(ms));
    sessions.push(performance.now() - s0);
  });
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const timed: TimedResult = {
    type: "timed",
    elapsedMs,
    bytes: w.uploads * w.size,
    uploads: w.uploads,
    rangeP50Ms: percentile(ranges, 50),
    rangeP99Ms: percentile(ranges, 99),
    sessionP50Ms: percentile(sessions, 50),
    sessionP99Ms: percentile(sessions, 99),
    cpu: (cpu.user + cpu.system) / 1000 / elapsedMs,
  };
  await send(timed);

  await pool(w.uploads, 4, (i) => client.verify(handles[i], view(i)));
  await send({ type: "verified", count: w.uploads });
  await http.close();
  process.disconnect();
}

main().catch(async (e: unknown) => {
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  try {
    await send({ type: "error", message });
  } finally {
    process.exit(1);
  }
});
