// Running servers announce themselves in a well-known folder, so that the CLI's other commands find
// the server next to them on any port and data directory: `taskdrop serve` writes
// <state dir>/servers/<pid>.json once it listens and removes it when it stops; a file whose process
// is gone (kill -9) is ignored and removed by the next reader. The state dir is the client's:
// $TASKDROP_STATE_DIR, else $XDG_STATE_HOME/taskdrop, else ~/.local/state/taskdrop. Nothing secret is
// written (no database URL): only where the server listens and keeps its data.
import { mkdirSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultStateDir } from "../client/node.js";

export interface ServerEntry {
  pid: number;
  /** Where it listens, e.g. http://127.0.0.1:8080 (no /v1.0). */
  url: string;
  dataDir: string;
  store: "sqlite" | "postgres";
  /** "dev" when it trusts development tokens (signed with the key in dataDir, or the database). */
  auth: "dev" | "oidc";
  startedAt: string;
}

export const serversDir = (env: NodeJS.ProcessEnv = process.env) => join(defaultStateDir(env), "servers");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // someone else's process: alive
  }
}

/** Announces this process's server; returns the function that withdraws it. Never throws. */
export function announce(entry: Omit<ServerEntry, "pid" | "startedAt">, env: NodeJS.ProcessEnv = process.env): () => void {
  const dir = serversDir(env);
  const file = join(dir, `${process.pid}.json`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, ...entry, startedAt: new Date().toISOString() }) + "\n", { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    return () => {}; // a read-only home must not stop a server: the CLI then needs --base-url/--data-dir
  }
  let withdrawn = false;
  const withdraw = () => {
    if (withdrawn) return;
    withdrawn = true;
    try {
      unlinkSync(file);
    } catch {
      /* already gone */
    }
  };
  process.once("exit", withdraw);
  return withdraw;
}

/** The servers running now, oldest first. */
export function runningServers(env: NodeJS.ProcessEnv = process.env): ServerEntry[] {
  const dir = serversDir(env);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  const out: ServerEntry[] = [];
  for (const name of names) {
    try {
      const e = JSON.parse(readFileSync(join(dir, name), "utf8")) as ServerEntry;
      if (typeof e.pid === "number" && typeof e.url === "string" && typeof e.dataDir === "string" && alive(e.pid)) out.push(e);
      else unlinkSync(join(dir, name));
    } catch {
      /* half-written or unreadable: not a server we can use */
    }
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}
