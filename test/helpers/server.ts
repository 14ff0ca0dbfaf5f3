// Test servers: a real Taskdrop on 127.0.0.1, a random port and its own temporary data directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSigningKey, mintToken, type MintOptions, type SigningKey } from "../../src/auth/dev-issuer.js";
import { loadConfig, type RawOptions } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { devSigningKey, startServer, type RunningServer } from "../../src/server.js";

export interface TestServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  dataDir: string;
  running: RunningServer;
  /** A development token (default: delegated, user alice, Tasks.ReadWrite). */
  token(o?: MintOptions): Promise<string>;
  /** Stops and starts again on the same data directory (and port). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export function tempDir(prefix = "taskdrop-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestServer(options: RawOptions & { now?: () => Date; keepDataDir?: boolean } = {}): Promise<TestServer> {
  const { now, keepDataDir, ...flags } = options;
  const dataDir = (flags.dataDir as string | undefined) ?? tempDir();
  const config = loadConfig({ host: "127.0.0.1", port: "0", logLevel: process.env.TASKDROP_TEST_LOG ?? "silent", ...flags, dataDir }, {});
  const log = createLogger(config.logLevel, process.stderr);
  let running = await startServer(config, { log, ...(now ? { now } : {}) });
  let key: SigningKey | undefined;
  const s: TestServer = {
    url: running.url,
    dataDir,
    running,
    async token(o = {}) {
      key ??= running.store.kind === "sqlite" ? await fileSigningKey(dataDir) : await devSigningKey(config, running.store);
      return mintToken(key, o);
    },
    async restart() {
      await running.close();
      running = await startServer({ ...config, port: running.port }, { log, ...(now ? { now } : {}) });
      s.running = running;
    },
    async close() {
      await running.close();
      if (!keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return s;
}
