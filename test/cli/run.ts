// Runs the real CLI binary (node dist/src/cli/main.js) as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { CLI } from "../helpers/cli.js";

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout as bytes (for binary output). */
  stdoutBytes: Buffer;
}

/** Environment for a CLI talking to a test server: its URL, its data directory's signing key, a state dir. */
export function cliEnv(baseUrl: string, dataDir: string, stateDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TASKDROP_BASE_URL: baseUrl, TASKDROP_DATA_DIR: dataDir, TASKDROP_STATE_DIR: stateDir, ...extra };
  delete env.TASKDROP_TOKEN;
  return env;
}

export function start(args: string[], o: { env: NodeJS.ProcessEnv; cwd?: string }): { child: ChildProcess; done: Promise<Ran>; out: () => string; err: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { env: o.env, cwd: o.cwd, stdio: ["ignore", "pipe", "pipe"] });
  const out: Buffer[] = [];
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => out.push(d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<Ran>((resolve) =>
    child.on("close", (code, signal) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, signal, stdout: stdoutBytes.toString("utf8"), stderr, stdoutBytes });
    }),
  );
  return { child, done, out: () => Buffer.concat(out).toString("utf8"), err: () => stderr };
}

export function run(args: string[], o: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<Ran> {
  return start(args, o).done;
}

