// Shell blocks of the README and the docs, run as a reader pastes them: in an empty folder where
// `npx taskdrop` is this checkout's CLI, each block in a fresh `bash -eo pipefail`.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, childEnv } from "./cli.js";
import { tempDir } from "./server.js";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** An empty folder where `npx taskdrop` is this checkout's CLI and the checkout's packages resolve. */
export function folderWithCli(): string {
  const folder = tempDir("taskdrop-docs-");
  const modules = join(folder, "node_modules");
  mkdirSync(join(modules, ".bin"), { recursive: true });
  for (const name of readdirSync(join(ROOT, "node_modules"))) {
    if (!name.startsWith(".")) symlinkSync(join(ROOT, "node_modules", name), join(modules, name));
  }
  writeFileSync(join(folder, "package.json"), JSON.stringify({ name: "docs-run", private: true, type: "module" }));
  const bin = join(modules, ".bin", "taskdrop");
  writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(bin, 0o755);
  return folder;
}

/** Runs a block in its own process group, so servers it leaves in the background can be stopped. */
export function bash(script: string, cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-eo", "pipefail", "-c", script], { cwd, env: { ...childEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const stopGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // nothing of the group is left
      }
    };
    const timer = setTimeout(() => stopGroup("SIGKILL"), 120_000);
    // Servers the block left in the background hold its output open: stop them once bash is done.
    child.on("exit", () => stopGroup("SIGTERM"));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}
