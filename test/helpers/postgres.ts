// PostgreSQL for tests: one throwaway schema per store or server, dropped afterwards. The
// database comes from TASKDROP_TEST_DATABASE_URL (default: the local `test` database, trust auth).
// Suites that need PostgreSQL ask `postgresSkipReason()` and skip with that message when it is
// not reachable, so a machine without PostgreSQL still passes.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { redact } from "../../src/store/postgres/pg-store.js";

export const TEST_DATABASE_URL = process.env.TASKDROP_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const PREFIX = "taskdrop_t_";

let probe: Promise<string | undefined> | undefined;

/** Why PostgreSQL tests cannot run here, or undefined when they can (checked once per process). */
export function postgresSkipReason(): Promise<string | undefined> {
  probe ??= (async () => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
    c.on("error", () => {});
    try {
      await c.connect();
      await c.query("SELECT 1");
      return undefined;
    } catch (e) {
      return `PostgreSQL is not reachable at ${redact(TEST_DATABASE_URL)} (${(e as Error).message || (e as { code?: string }).code}); set TASKDROP_TEST_DATABASE_URL to a database where schemas may be created to run these tests`;
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return probe;
}

/** The same database URL with `search_path` set to `schema` (and optional extra query parameters). */
export function urlWithSchema(schema: string, extra: Record<string, string> = {}): string {
  const u = new URL(TEST_DATABASE_URL);
  u.searchParams.set("options", `-c search_path=${schema}`);
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
  return u.toString();
}

/** Runs SQL on a short-lived connection to the test database. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  c.on("error", () => {});
  await c.connect();
  try {
    return (await c.query<R>(sql, values)).rows;
  } finally {
    await c.end().catch(() => {});
  }
}

export interface TestSchema {
  schema: string;
  /** Database URL whose connections use the schema. */
  url: string;
  drop(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Schemas left behind by test processes that were killed (their pid is in the name). */
async function dropAbandoned(): Promise<void> {
  const rows = await adminQuery<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", [`${PREFIX}%`]);
  for (const { nspname } of rows) {
    const pid = Number(nspname.slice(PREFIX.length).split("_")[0]);
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) {
      await adminQuery(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`).catch(() => {});
    }
  }
}

let cleaned: Promise<void> | undefined;

/** A new empty schema; `drop()` removes it with everything in it. */
export async function createTestSchema(): Promise<TestSchema> {
  cleaned ??= dropAbandoned().catch(() => {});
  await cleaned;
  const schema = `${PREFIX}${process.pid}_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE SCHEMA "${schema}"`);
  let dropped = false;
  return {
    schema,
    url: urlWithSchema(schema),
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}
