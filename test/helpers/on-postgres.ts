// Runs a suite written for startTestServer again on the PostgreSQL store, in the same `node --test`
// run: a wrapper file under test/<suite>-pg/ calls this with an import of the original file. Each
// test file runs in its own process, so the environment variable reaches that suite's servers only.
import { test } from "node:test";
import { postgresSkipReason } from "./postgres.js";

/**
 * Loads the suite with TASKDROP_TEST_STORE=postgres, or, when PostgreSQL is not reachable,
 * registers one skipped test whose name says why (so a machine without PostgreSQL still passes).
 */
export async function onPostgres(name: string, load: () => Promise<unknown>): Promise<void> {
  const reason = await postgresSkipReason();
  if (reason !== undefined) {
    test(`${name} on PostgreSQL: skipped, ${reason}`, { skip: true }, () => {});
    return;
  }
  process.env.TASKDROP_TEST_STORE = "postgres";
  await load();
}
