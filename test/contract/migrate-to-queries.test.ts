// A database at schema step 4 (what main has released) migrates through steps 5 and 6 and then
// answers queries as a fresh one does (issue 15). Step 6 adds the query columns and fills them
// for the rows already there (a trigger on SQLite, generated columns on PostgreSQL); a row the
// backfill missed would be invisible to $filter and misplaced by $orderby. The step-4 database is
// made by applying the first four steps alone and copying, column by column, the rows a current
// store wrote; so the test needs no copy of old code and keeps working as steps are added.
import Database from "better-sqlite3";
import fc from "fast-check";
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import pg from "pg";
import { newId } from "../../src/domain/ids.js";
import { pageInMemory, parseOrderBy, viewReader, type CollectionQuery } from "../../src/domain/query.js";
import { LIST_QUERY, TASK_QUERY } from "../../src/domain/todo-query.js";
import type { Task } from "../../src/domain/models.js";
import { taskView } from "../../src/http/views.js";
import { MIGRATIONS as PG_MIGRATIONS } from "../../src/store/postgres/migrations.js";
import { PgStore } from "../../src/store/postgres/pg-store.js";
import { MIGRATIONS as SQLITE_MIGRATIONS } from "../../src/store/sqlite/migrations.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { filterSample, orderSample, taskSamples } from "../helpers/query-arbitrary.js";
import { adminQuery, createTestSchema, postgresSkipReason, urlWithSchema } from "../helpers/postgres.js";
import { tempDir } from "../helpers/server.js";

const RELEASED = 4;
const skip = (await postgresSkipReason()) ?? false;
const OWNER = "migrate-owner";
const LIST_ID = newId("list");

/** Writes a list and a few dozen varied tasks through the current store. */
async function fill(store: Store): Promise<void> {
  const now = new Date().toISOString();
  await store.lists.create({ id: LIST_ID, ownerOid: OWNER, displayName: "Old", wellknownListName: "none", isOwner: true, isShared: false, createdAt: now, changeKey: "ck-0" });
  const tasks = fc.sample(taskSamples(OWNER, LIST_ID), { numRuns: 6, seed: 15 }).flat();
  const seen = new Set<string>();
  for (const t of tasks) {
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    await store.tasks.create(t);
  }
  assert.ok(seen.size >= 10, `only ${seen.size} tasks sampled`);
}

/** Fixed random queries: what the migrated store answers must be what the evaluator says. */
async function expectQueriesAnswered(store: Store): Promise<void> {
  const all: Task[] = await store.tasks.all(OWNER, LIST_ID);
  assert.ok(all.length >= 10);
  const read = (t: Task) => viewReader(TASK_QUERY, taskView(t));
  const filters = fc.sample(filterSample, { numRuns: 40, seed: 6 });
  const orders = fc.sample(orderSample, { numRuns: 40, seed: 7 });
  for (let i = 0; i < filters.length; i++) {
    const q: CollectionQuery = { filter: filters[i]!.expr, orderBy: orders[i]!.keys, skip: i % 3, top: 5 + (i % 7), count: true };
    const got = await store.tasks.query(OWNER, LIST_ID, q);
    const want = pageInMemory(all, q, read);
    const label = `$filter=${filters[i]!.text} $orderby=${orders[i]!.text}`;
    assert.deepEqual(got.items.map((t) => t.id), want.items.map((t) => t.id), label);
    assert.equal(got.count, want.count, label);
    assert.equal(got.more, want.more, label);
  }
  const lists = await store.lists.query(OWNER, { filter: undefined, orderBy: parseOrderBy("displayName", LIST_QUERY), skip: 0, top: 10, count: true });
  assert.ok(lists.items.some((l) => l.id === LIST_ID));
}

describe("a step-4 database migrates to the query columns", () => {
  test("SQLite", async () => {
    const full = tempDir("taskdrop-migrate-full-");
    const store = await SqliteStore.open(full);
    await fill(store);
    await store.close();

    const old = tempDir("taskdrop-migrate-old-");
    const db = new Database(join(old, "taskdrop.db"));
    try {
      for (const step of SQLITE_MIGRATIONS.slice(0, RELEASED)) db.exec(step);
      db.pragma(`user_version = ${RELEASED}`);
      db.prepare("ATTACH DATABASE ? AS full").run(join(full, "taskdrop.db"));
      const tables = db.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid").all() as { name: string }[];
      for (const { name } of tables) {
        const cols = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[]).map((c) => `"${c.name}"`).join(", ");
        db.exec(`INSERT INTO main."${name}" (${cols}) SELECT ${cols} FROM full."${name}"`);
      }
      assert.ok((db.prepare("SELECT count(*) AS n FROM main.tasks").get() as { n: number }).n >= 10);
    } finally {
      db.close();
    }
    const migrated = await SqliteStore.open(old);
    try {
      await expectQueriesAnswered(migrated);
    } finally {
      await migrated.close();
    }
  });

  const drops: Array<() => Promise<void>> = [];
  after(async () => {
    for (const d of drops) await d();
  });

  test("PostgreSQL", { skip }, async () => {
    const full = await createTestSchema();
    drops.push(full.drop);
    const store = await PgStore.open(full.url);
    await fill(store);
    await store.close();

    const old = await createTestSchema();
    drops.push(old.drop);
    const c = new pg.Client({ connectionString: urlWithSchema(old.schema) });
    await c.connect();
    try {
      await c.query("CREATE TABLE taskdrop_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
      for (let v = 1; v <= RELEASED; v++) {
        await c.query(PG_MIGRATIONS[v - 1]!);
        await c.query("INSERT INTO taskdrop_migrations (version) VALUES ($1)", [v]);
      }
    } finally {
      await c.end();
    }
    const tables = await adminQuery<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name <> 'taskdrop_migrations'",
      [old.schema],
    );
    // Parents before children, whatever the foreign keys: they are checked at the end of the statement batch.
    const copy = [];
    for (const { t } of tables) {
      const cols = await adminQuery<{ c: string }>(
        "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' ORDER BY ordinal_position",
        [old.schema, t],
      );
      const list = cols.map((x) => `"${x.c}"`).join(", ");
      copy.push(`INSERT INTO "${old.schema}"."${t}" (${list}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM "${full.schema}"."${t}";`);
    }
    await adminQuery(`BEGIN; SET CONSTRAINTS ALL DEFERRED; SET LOCAL session_replication_role = replica; ${copy.join(" ")} COMMIT;`);
    const n = await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM "${old.schema}".tasks`);
    assert.ok(Number(n[0]!.n) >= 10);

    const migrated = await PgStore.open(old.url);
    try {
      await expectQueriesAnswered(migrated);
    } finally {
      await migrated.close();
    }
  });
});
