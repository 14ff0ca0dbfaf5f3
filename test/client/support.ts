// Shared bits of the client and CLI tests.
import { createHash } from "node:crypto";
import type { TestServer } from "../helpers/server.js";

export const MiB = 1_048_576;

export const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/**
 * Closes a test server without waiting for keep-alive timeouts: a connection whose response the
 * client has fully read can still count as busy for a few ms when close() starts, and is then only
 * dropped by the 65 s keep-alive timer. Closing idle connections until close() resolves avoids it.
 */
export async function closeServer(s: TestServer): Promise<void> {
  const t = setInterval(() => s.running.app.server.closeIdleConnections(), 25);
  try {
    await s.close();
  } finally {
    clearInterval(t);
  }
}
