// One migration discipline for both stores: numbered steps, applied in order, each in its own
// transaction with the version it reaches; a released step is never edited (append a new one);
// a schema newer than this build refuses to open instead of being used half-understood.

/** Thrown when the data was migrated by a newer Taskdrop than this one. */
export class SchemaTooNewError extends Error {
  readonly userFacing = true;
}

/** Throws SchemaTooNewError when `current` is past the steps this build knows. */
export function refuseNewerSchema(current: number, known: number, where: string): void {
  if (current > known) {
    throw new SchemaTooNewError(`The ${where} schema is at version ${current}, newer than this Taskdrop understands (${known}); upgrade Taskdrop.`);
  }
}

/** What a migration step written once for both stores needs to know of the SQL dialect. */
export interface Dialect {
  /** A 64-bit integer column. */
  int: "INTEGER" | "BIGINT";
  /** An ascending row number given by the database, as the primary key. */
  serial: "INTEGER PRIMARY KEY AUTOINCREMENT" | "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
}

export const SQLITE: Dialect = { int: "INTEGER", serial: "INTEGER PRIMARY KEY AUTOINCREMENT" };
export const POSTGRES: Dialect = { int: "BIGINT", serial: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" };

/**
 * Step 4 of both stores, delta (change tracking): every write of a list or task takes the next
 * number of its owner's change sequence (change_seqs.seq); rows carry the number of their last
 * change, deletions leave a tombstone with theirs. `floor` is the highest tombstone number pruned:
 * a token older than it can no longer be answered (410). Existing rows get distinct numbers below
 * every owner's start.
 */
export function changeTrackingStep(d: Dialect): string {
  return `
  ALTER TABLE lists ADD COLUMN change_seq ${d.int} NOT NULL DEFAULT 0;
  ALTER TABLE tasks ADD COLUMN change_seq ${d.int} NOT NULL DEFAULT 0;
  UPDATE lists SET change_seq = seq;
  UPDATE tasks SET change_seq = seq;
  CREATE TABLE change_seqs (owner TEXT PRIMARY KEY, seq ${d.int} NOT NULL, floor ${d.int} NOT NULL DEFAULT 0);
  INSERT INTO change_seqs (owner, seq) SELECT oid, (SELECT coalesce(max(seq), 0) FROM lists) + (SELECT coalesce(max(seq), 0) FROM tasks) FROM users;
  CREATE TABLE tombstones (
    seq ${d.int} NOT NULL,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('list', 'task')),
    list_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    deleted_at TEXT NOT NULL,
    PRIMARY KEY (owner, seq)
  );
  CREATE INDEX tombstones_stream ON tombstones (owner, kind, list_id, seq);
  CREATE INDEX tombstones_age ON tombstones (deleted_at);
  CREATE INDEX lists_changes ON lists (owner, change_seq);
  CREATE INDEX tasks_changes ON tasks (list_id, change_seq);
  `;
}

/**
 * Step 5 of both stores: a task's checklistItems, linkedResources and open extensions, and a list's
 * open extensions (task_id ''), in one table: each is a small JSON document under one parent, read
 * by parent and kind. The id is unique under its parent (an extension's id is its name).
 */
export function taskChildrenStep(d: Dialect): string {
  return `
  CREATE TABLE task_children (
    seq ${d.serial},
    id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('checklistItem', 'linkedResource', 'extension')),
    owner TEXT NOT NULL,
    list_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE UNIQUE INDEX task_children_parent ON task_children (list_id, task_id, kind, id);
  CREATE INDEX task_children_list ON task_children (list_id, kind, seq);
  `;
}
