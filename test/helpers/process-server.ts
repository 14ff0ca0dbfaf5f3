// A real Taskdrop server in its own process (`taskdrop serve`), for tests that must crash it,
// restart it on the same data directory, or watch it from outside (RSS, exit code, stderr).
import { CLI, testStateDir } from "./cli.js";
import { sleep } from "./wait.js";
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Agent, fetch as undiciFetch } from "undici";


const run = promisify(execFile);
const insecure = new Agent({ connect: { rejectUnauthorized: false } });

export interface ProcessServerOptions {
  /** Extra `serve` flags, e.g. { "body-idle-timeout": 500 } → `--body-idle-timeout 500`. */
  flags?: Record<string, string | number | boolean>;
  /** Data directory; a fresh temporary one (removed by close()) when absent. */
  dataDir?: string;
  /** Default "warn": errors the server logs show up in `stderr`. */
  logLevel?: string;
  /** How long start/restart may take before failing the test. */
  startTimeoutMs?: number;
  /** `--host` to pass (default 127.0.0.1); null passes none, so the environment decides. */
  host?: string | null;
  /** Extra environment for the process (TASKDROP_* of the test's own environment never reach it). */
  env?: Record<string, string>;
}

export class ProcessServer {
  readonly dataDir: string;
  port = 0;
  /** The address it listens on, from its start-up line. */
  host = "127.0.0.1";
  /** e.g. http://127.0.0.1:41234 (https:// with --https) */
  url = "";
  private scheme = "http";
  child: ChildProcess | undefined;
  /** Everything every incarnation wrote to stderr (start-up lines, fatal errors). */
  stderr = "";
  /** Everything every incarnation wrote to stdout: pino's JSON log lines (warn and above by default). */
  stdout = "";
  /** How many times the process was started. */
  starts = 0;
  private readonly ownsDir: boolean;
  private readonly tokens = new Map<string, string>();
  private exited: Promise<void> = Promise.resolve();

  private constructor(private readonly o: ProcessServerOptions) {
    this.ownsDir = o.dataDir === undefined;
    this.dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), "taskdrop-proc-"));
  }

  static async start(o: ProcessServerOptions = {}): Promise<ProcessServer> {
    const s = new ProcessServer(o);
    try {
      await s.launch();
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the current process has not exited. */
  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private args(): string[] {
    const host = this.o.host === undefined ? ["--host", "127.0.0.1"] : this.o.host === null ? [] : ["--host", this.o.host];
    const a = [CLI, "serve", ...host, "--port", String(this.port), "--data-dir", this.dataDir, "--log-level", this.o.logLevel ?? "warn"];
    for (const [k, v] of Object.entries(this.o.flags ?? {})) {
      if (v === true) a.push(`--${k}`);
      else if (v !== false) a.push(`--${k}`, String(v));
    }
    return a;
  }

  private async launch(): Promise<void> {
    const deadline = Date.now() + (this.o.startTimeoutMs ?? 20_000);
    for (;;) {
      // Only the flags configure it: TASKDROP_* variables of the test's own environment stay out.
      const env = {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TASKDROP_") && k !== "HOST")),
        TASKDROP_STATE_DIR: testStateDir(),
        ...this.o.env,
      };
      const child = spawn(process.execPath, this.args(), { stdio: ["ignore", "pipe", "pipe"], env });
      this.child = child;
      this.starts++;
      this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
      child.stdout!.setEncoding("utf8");
      child.stdout!.on("data", (s: string) => {
        this.stdout += s;
      });
      let err = "";
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (s: string) => {
        err += s;
        this.stderr += s;
      });
      // The first start listens on port 0 and reads the port from the start-up line; restarts reuse it.
      const ok = await new Promise<boolean>((resolve) => {
        const check = () => {
          const m = /serving (https?):\/\/(\d+\.\d+\.\d+\.\d+):(\d+)/.exec(err);
          if (m) {
            cleanup();
            this.scheme = m[1]!;
            this.host = m[2]!;
            this.port = Number(m[3]);
            resolve(true);
          }
        };
        const onExit = () => {
          cleanup();
          resolve(false);
        };
        const timer = setTimeout(onExit, Math.max(0, deadline - Date.now()));
        const cleanup = () => {
          clearTimeout(timer);
          child.stderr!.off("data", check);
          child.off("exit", onExit);
        };
        child.stderr!.on("data", check);
        child.once("exit", onExit);
      });
      if (ok) break;
      await this.kill();
      // A port still held for a moment after a crash: try again until the deadline.
      if (/EADDRINUSE/.test(err) && Date.now() < deadline) {
        await sleep(100);
        continue;
      }
      throw new Error(`taskdrop serve did not start:\n${err}`);
    }
    this.url = `${this.scheme}://${this.host}:${this.port}`;
    await this.waitHealthy(deadline);
  }

  private async waitHealthy(deadline: number): Promise<void> {
    let last = "";
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`taskdrop exited while starting:\n${this.stderr.slice(-2000)}`);
      try {
        // Over --https, only whether it answers matters here, not whose certificate it shows.
        const r = this.scheme === "https" ? await undiciFetch(`${this.url}/_taskdrop/health`, { dispatcher: insecure }) : await fetch(`${this.url}/_taskdrop/health`);
        if (r.status === 200) return;
        last = `${r.status} ${await r.text()}`;
      } catch (e) {
        last = String(e);
      }
      await sleep(25);
    }
    throw new Error(`taskdrop never became healthy: ${last}`);
  }

  /** Log lines at error level or worse (pino levels 50 and 60) from every incarnation. */
  errorLogs(): string[] {
    return this.stdout.split("\n").filter((l) => /"level":(50|60)\b/.test(l));
  }

  /** A development token minted by `taskdrop token` on this data directory (cached per user). */
  async token(user = "alice"): Promise<string> {
    const cached = this.tokens.get(user);
    if (cached) return cached;
    const { stdout } = await run(process.execPath, [CLI, "token", "--user", user, "--data-dir", this.dataDir]);
    const t = stdout.trim();
    this.tokens.set(user, t);
    return t;
  }

  /** Any development token `taskdrop token` mints on this data directory, e.g. ["--user", "bob", "--scopes", "Tasks.Read"]. */
  async mint(args: string[]): Promise<string> {
    const { stdout } = await run(process.execPath, [CLI, "token", ...args, "--data-dir", this.dataDir]);
    return stdout.trim();
  }

  /** Sends a signal (default SIGKILL) and waits until the process is gone. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.alive) this.child!.kill(signal);
    await this.exited;
  }

  /** Starts the server again on the same data directory and port, and waits until it is healthy. */
  async restart(): Promise<void> {
    if (this.alive) await this.kill("SIGTERM");
    await this.launch();
  }

  /** Resident set size and its peak (VmHWM) of the current process, in bytes (Linux). */
  memory(): { rss: number; peak: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb("VmRSS"), peak: kb("VmHWM") };
  }

  /** Stops the process and removes the data directory if this helper made it. */
  async close(): Promise<void> {
    await this.kill();
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

