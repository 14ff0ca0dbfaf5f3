// Numbered schema steps for the embedded store (the discipline: src/store/shared/schema.ts);
// `PRAGMA user_version` records how many have been applied. Never edit a released step: append one.
import { SQLITE, changeTrackingStep, taskChildrenStep } from "../shared/schema.js";
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE users (
    oid TEXT PRIMARY KEY,
    upn TEXT NOT NULL,
    upn_lower TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  CREATE TABLE lists (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    display_name TEXT NOT NULL,
    wellknown TEXT NOT NULL,
    is_owner INTEGER NOT NULL,
    is_shared INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    change_key TEXT NOT NULL
  );
  CREATE INDEX lists_owner ON lists (owner, seq);
  CREATE UNIQUE INDEX lists_one_default ON lists (owner) WHERE wellknown = 'defaultList';
  CREATE TABLE tasks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    list_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    blob TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_modified_at TEXT NOT NULL
  );
  CREATE INDEX attachments_task ON attachments (task_id, seq);
  CREATE TABLE sessions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    list_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    committed INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('open', 'completed')),
    attachment_id TEXT,
    last_start INTEGER,
    last_end INTEGER,
    last_sha256 TEXT,
    blob TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    CHECK (committed >= 0 AND committed <= size),
    CHECK ((status = 'completed') = (attachment_id IS NOT NULL))
  );
  CREATE INDEX sessions_task ON sessions (task_id, seq);
  CREATE INDEX sessions_owner_open ON sessions (owner, status);
  CREATE INDEX sessions_expiry ON sessions (expires_at);
  `,
  // The indexes the PostgreSQL store has had from its first step: deletions of a list, and of an
  // attachment with the completed session naming it, select by these columns.
  `
  CREATE INDEX attachments_list ON attachments (list_id);
  CREATE INDEX sessions_list ON sessions (list_id);
  CREATE INDEX sessions_attachment ON sessions (attachment_id);
  `,
  // The oid is a user's identity; the UPN is a mutable alias several oids may have presented (a
  // rename, a reused name, a squatter): no longer UNIQUE, and `/users/{upn}` resolves to the oid
  // that presented it most recently (upn_since). SQLite drops a column constraint by rebuilding.
  `
  CREATE TABLE users_next (
    oid TEXT PRIMARY KEY,
    upn TEXT NOT NULL,
    upn_lower TEXT NOT NULL,
    created_at TEXT NOT NULL,
    upn_since TEXT NOT NULL
  );
  INSERT INTO users_next (oid, upn, upn_lower, created_at, upn_since) SELECT oid, upn, upn_lower, created_at, created_at FROM users;
  DROP TABLE users;
  ALTER TABLE users_next RENAME TO users;
  CREATE INDEX users_upn ON users (upn_lower, upn_since);
  `,
  // Step 4: see changeTrackingStep.
  changeTrackingStep(SQLITE),
  // Step 5: see taskChildrenStep.
  taskChildrenStep(SQLITE),
  // Queries in SQL (issue 15): the task properties $filter and $orderby use, as columns — strings
  // ASCII-folded, enums as their ordinal, a dateTimeTimeZone as its dateTime and folded zone, the
  // categories as a folded JSON array (see store/shared/query-sql.ts). Triggers keep them in step
  // with `doc`, whichever statement writes it (a trigger's own UPDATE fires the other trigger). The indexes serve the default page of a filter on
  // status or importance and the first page of an order by title, due date, created or modified.
  `
  ALTER TABLE tasks ADD COLUMN q_title TEXT;
  ALTER TABLE tasks ADD COLUMN q_status INTEGER;
  ALTER TABLE tasks ADD COLUMN q_importance INTEGER;
  ALTER TABLE tasks ADD COLUMN q_reminder_on INTEGER;
  ALTER TABLE tasks ADD COLUMN q_body_type INTEGER;
  ALTER TABLE tasks ADD COLUMN q_body_modified TEXT;
  ALTER TABLE tasks ADD COLUMN q_categories TEXT;
  ALTER TABLE tasks ADD COLUMN q_due TEXT;
  ALTER TABLE tasks ADD COLUMN q_due_zone TEXT;
  ALTER TABLE tasks ADD COLUMN q_start TEXT;
  ALTER TABLE tasks ADD COLUMN q_start_zone TEXT;
  ALTER TABLE tasks ADD COLUMN q_completed TEXT;
  ALTER TABLE tasks ADD COLUMN q_completed_zone TEXT;
  ALTER TABLE tasks ADD COLUMN q_reminder TEXT;
  ALTER TABLE tasks ADD COLUMN q_reminder_zone TEXT;
  CREATE TRIGGER tasks_query_update AFTER UPDATE OF doc ON tasks BEGIN
    UPDATE tasks SET
      q_title = lower(json_extract(doc, '$.title')),
      q_status = CASE json_extract(doc, '$.status') WHEN 'notStarted' THEN 0 WHEN 'inProgress' THEN 1 WHEN 'completed' THEN 2 WHEN 'waitingOnOthers' THEN 3 WHEN 'deferred' THEN 4 END,
      q_importance = CASE json_extract(doc, '$.importance') WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 END,
      q_reminder_on = json_extract(doc, '$.isReminderOn'),
      q_body_type = CASE json_extract(doc, '$.body.contentType') WHEN 'text' THEN 0 WHEN 'html' THEN 1 END,
      q_body_modified = json_extract(doc, '$.bodyLastModifiedDateTime'),
      q_categories = lower(json_extract(doc, '$.categories')),
      q_due = json_extract(doc, '$.dueDateTime.dateTime'),
      q_due_zone = lower(json_extract(doc, '$.dueDateTime.timeZone')),
      q_start = json_extract(doc, '$.startDateTime.dateTime'),
      q_start_zone = lower(json_extract(doc, '$.startDateTime.timeZone')),
      q_completed = json_extract(doc, '$.completedDateTime.dateTime'),
      q_completed_zone = lower(json_extract(doc, '$.completedDateTime.timeZone')),
      q_reminder = json_extract(doc, '$.reminderDateTime.dateTime'),
      q_reminder_zone = lower(json_extract(doc, '$.reminderDateTime.timeZone'))
    WHERE seq = NEW.seq;
  END;
  -- A new row, and every existing one, goes through the update trigger: the expressions live once.
  CREATE TRIGGER tasks_query_insert AFTER INSERT ON tasks BEGIN
    UPDATE tasks SET doc = doc WHERE seq = NEW.seq;
  END;
  UPDATE tasks SET doc = doc;
  CREATE INDEX tasks_by_status ON tasks (list_id, q_status, seq);
  CREATE INDEX tasks_by_importance ON tasks (list_id, q_importance, seq);
  CREATE INDEX tasks_by_title ON tasks (list_id, q_title, id);
  CREATE INDEX tasks_by_due ON tasks (list_id, q_due, id);
  CREATE INDEX tasks_by_created ON tasks (list_id, created_at, id);
  CREATE INDEX tasks_by_modified ON tasks (list_id, last_modified_at, id);
  `,
];
