// The compiled CLI (dist/src/cli/main.js) as tests run it: its one path, and child processes
// whose environment carries only what the test sets.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Path of the compiled CLI, relative to this compiled file (dist/test/helpers/cli.js). */
export const CLI = new URL("../../src/cli/main.js", import.meta.url).pathname;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (for starts that must fail, and `--help`). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<CliRun> {
  return runNode([CLI, ...args], env, timeoutMs);
}

let stateDir: string | undefined;

/**
 * A state directory of this test process's own (resume records, and the servers that `serve`
 * announces there): servers of other test files, or the developer's own, stay invisible.
 */
export function testStateDir(): string {
  return (stateDir ??= mkdtempSync(join(tmpdir(), "taskdrop-state-")));
}

/**
 * The test's environment without TASKDROP_* and PORT/HOST, so only what a test sets reaches the CLI,
 * plus this process's own state directory.
 */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("TASKDROP_") && k !== "PORT" && k !== "HOST" && k !== "NODE_EXTRA_CA_CERTS") env[k] = v;
  }
  env.TASKDROP_STATE_DIR = testStateDir();
  return env;
}

/** Runs a Node script in a child process; resolves with its exit code and output. */
export function runNode(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...childEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`node ${args.join(" ")} did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
