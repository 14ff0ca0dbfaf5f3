// The benchmark harness: starts each target's server as a child process on 127.0.0.1 with a fresh
// data directory, drives it from a separate load-generator process, samples the server's memory,
// and reports min/median/max over repetitions plus ratios computed within the same run.
// See bench/README.md. Usage: npm run bench -- [--quick] [--targets a,b] [--workloads x,y] [--repeat N] [--database-url URL]
import { fork, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Job, TimedResult } from "./loadgen.js";
import { readTopFrames, renderFrames } from "./lib/cpu-profile.js";
import { benchDir, RssSampler, rssBytes } from "./lib/proc.js";
import { measureQueries } from "./lib/queries.js";
import { aims, ratios, renderAims, renderRatios, renderWorkload, summarise, type RepMetrics, type Results } from "./lib/report.js";
import { QUICK_DEFAULT, workloads as allWorkloads, type Workload } from "./lib/workloads.js";
import { TARGETS, targetByName } from "./targets/index.js";
import type { RunningTarget, Target } from "./targets/types.js";

const USAGE = `Usage: npm run bench -- [options]
  --quick               a short run for developers (under a minute without Taskdrop)
  --targets a,b         among ${TARGETS.map((t) => t.name).join(", ")}
                        (default: all; taskdrop-pg only when a database URL is given)
  --workloads x,y       among ${allWorkloads(false).map((w) => w.name).join(", ")} (default: all; with --quick: ${QUICK_DEFAULT.join(", ")})
  --repeat N            repetitions of each workload (default 3, or 1 with --quick)
  --database-url URL    PostgreSQL for the taskdrop-pg target (or TASKDROP_DATABASE_URL)
  --ref DIR             also run taskdrop-ref (and taskdrop-ref-pg with a database URL): Taskdrop built in DIR (a checkout with dist/, e.g. a
                        git worktree of main after npm run build), for a same-run before/after ratio
  --cpu-prof            profile the Taskdrop servers (node --cpu-prof): print each repetition's
                        top frames and keep the .cpuprofile files in bench/results/profiles
                        (profiling slows the server: figures of such a run are not comparable)
  --help`;

interface Options {
  quick: boolean;
  targets: Target[];
  workloads: Workload[];
  repeat: number;
  databaseUrl?: string;
  /** The checkout taskdrop-ref runs from. */
  refDir?: string;
  cpuProf: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      targets: { type: "string" },
      workloads: { type: "string" },
      repeat: { type: "string" },
      "database-url": { type: "string" },
      "cpu-prof": { type: "boolean", default: false },
      ref: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick!;
  const databaseUrl = values["database-url"] || process.env.TASKDROP_DATABASE_URL || undefined;
  const list = (v: string | undefined) => (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const refDir = values.ref ? resolve(values.ref) : undefined;
  const targetNames = values.targets
    ? list(values.targets)
    : TARGETS.map((t) => t.name).filter((n) => (!n.endsWith("-pg") || databaseUrl) && (!n.startsWith("taskdrop-ref") || refDir));
  const targets = targetNames.map(targetByName);
  const known = allWorkloads(quick);
  const workloadNames = values.workloads ? list(values.workloads) : known.map((w) => w.name).filter((n) => !quick || QUICK_DEFAULT.includes(n));
  const workloads = workloadNames.map((n) => {
    const w = known.find((x) => x.name === n);
    if (!w) throw new Error(`unknown workload "${n}" (known: ${known.map((x) => x.name).join(", ")})`);
    return w;
  });
  const repeat = values.repeat === undefined ? (quick ? 1 : 3) : Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a whole number ≥ 1, got "${values.repeat}"`);
  return { quick, targets, workloads, repeat, databaseUrl, refDir, cpuProf: values["cpu-prof"]! };
}

/** Messages from the load generator, queued so none is missed between awaits. */
class Inbox {
  private readonly queue: Record<string, unknown>[] = [];
  private waiter: { type: string; resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(child: ChildProcess) {
    child.on("message", (m: Record<string, unknown>) => {
      if (m.type === "error") this.fail(new Error(`load generator: ${String(m.message)}`));
      else {
        this.queue.push(m);
        this.deliver();
      }
    });
    child.on("exit", (code, sig) => this.fail(new Error(`load generator exited (${code ?? sig}) early`)));
  }

  fail(e: Error): void {
    this.failure ??= e;
    this.waiter?.reject(this.failure);
    this.waiter = undefined;
  }

  private deliver(): void {
    if (!this.waiter) return;
    const i = this.queue.findIndex((m) => m.type === this.waiter!.type);
    if (i < 0) return;
    const [m] = this.queue.splice(i, 1);
    this.waiter.resolve(m!);
    this.waiter = undefined;
  }

  next(type: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.waiter = { type, resolve, reject };
      this.deliver();
      if (this.waiter && this.failure) this.fail(this.failure);
    });
  }
}

/** Cleanups of whatever is running, for Ctrl-C. */
const live = new Set<() => Promise<void>>();
process.on("SIGINT", () => {
  console.error("\ninterrupted: stopping servers and removing their data");
  void Promise.allSettled([...live].map((f) => f())).then(() => process.exit(130));
});
/** Last resort when the harness dies some other way: no orphaned servers or data left behind. */
const livePids = new Set<number>();
const liveDirs = new Set<string>();
process.on("exit", () => {
  for (const pid of livePids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});
// A closed pipe (`npm run bench | head`) must not abort the run halfway.
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});

const resultsDir = join(benchDir, "..", "..", "bench", "results");
const startedAt = new Date();
const startStamp = startedAt.toISOString().replace(/[:.]/g, "-");

/** Moves the profile the server wrote at exit into bench/results/profiles and ranks its frames. */
async function collectProfile(profDir: string, label: string): Promise<{ file: string; top: Awaited<ReturnType<typeof readTopFrames>> } | undefined> {
  const written = (await readdir(profDir)).filter((f) => f.endsWith(".cpuprofile"));
  if (written.length === 0) return undefined;
  const dir = join(resultsDir, "profiles");
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${label}.cpuprofile`);
  await copyFile(join(profDir, written[0]!), file);
  return { file: relative(process.cwd(), file), top: await readTopFrames(file, 15) };
}

interface RepOutcome {
  metrics: RepMetrics;
  profile?: { file: string; top: Awaited<ReturnType<typeof readTopFrames>> };
}

/** The `queries` workload against a started Taskdrop target (bench/lib/queries.ts), as the report's metrics. */
async function runQueries(server: RunningTarget, o: { tasks: number; samples: number }, label: string, timeoutMs: number): Promise<RepMetrics> {
  if (!server.token) throw new Error("this target has no second user for the queries workload");
  const other = await server.token("other");
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no result within ${timeoutMs / 1000} s`)), timeoutMs)));
  try {
    const measured = measureQueries(String(server.endpoint.baseUrl), String(server.endpoint.token), other, o, (m) => console.error(`${label}: ${m}`));
    const rows = await Promise.race([measured, timeout]);
    const by = Object.fromEntries(rows.map((r) => [r.key, r]));
    return {
      defaultP50Ms: by.default!.p50,
      defaultP99Ms: by.default!.p99,
      filteredP99Ms: by.filtered!.p99,
      orderedP99Ms: by.ordered!.p99,
      skipP99Ms: by.skip!.p99,
      deepTokenP99Ms: by.deepToken!.p99,
      otherBusyP50Ms: by.otherBusy!.p50,
      otherBusyP99Ms: by.otherBusy!.p99,
      heavyP50Ms: by.heavy!.p50,
    };
  } finally {
    clearTimeout(timer);
  }
}

async function runRep(target: Target, w: Workload, rep: number, opts: Options): Promise<RepOutcome> {
  const dataDir = await mkdtemp(join(tmpdir(), `taskdrop-bench-${target.name}-`));
  const profDir = opts.cpuProf && target.name.startsWith("taskdrop") ? await mkdtemp(join(tmpdir(), "taskdrop-bench-prof-")) : undefined;
  let server: RunningTarget | undefined;
  let loadgen: ChildProcess | undefined;
  liveDirs.add(dataDir);
  let stopping: Promise<void> | undefined;
  const stopServer = () => (stopping ??= server?.stop() ?? Promise.resolve());
  const cleanup = async () => {
    if (loadgen && loadgen.exitCode === null && loadgen.signalCode === null) loadgen.kill("SIGKILL");
    await stopServer();
    await rm(dataDir, { recursive: true, force: true });
    if (server) livePids.delete(server.pid);
    if (loadgen?.pid) livePids.delete(loadgen.pid);
    liveDirs.delete(dataDir);
  };
  live.add(cleanup);
  const timeoutMs = opts.quick ? 60_000 : 600_000;
  try {
    server = await target.start({ dataDir, databaseUrl: opts.databaseUrl, refDir: opts.refDir, cpuProfDir: profDir });
    livePids.add(server.pid);
    if (w.queries) {
      const metrics = await runQueries(server, w.queries, `[${w.name} ${rep + 1}] ${target.name}`, opts.quick ? 300_000 : 1_200_000);
      if (!profDir) return { metrics };
      await stopServer();
      return { metrics, profile: await collectProfile(profDir, `${startStamp}-${w.name}-${target.name}-${rep + 1}`) };
    }
    const idleRss = rssBytes(server.pid);
    loadgen = fork(join(benchDir, "loadgen.js"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    if (loadgen.pid) livePids.add(loadgen.pid);
    const inbox = new Inbox(loadgen);
    const timer = setTimeout(() => inbox.fail(new Error(`no result within ${timeoutMs / 1000} s`)), timeoutMs);
    try {
      const job: Job = { type: "job", target: target.name, endpoint: server.endpoint, workload: w };
      loadgen.send(job);
      await inbox.next("ready");
      const sampler = new RssSampler(server.pid);
      sampler.start();
      loadgen.send({ type: "go" });
      let sampled: { peakRss: number; cpu: number };
      let timed: TimedResult;
      try {
        timed = (await inbox.next("timed")) as unknown as TimedResult;
      } finally {
        sampled = sampler.stop();
      }
      await inbox.next("verified");
      const s = timed.elapsedMs / 1000;
      const metrics: RepMetrics = {
        elapsedMs: timed.elapsedMs,
        mbps: timed.bytes / 1e6 / s,
        sessionsPerSec: timed.uploads / s,
        rangeP50Ms: timed.rangeP50Ms,
        rangeP99Ms: timed.rangeP99Ms,
        sessionP50Ms: timed.sessionP50Ms,
        sessionP99Ms: timed.sessionP99Ms,
        peakRssMB: sampled.peakRss / 1e6,
        cpuSecPerGB: (sampled.cpu * s) / (timed.bytes / 1e9),
        cpuMsPerUpload: (sampled.cpu * timed.elapsedMs) / timed.uploads,
        idleRssMB: idleRss / 1e6,
        serverCpu: sampled.cpu,
        loadgenCpu: timed.cpu,
      };
      if (!profDir) return { metrics };
      // The profile is written when the server exits, so stop it first.
      await stopServer();
      const profile = await collectProfile(profDir, `${startStamp}-${w.name}-${target.name}-${rep + 1}`);
      return { metrics, profile };
    } finally {
      clearTimeout(timer);
    }
  } catch (e) {
    const tail = server?.logTail().trim();
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(tail ? `${msg}\n--- ${target.name} server output (tail) ---\n${tail}` : msg);
  } finally {
    live.delete(cleanup);
    await cleanup();
    if (profDir) await rm(profDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
    for (const t of opts.targets) t.check({ databaseUrl: opts.databaseUrl, refDir: opts.refDir });
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    process.exit(2);
  }
  const names = opts.targets.map((t) => t.name);
  console.error(
    `bench: ${opts.quick ? "quick, " : ""}${opts.repeat} repetition(s); targets ${names.join(", ")}; workloads ${opts.workloads.map((w) => w.name).join(", ")}`,
  );
  const results: Results = {};
  const profiles: { workload: string; target: string; rep: number; file: string; top: Awaited<ReturnType<typeof readTopFrames>> }[] = [];
  let failures = 0;
  for (const w of opts.workloads) {
    results[w.name] = Object.fromEntries(names.map((n) => [n, []]));
    for (let rep = 0; rep < opts.repeat; rep++) {
      // Targets take turns within each repetition (in a rotating order), so drift in the machine's
      // state affects them alike and the ratios compare like with like.
      const order = opts.targets.map((_, i) => opts.targets[(i + rep) % opts.targets.length]!);
      for (const t of order) {
        const label = `[${w.name} ${rep + 1}/${opts.repeat}] ${t.name}`;
        // The queries workload speaks Graph: only the Taskdrop targets answer it.
        if (w.queries && !t.name.startsWith("taskdrop")) continue;
        try {
          const { metrics: m, profile } = await runRep(t, w, rep, opts);
          results[w.name]![t.name]!.push({ metrics: m });
          if (profile) {
            profiles.push({ workload: w.name, target: t.name, rep: rep + 1, ...profile });
            console.error(renderFrames(`${label} CPU profile (${profile.file})`, profile.top));
          }
          if (w.queries) {
            console.error(`${label}: default page p99 ${m.defaultP99Ms!.toFixed(1)} ms, other user's p50/p99 ${m.otherBusyP50Ms!.toFixed(1)}/${m.otherBusyP99Ms!.toFixed(1)} ms during four $top=999`);
            continue;
          }
          const head = w.metrics[0] === "sessionsPerSec" ? `${m.sessionsPerSec!.toFixed(0)} sessions/s` : `${m.mbps!.toFixed(0)} MB/s`;
          const cpu = `CPU server ${(100 * m.serverCpu!).toFixed(0)}% loadgen ${(100 * m.loadgenCpu!).toFixed(0)}%`;
          console.error(
            `${label}: ${head}, peak RSS ${m.peakRssMB!.toFixed(0)} MB, ${(m.elapsedMs! / 1000).toFixed(2)} s, ${cpu} (${w.uploads} verified by ${t.verifies})`,
          );
        } catch (e) {
          failures++;
          const message = e instanceof Error ? e.message : String(e);
          results[w.name]![t.name]!.push({ error: message });
          console.error(`${label}: FAILED ${message}`);
        }
      }
    }
  }

  const summary = summarise(opts.workloads, names, results);
  const rs = ratios(opts.workloads, names, summary);
  const as = aims(names, summary);
  const machine = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
    memoryMB: Math.round(totalmem() / 1e6),
  };
  const sections = [
    `Taskdrop bench, ${startedAt.toISOString()}; node ${machine.node}, ${machine.cpus}; ${opts.repeat} repetition(s)${opts.quick ? ", quick" : ""}`,
    `MB = 10^6 bytes; latencies per range (request sent to answer read) or per session (create to final answer).`,
    opts.targets.map((t) => `  ${t.name.padEnd(12)} ${t.description}; verified by ${t.verifies}`).join("\n"),
    ...opts.workloads.map((w) => renderWorkload(w, names, summary, results)),
    renderRatios(opts.workloads, names, rs),
    renderAims(as),
  ].filter(Boolean);
  console.log(`\n${sections.join("\n\n")}\n`);

  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, `${startStamp}.json`);
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options: { quick: opts.quick, repeat: opts.repeat, databaseUrl: opts.databaseUrl ? "(given)" : undefined, refDir: opts.refDir, cpuProf: opts.cpuProf },
    machine,
    targets: opts.targets.map((t) => ({ name: t.name, description: t.description, verifies: t.verifies })),
    workloads: opts.workloads,
    results,
    summary,
    ratios: rs,
    aims: as,
    profiles,
  };
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results: ${relative(process.cwd(), file)}`);
  if (failures > 0) {
    console.error(`bench: ${failures} repetition(s) failed; see above`);
    process.exitCode = 1;
  }
}

await main();
