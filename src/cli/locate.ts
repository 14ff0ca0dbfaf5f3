// Which server a CLI command talks to, and which data directory holds its signing key. What the
// user gave (--base-url, --data-dir, or their TASKDROP_* variables) wins; the rest is filled in from
// the servers running on this machine (registry.ts), so that `npx taskdrop token` and `ls` work next
// to a server on any port, and fall back to the quick start's 127.0.0.1:8080 and ./data.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { runningServers, type ServerEntry } from "./registry.js";

export const DEFAULT_SERVER_URL = "http://127.0.0.1:8080";

export interface Located {
  /** Service root with version, e.g. http://127.0.0.1:8080/v1.0. */
  baseUrl: string;
  dataDir: string;
  /** The running server it points at, when one is known. */
  server?: ServerEntry;
}

export class AmbiguousServerError extends Error {
  readonly userFacing = true;
}

const origin = (u: string) => {
  try {
    return new URL(u).origin;
  } catch {
    return u;
  }
};
const serviceRoot = (s: ServerEntry) => `${s.url}/v1.0`;

export function locate(given: { baseUrl?: string; dataDir?: string }, env: NodeJS.ProcessEnv = process.env): Located {
  const servers = runningServers(env).filter((s) => s.auth === "dev");
  if (given.baseUrl !== undefined) {
    const server = servers.find((s) => origin(s.url) === origin(given.baseUrl!));
    const dataDir = given.dataDir !== undefined ? resolve(given.dataDir) : (server?.dataDir ?? resolve("data"));
    return { baseUrl: given.baseUrl, dataDir, ...(server ? { server } : {}) };
  }
  if (given.dataDir !== undefined) {
    const dataDir = resolve(given.dataDir);
    const server = servers.find((s) => s.dataDir === dataDir);
    return { baseUrl: server ? serviceRoot(server) : `${DEFAULT_SERVER_URL}/v1.0`, dataDir, ...(server ? { server } : {}) };
  }
  // Nothing given: ./data when a server uses it or made its key there, else the one running server.
  const local = resolve("data");
  const here = servers.find((s) => s.dataDir === local);
  if (here) return { baseUrl: serviceRoot(here), dataDir: local, server: here };
  if (existsSync(join(local, "signing-key.json")) || servers.length === 0) return { baseUrl: `${DEFAULT_SERVER_URL}/v1.0`, dataDir: local };
  if (servers.length === 1) return { baseUrl: serviceRoot(servers[0]!), dataDir: servers[0]!.dataDir, server: servers[0]! };
  throw new AmbiguousServerError(
    `${servers.length} Taskdrop servers are running; say which with --base-url (or --data-dir):\n` +
      servers.map((s) => `  --base-url ${serviceRoot(s)}   (data: ${s.store === "sqlite" ? s.dataDir : "PostgreSQL"})`).join("\n"),
  );
}
