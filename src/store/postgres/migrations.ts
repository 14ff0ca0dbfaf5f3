// Numbered schema steps for the PostgreSQL store (the discipline: src/store/shared/schema.ts).
// Each runs in its own transaction together with the row recording it in taskdrop_migrations,
// under an advisory lock, so instances starting at the same moment apply each step exactly once.
import type { PoolClient } from "pg";
import { POSTGRES, changeTrackingStep, refuseNewerSchema, taskChildrenStep } from "../shared/schema.js";

export const MIGRATIONS: string[] = [
  `
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE users (
    oid TEXT PRIMARY KEY,
    upn TEXT NOT NULL,
    upn_lower TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  -- Timestamps stay ISO-8601 text (as in the embedded store) so they round-trip exactly.
  CREATE TABLE lists (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    display_name TEXT NOT NULL,
    wellknown TEXT NOT NULL,
    is_owner BOOLEAN NOT NULL,
    is_shared BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    change_key TEXT NOT NULL
  );
  CREATE INDEX lists_owner ON lists (owner, seq);
  CREATE UNIQUE INDEX lists_one_default ON lists (owner) WHERE wellknown = 'defaultList';
  CREATE TABLE tasks (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    list_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_modified_at TEXT NOT NULL,
    change_key TEXT NOT NULL,
    doc TEXT NOT NULL,
    attachment_count INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX tasks_list ON tasks (list_id, seq);
  CREATE TABLE attachments (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    list_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    blob UUID NOT NULL,
    created_at TEXT NOT NULL,
    last_modified_at TEXT NOT NULL
  );
  CREATE INDEX attachments_task ON attachments (task_id, seq);
  CREATE INDEX attachments_list ON attachments (list_id);
  CREATE TABLE sessions (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    list_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    committed BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('open', 'completed')),
    attachment_id TEXT,
    last_start BIGINT,
    last_end BIGINT,
    last_sha256 TEXT,
    blob UUID NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    CHECK (committed >= 0 AND committed <= size),
    CHECK ((status = 'completed') = (attachment_id IS NOT NULL))
  );
  CREATE INDEX sessions_task ON sessions (task_id, seq);
  CREATE INDEX sessions_list ON sessions (list_id);
  CREATE INDEX sessions_owner_open ON sessions (owner, status);
  CREATE INDEX sessions_expiry ON sessions (expires_at);
  CREATE INDEX sessions_attachment ON sessions (attachment_id);
  -- Bytes: a session's (later its attachment's) object as rows of at most 256 KiB, keyed by the
  -- offset of their first byte. EXTERNAL: stored out of line uncompressed, since uploads are
  -- mostly already-compressed media and compressing them would only cost CPU.
  CREATE TABLE blob_chunks (
    blob UUID NOT NULL,
    off BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (blob, off)
  );
  ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
  `,
  // The oid is a user's identity; the UPN is a mutable alias several oids may have presented (a
  // rename, a reused name, a squatter): no longer UNIQUE, and `/users/{upn}` resolves to the oid
  // that presented it most recently (upn_since).
  `
  ALTER TABLE users DROP CONSTRAINT users_upn_lower_key;
  ALTER TABLE users ADD COLUMN upn_since TEXT;
  UPDATE users SET upn_since = created_at;
  ALTER TABLE users ALTER COLUMN upn_since SET NOT NULL;
  CREATE INDEX users_upn ON users (upn_lower, upn_since);
  `,
  // Upload leases as a row claim with an expiry that the holder renews while its body streams, so a
  // PUT holds no database connection while it waits for its client; a holder that dies stops
  // renewing and its claim lapses within seconds.
  `
  ALTER TABLE sessions ADD COLUMN lease_token TEXT;
  ALTER TABLE sessions ADD COLUMN lease_until TIMESTAMPTZ;
  `,
  // Step 4: see changeTrackingStep. The owner's change_seqs row lock, held until commit, makes one
  // owner's changes commit in the order of their numbers: a reader that sees N committed knows
  // every smaller number is committed too.
  changeTrackingStep(POSTGRES),
  // Step 5: see taskChildrenStep.
  taskChildrenStep(POSTGRES),
  // Queries in SQL (issue 15), step 6 of the embedded store too: the task properties $filter and
  // $orderby use, as generated columns (strings ASCII-folded and in code-point order, enums as
  // their ordinal, a dateTimeTimeZone as its dateTime and folded zone, the categories as a folded
  // array; see store/shared/query-sql.ts). Index keys are NULLS FIRST, the order an ascending
  // $orderby asks for (a descending one reads the index backwards).
  `
  ALTER TABLE tasks
    ADD COLUMN q_title TEXT COLLATE "C" GENERATED ALWAYS AS (translate((doc::jsonb)->>'title', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) STORED,
    ADD COLUMN q_status SMALLINT GENERATED ALWAYS AS (CASE (doc::jsonb)->>'status' WHEN 'notStarted' THEN 0 WHEN 'inProgress' THEN 1 WHEN 'completed' THEN 2 WHEN 'waitingOnOthers' THEN 3 WHEN 'deferred' THEN 4 END) STORED,
    ADD COLUMN q_importance SMALLINT GENERATED ALWAYS AS (CASE (doc::jsonb)->>'importance' WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 END) STORED,
    ADD COLUMN q_reminder_on BOOLEAN GENERATED ALWAYS AS (((doc::jsonb)->>'isReminderOn')::boolean) STORED,
    ADD COLUMN q_body_type SMALLINT GENERATED ALWAYS AS (CASE (doc::jsonb)#>>'{body,contentType}' WHEN 'text' THEN 0 WHEN 'html' THEN 1 END) STORED,
    ADD COLUMN q_body_modified TEXT COLLATE "C" GENERATED ALWAYS AS ((doc::jsonb)->>'bodyLastModifiedDateTime') STORED,
    ADD COLUMN q_categories JSONB GENERATED ALWAYS AS (translate(((doc::jsonb)->'categories')::text, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')::jsonb) STORED,
    ADD COLUMN q_due TEXT COLLATE "C" GENERATED ALWAYS AS ((doc::jsonb)#>>'{dueDateTime,dateTime}') STORED,
    ADD COLUMN q_due_zone TEXT COLLATE "C" GENERATED ALWAYS AS (translate((doc::jsonb)#>>'{dueDateTime,timeZone}', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) STORED,
    ADD COLUMN q_start TEXT COLLATE "C" GENERATED ALWAYS AS ((doc::jsonb)#>>'{startDateTime,dateTime}') STORED,
    ADD COLUMN q_start_zone TEXT COLLATE "C" GENERATED ALWAYS AS (translate((doc::jsonb)#>>'{startDateTime,timeZone}', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) STORED,
    ADD COLUMN q_completed TEXT COLLATE "C" GENERATED ALWAYS AS ((doc::jsonb)#>>'{completedDateTime,dateTime}') STORED,
    ADD COLUMN q_completed_zone TEXT COLLATE "C" GENERATED ALWAYS AS (translate((doc::jsonb)#>>'{completedDateTime,timeZone}', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) STORED,
    ADD COLUMN q_reminder TEXT COLLATE "C" GENERATED ALWAYS AS ((doc::jsonb)#>>'{reminderDateTime,dateTime}') STORED,
    ADD COLUMN q_reminder_zone TEXT COLLATE "C" GENERATED ALWAYS AS (translate((doc::jsonb)#>>'{reminderDateTime,timeZone}', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) STORED;
  CREATE INDEX tasks_by_status ON tasks (list_id, q_status, seq);
  CREATE INDEX tasks_by_importance ON tasks (list_id, q_importance, seq);
  CREATE INDEX tasks_by_title ON tasks (list_id, q_title NULLS FIRST, id COLLATE "C" NULLS FIRST);
  CREATE INDEX tasks_by_due ON tasks (list_id, q_due NULLS FIRST, id COLLATE "C" NULLS FIRST);
  CREATE INDEX tasks_by_created ON tasks (list_id, created_at COLLATE "C" NULLS FIRST, id COLLATE "C" NULLS FIRST);
  CREATE INDEX tasks_by_modified ON tasks (list_id, last_modified_at COLLATE "C" NULLS FIRST, id COLLATE "C" NULLS FIRST);
  `,
  // Step 7: read leases (issue 13 item 11). A download registers a claim on the blob it streams and
  // renews it while it runs; a deletion leaves the rows of a blob with a live claim for the
  // janitor's orphan sweep, so a download always finishes from the bytes it started with.
  `
  CREATE TABLE blob_reads (reader UUID PRIMARY KEY, blob UUID NOT NULL, until TIMESTAMPTZ NOT NULL);
  `,
  // Step 8: a session's creation and a range's commit as one server-side call each (issue 16).
  // Their locks (the owner's advisory lock for a creation; the task's and the owner's change_seqs
  // row for a final range) were held across several client round trips, and every creation or
  // completion of one owner waited for them in turn; now they are held for the statements
  // themselves and the commit's WAL flush.
  //
  // taskdrop_create_session inserts the session unless a cap is reached, and returns the counts
  // it saw (before any insert) so the caller can say which cap.
  `
  CREATE FUNCTION taskdrop_create_session(
    p_id TEXT, p_owner TEXT, p_list TEXT, p_task TEXT, p_name TEXT, p_content_type TEXT, p_size BIGINT, p_blob UUID,
    p_created_at TEXT, p_expires_at TEXT, p_max_open BIGINT, p_max_staged BIGINT
  ) RETURNS TABLE (open_count BIGINT, staged BIGINT, inserted BOOLEAN) LANGUAGE plpgsql AS $fn$
  BEGIN
    -- Serialises one owner's creations across instances, so a cap cannot be overshot by a race.
    PERFORM pg_advisory_xact_lock(hashtextextended('taskdrop:owner:' || current_schema() || ':' || p_owner, 0));
    -- Only live sessions count: an expired one can no longer be used, whether swept yet or not.
    SELECT count(*), coalesce(sum(size), 0) INTO open_count, staged
      FROM sessions WHERE owner = p_owner AND status = 'open' AND expires_at > p_created_at;
    inserted := open_count < p_max_open AND (p_max_staged <= 0 OR staged + p_size <= p_max_staged);
    IF inserted THEN
      INSERT INTO sessions (id, owner, list_id, task_id, name, content_type, size, committed, status, blob, created_at, expires_at)
        VALUES (p_id, p_owner, p_list, p_task, p_name, p_content_type, p_size, 0, 'open', p_blob, p_created_at, p_expires_at);
    END IF;
    RETURN NEXT;
  END
  $fn$;
  -- taskdrop_commit_range: lock order as everywhere (task, session, change_seqs last). Raises
  -- P0002 when the session is gone or moved on, 40001 when the claim is no longer the caller's, so
  -- nothing is committed in either case.
  CREATE FUNCTION taskdrop_commit_range(
    p_id TEXT, p_token TEXT, p_task TEXT, p_offset BIGINT, p_committed BIGINT, p_last_start BIGINT, p_last_end BIGINT,
    p_attachment TEXT, p_owner TEXT, p_list TEXT, p_name TEXT, p_content_type TEXT, p_size BIGINT, p_sha256 TEXT,
    p_created_at TEXT, p_modified_at TEXT
  ) RETURNS SETOF sessions LANGUAGE plpgsql AS $fn$
  DECLARE
    s sessions;
    n BIGINT;
  BEGIN
    -- The staged rows were written with synchronous_commit off: this commit's flush covers them.
    PERFORM set_config('synchronous_commit', 'on', true);
    IF p_attachment IS NOT NULL THEN
      PERFORM 1 FROM tasks WHERE id = p_task FOR UPDATE;
    END IF;
    SELECT * INTO s FROM sessions WHERE id = p_id FOR UPDATE;
    IF NOT FOUND OR s.status <> 'open' OR s.committed <> p_offset THEN
      RAISE EXCEPTION 'upload session gone or moved on' USING ERRCODE = 'P0002';
    END IF;
    IF s.lease_token IS DISTINCT FROM p_token THEN
      RAISE EXCEPTION 'upload lease lost' USING ERRCODE = '40001';
    END IF;
    IF p_attachment IS NULL THEN
      RETURN QUERY UPDATE sessions SET committed = p_committed, last_start = p_last_start, last_end = p_last_end,
          lease_token = NULL, lease_until = NULL
        WHERE id = p_id RETURNING *;
      RETURN;
    END IF;
    PERFORM 1 FROM tasks WHERE id = p_task AND owner = p_owner;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'task gone' USING ERRCODE = 'P0002';
    END IF;
    INSERT INTO attachments (id, owner, list_id, task_id, name, content_type, size, sha256, blob, created_at, last_modified_at)
      VALUES (p_attachment, p_owner, p_list, p_task, p_name, p_content_type, p_size, p_sha256, s.blob, p_created_at, p_modified_at);
    INSERT INTO change_seqs (owner, seq) VALUES (p_owner, 1)
      ON CONFLICT (owner) DO UPDATE SET seq = change_seqs.seq + 1 RETURNING seq INTO n;
    UPDATE tasks SET attachment_count = attachment_count + 1, change_seq = n WHERE id = p_task;
    RETURN QUERY UPDATE sessions SET committed = p_committed, status = 'completed', attachment_id = p_attachment,
        last_start = p_last_start, last_end = p_last_end, lease_token = NULL, lease_until = NULL
      WHERE id = p_id RETURNING *;
  END
  $fn$;
  `,
];

/**
 * Applies the pending steps. The advisory lock is keyed by the current schema, so deployments
 * (or test schemas) sharing one database do not wait for each other.
 */
export async function migrate(c: PoolClient): Promise<void> {
  const key = "hashtextextended('taskdrop:migrate:' || current_schema(), 0)";
  await c.query(`SELECT pg_advisory_lock(${key})`);
  try {
    await c.query("CREATE TABLE IF NOT EXISTS taskdrop_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    const { rows } = await c.query<{ v: number | null }>("SELECT max(version) AS v FROM taskdrop_migrations");
    const current = rows[0]?.v ?? 0;
    refuseNewerSchema(current, MIGRATIONS.length, "database");
    for (let v = current + 1; v <= MIGRATIONS.length; v++) {
      await c.query("BEGIN");
      try {
        await c.query(MIGRATIONS[v - 1]!);
        await c.query("INSERT INTO taskdrop_migrations (version) VALUES ($1)", [v]);
        await c.query("COMMIT");
      } catch (e) {
        await c.query("ROLLBACK");
        throw e;
      }
    }
  } finally {
    await c.query(`SELECT pg_advisory_unlock(${key})`);
  }
}
