// Child-process plumbing for the harness: starting servers, keeping the tail of their output,
// stopping them, and sampling their memory from /proc.
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** dist/bench, wherever the repository is. */
export const benchDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Keeps the last `max` characters a child wrote, for error messages. */
export class Tail {
  private text = "";
  constructor(private readonly max = 8000) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.max);
  }
  toString(): string {
    return this.text;
  }
}

export function captureOutput(child: ChildProcess, tail: Tail): void {
  child.stdout?.on("data", (c) => tail.push(c));
  child.stderr?.on("data", (c) => tail.push(c));
}

/** A port that was free a moment ago (the OS picks it; we close and hand it on). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Forks one of the bench servers (dist/bench/servers/<name>.js), which listens on an OS-chosen
 * port on 127.0.0.1 and reports it over IPC as {port}.
 */
export async function forkServer(name: string, args: string[]): Promise<{ child: ChildProcess; port: number; tail: Tail }> {
  const tail = new Tail();
  const child = fork(join(benchDir, "servers", `${name}.js`), args, { stdio: ["ignore", "pipe", "pipe", "ipc"] });
  captureOutput(child, tail);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} server did not report its port within 10 s\n${tail}`)), 10_000);
    child.once("message", (m: { port?: number }) => {
      clearTimeout(timer);
      if (typeof m?.port === "number") resolve(m.port);
      else reject(new Error(`${name} server sent an unexpected message ${JSON.stringify(m)}`));
    });
    child.once("exit", (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${name} server exited (${code ?? sig}) before listening\n${tail}`));
    });
  });
  child.removeAllListeners("exit");
  child.disconnect();
  return { child, port, tail };
}

/** Kibibytes from a "VmRSS:   1234 kB" style line of /proc/<pid>/status; 0 if unreadable. */
function statusField(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function rssBytes(pid: number): number {
  return statusField(pid, "VmRSS");
}

/** User + system CPU time of a process in ms, from /proc/<pid>/stat (USER_HZ is 100 on Linux). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name, which may itself contain spaces.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

/**
 * Samples a process's resident memory every `intervalMs` and also reads the kernel's own peak
 * (VmHWM), which catches spikes between samples. The peak is reset at start (writing 5 to
 * /proc/<pid>/clear_refs) so it covers only the measured phase; where that is not allowed, the
 * sampled maximum is used alone.
 */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private maxSampled = 0;
  private hwmReset = false;
  private cpu0 = 0;
  private t0 = 0;

  constructor(private readonly pid: number, private readonly intervalMs = 50) {}

  start(): void {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, "5");
      this.hwmReset = true;
    } catch {
      this.hwmReset = false;
    }
    this.maxSampled = rssBytes(this.pid);
    this.cpu0 = cpuMs(this.pid);
    this.t0 = performance.now();
    this.timer = setInterval(() => {
      this.maxSampled = Math.max(this.maxSampled, rssBytes(this.pid));
    }, this.intervalMs);
  }

  /** Stops sampling; returns the peak RSS in bytes and the CPU use (1 = one core) over the period. */
  stop(): { peakRss: number; cpu: number } {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const last = rssBytes(this.pid);
    const hwm = this.hwmReset ? statusField(this.pid, "VmHWM") : 0;
    const cpu = (cpuMs(this.pid) - this.cpu0) / (performance.now() - this.t0);
    return { peakRss: Math.max(this.maxSampled, last, hwm), cpu };
  }
}
