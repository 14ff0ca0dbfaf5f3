// Test servers: a real Taskdrop on 127.0.0.1, a random port and its own temporary data directory.
// With TASKDROP_TEST_STORE=postgres each server also gets its own PostgreSQL schema (dropped on
// close), so the same suites run against the PostgreSQL store.
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSigningKey, mintToken, type MintOptions, type SigningKey } from "../../src/auth/dev-issuer.js";
import { loadConfig, type RawOptions } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { devSigningKey, startServer, type RunningServer } from "../../src/server.js";
import { isStoreKind, STORE_KINDS, type StoreKind } from "../../src/store/types.js";
import { makeTask, type TaskFixture } from "./fixtures.js";
import { adminQuery, createTestSchema, postgresSkipReason, type TestSchema } from "./postgres.js";

export interface TestServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  dataDir: string;
  /** The PostgreSQL URL (with its own schema) when the server runs on PostgreSQL. */
  databaseUrl?: string;
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

/** The store test servers use: TASKDROP_TEST_STORE (sqlite, the default, or postgres). */
export function testStoreKind(): StoreKind {
  const v = process.env.TASKDROP_TEST_STORE ?? "sqlite";
  if (!isStoreKind(v)) throw new Error(`TASKDROP_TEST_STORE must be ${STORE_KINDS.join(" or ")}, got "${v}"`);
  return v;
}

/** The PostgreSQL schema of each test server running on PostgreSQL. */
const schemaOf = new WeakMap<TestServer, TestSchema>();

/**
 * The objects whose bytes the server's store keeps (one per upload session that received bytes,
 * per attachment; a completed session and its attachment share one) and their total size, on
 * either store: files under <dataDir>/blobs, or chunk rows in the server's schema. Differences:
 * an empty attachment is a 0-byte file on SQLite but no rows on PostgreSQL, and a range that
 * failed midway leaves bytes in the SQLite file (ignored, cut on restart) but none in PostgreSQL.
 */
export async function storedBlobs(s: TestServer): Promise<{ count: number; bytes: number }> {
  const schema = schemaOf.get(s);
  if (schema) {
    const [r] = await adminQuery<{ count: string; bytes: string }>(
      `SELECT count(DISTINCT blob) AS count, coalesce(sum(octet_length(data)), 0) AS bytes FROM "${schema.schema}".blob_chunks`,
    );
    return { count: Number(r!.count), bytes: Number(r!.bytes) };
  }
  let count = 0;
  let bytes = 0;
  const root = join(s.dataDir, "blobs");
  let shards: string[] = [];
  try {
    shards = readdirSync(root);
  } catch {
    /* nothing stored yet */
  }
  for (const shard of shards) {
    for (const name of readdirSync(join(root, shard))) {
      count++;
      bytes += statSync(join(root, shard, name)).size;
    }
  }
  return { count, bytes };
}

/** Schemas of servers closed with keepDataDir, found again when a later server reuses the data directory. */
const keptSchemas = new Map<string, TestSchema>();

async function schemaFor(dataDir: string): Promise<TestSchema> {
  const kept = keptSchemas.get(dataDir);
  if (kept) return kept;
  const reason = await postgresSkipReason();
  if (reason) throw new Error(`TASKDROP_TEST_STORE=postgres, but ${reason}`);
  return createTestSchema();
}

export async function startTestServer(options: RawOptions & { now?: () => Date; keepDataDir?: boolean } = {}): Promise<TestServer> {
  const { now, keepDataDir, ...flags } = options;
  const dataDir = (flags.dataDir as string | undefined) ?? tempDir();
  const onPostgres = flags.store === undefined ? testStoreKind() === "postgres" : flags.store === "postgres" && flags.databaseUrl === undefined;
  const schema = onPostgres ? await schemaFor(dataDir) : undefined;
  if (schema) Object.assign(flags, { store: "postgres", databaseUrl: schema.url });
  const config = loadConfig({ host: "127.0.0.1", port: "0", logLevel: process.env.TASKDROP_TEST_LOG ?? "silent", ...flags, dataDir }, {});
  const log = createLogger(config.logLevel, process.stderr);
  let running: RunningServer;
  try {
    running = await startServer(config, { log, ...(now ? { now } : {}) });
  } catch (e) {
    if (schema && !keptSchemas.has(dataDir)) await schema.drop();
    throw e;
  }
  keptSchemas.delete(dataDir);
  let key: SigningKey | undefined;
  const s: TestServer = {
    url: running.url,
    dataDir,
    ...(schema ? { databaseUrl: schema.url } : {}),
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
      if (keepDataDir) {
        if (schema) keptSchemas.set(dataDir, schema);
        return;
      }
      rmSync(dataDir, { recursive: true, force: true });
      await schema?.drop();
    },
  };
  if (schema) schemaOf.set(s, schema);
  return s;
}

/** A test server and a list with a task of its default user: where most HTTP suites start. */
export async function startServerWithTask(options: Parameters<typeof startTestServer>[0] = {}): Promise<{ s: TestServer; f: TaskFixture }> {
  const s = await startTestServer(options);
  return { s, f: await makeTask(s.url, await s.token()) };
}
