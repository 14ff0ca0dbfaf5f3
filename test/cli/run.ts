// Runs the real CLI binary (node dist/src/cli/main.js) as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { rmSync } from "node:fs";
import { TaskdropClient } from "../../src/client/index.js";
import { closeServer } from "../client/support.js";
import { CLI } from "../helpers/cli.js";
import { startTestServer, tempDir, type TestServer } from "../helpers/server.js";

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


/** A CLI suite's world: a test server, a folder for state, the CLI's environment and alice's API client. */
export interface CliWorld {
  s: TestServer;
  dir: string;
  env: NodeJS.ProcessEnv;
  api: TaskdropClient;
}

export async function startCliWorld(prefix: string): Promise<CliWorld> {
  const s = await startTestServer();
  const dir = tempDir(prefix);
  const env = cliEnv(`${s.url}/v1.0`, s.dataDir, join(dir, "state"));
  return { s, dir, env, api: new TaskdropClient({ baseUrl: `${s.url}/v1.0`, token: await s.token({ user: "alice" }) }) };
}

export async function stopCliWorld(w: Pick<CliWorld, "s" | "dir">): Promise<void> {
  await closeServer(w.s);
  rmSync(w.dir, { recursive: true, force: true });
}
