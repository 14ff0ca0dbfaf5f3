// The SDK tests run Microsoft's SDKs in a child process that trusts Taskdrop's development CA through
// NODE_EXTRA_CA_CERTS only, as the README tells users to: this starts one against a test server
// (BASE, TOKEN in its environment) and reads the one JSON line it prints.
import assert from "node:assert/strict";
import { runNode } from "../helpers/cli.js";
import type { TestServer } from "../helpers/server.js";

/** What a child printed: free-form JSON its test asserts on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ChildOutput = Record<string, any>;

/** Runs a compiled `*.child.js` next to this file against `s` (over --https) and returns what it printed. */
export async function runSdkChild(s: TestServer, child: string, user: string, timeoutMs = 90_000): Promise<{ base: string; out: ChildOutput }> {
  const base = `https://localhost:${new URL(s.url).port}`;
  const path = new URL(`./${child}`, import.meta.url).pathname;
  const run = await runNode([path], { NODE_EXTRA_CA_CERTS: s.running.tls!.caFile!, BASE: base, TOKEN: await s.token({ user }) }, timeoutMs);
  assert.equal(run.code, 0, run.stderr);
  return { base, out: JSON.parse(run.stdout) };
}
