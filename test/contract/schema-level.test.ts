// The two stores' schemas stay level: every index one store's migrations create, the other's do
// too (deletions and listings select by the same columns on both). Constraint-backed indexes
// (primary keys, UNIQUE) are named by each database itself and left out.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { PgStore } from "../../src/store/postgres/pg-store.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { adminQuery, createTestSchema, postgresSkipReason } from "../helpers/postgres.js";
import { tempDir } from "../helpers/server.js";

async function sqliteIndexes(): Promise<string[]> {
  const dir = tempDir("taskdrop-schema-");
  try {
    await (await SqliteStore.open(dir)).close();
    const db = new Database(join(dir, "taskdrop.db"), { readonly: true });
    try {
      const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'").all() as { name: string }[];
      return rows.map((r) => r.name).sort();
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresIndexes(): Promise<string[]> {
  const schema = await createTestSchema();
  try {
    await (await PgStore.open(schema.url)).close();
    const rows = await adminQuery<{ indexname: string }>(
      `SELECT i.indexname FROM pg_indexes i
       WHERE i.schemaname = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = $1::regnamespace)`,
      [schema.schema],
    );
    return rows.map((r) => r.indexname).sort();
  } finally {
    await schema.drop();
  }
}

test("both stores' migrations create the same indexes", { skip: (await postgresSkipReason()) ?? false }, async () => {
  const [sqlite, postgres] = await Promise.all([sqliteIndexes(), postgresIndexes()]);
  assert.ok(sqlite.includes("sessions_attachment"), `sqlite indexes: ${sqlite.join(", ")}`);
  assert.deepEqual(sqlite, postgres);
});
