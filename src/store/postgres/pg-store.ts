// The scale-out store: records and bytes in PostgreSQL, so server instances keep no state of their
// own and any instance can take the next range of any session.
//
// Concurrency, in short:
// - A session lease is a claim in the session's row (lease_token, lease_until), taken and renewed by
//   short statements while the body streams, so a PUT holds no connection while it waits for its
//   client (a slow client cannot starve the pool). A holder that dies stops renewing: its claim
//   lapses after LEASE_TTL_MS and any instance may take the session.
// - A range is staged, then committed: its chunk rows are inserted past the committed offset as
//   they arrive (where no reader looks), and one short transaction checks that the lease is still
//   ours and commits the new offset. All or nothing: rows of a range that never committed are
//   removed by the next holder before it stages, or with the session.
// - Row locks are taken in one order everywhere (list, then task, then session/attachment, then the
//   owner's change_seqs row, always last), and are never held while a body streams, so deletions
//   and cancels are never stuck behind an upload.
// - The change_seqs row lock is what orders one owner's changes: a transaction numbered N commits
//   before N+1 can be numbered (see Store.changes).
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import pg from "pg";
import { errors, isGraphError } from "../../domain/errors.js";
import type { Attachment, ChildKind, ChildParent, Task, TaskChild, TaskList, UploadSession, User } from "../../domain/models.js";
import type { Change } from "../../domain/delta.js";
import type { ChangeQuery, SessionLease, Store, TaskChange, WriteRangeArgs } from "../types.js";
import { insertChunks, readStream, sha256Of, writeChunks } from "./chunks.js";
import { migrate } from "./migrations.js";
import { attachmentFrom, childFrom, listFrom, num, sessionFrom, taskFrom, userFrom, type Row } from "../rows.js";
import { rangeBytes, RunningHashes } from "../shared/running-hash.js";
import { mergeChanges } from "../shared/changes.js";
import { stagedQuota } from "../shared/quota.js";
import { compileQuery, keepingLastKey, LIST_TABLE, listScope, TASK_TABLE, taskScope, type QueryTable, type Scope } from "../shared/query-sql.js";
import type { CollectionQuery, QueryPage } from "../../domain/query.js";

type Client = pg.PoolClient;

/**
 * Connections per instance, split between general queries and upload statements (staging INSERTs,
 * range commits, each holding a connection for one statement or one short transaction). 30 lets
 * three instances share PostgreSQL's default max_connections = 100 with room for admin sessions.
 */
export const DEFAULT_POOL_SIZE = 30;
export const MIN_POOL_SIZE = 4;
/**
 * How long an upload statement waits for a connection before the PUT is answered 503. Connections
 * are only ever held for one statement or a commit, never for a client, so a wait this long means
 * the database is down or overloaded.
 */
export const UPLOAD_WAIT_MS = 5_000;
const GENERAL_WAIT_MS = 10_000;
/** A lease lapses this long after its last renewal (so a dead holder blocks a resume for at most this). */
export const LEASE_TTL_MS = 3_000;
/** A download's read claim lapses this long after its last renewal (a dead instance's claims). */
const READ_CLAIM_TTL_S = 30;
const READ_CLAIM_RENEW_MS = 10_000;
/** The holder renews its lease this often while the range streams. */
const LEASE_RENEW_MS = 1_000;

/** General connections out of `size`: a quarter, at least 2 and at most 8; the rest are for uploads. */
function splitPool(size: number): { general: number; upload: number } {
  const general = Math.min(8, Math.max(2, Math.floor(size / 4)));
  return { general, upload: size - general };
}

/** Deadlocks and serialization failures: the transaction changed nothing and may simply run again. */
const retryable = (e: unknown) => ["40001", "40P01"].includes((e as { code?: string }).code ?? "");

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable database URL)";
  }
}

/**
 * A staged row, written only while the claim is the writer's: a holder that stalled past its lease
 * stages nothing more once another has taken the session (rows at offsets the new holder also
 * writes would make its INSERTs fail).
 */
const STAGE_CHUNK = `INSERT INTO blob_chunks (blob, off, data)
  SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $4 AND lease_token = $5)`;
/**
 * A failed range's staged rows, removed while the claim is still the writer's, or when the session
 * is gone and no attachment holds the blob; never when another holder took the session over
 * (rows past the committed offset are then its own, and rows before it committed bytes).
 */
const UNSTAGE_OWN = `DELETE FROM blob_chunks WHERE blob = $1 AND off >= $2
  AND NOT EXISTS (SELECT 1 FROM sessions WHERE id = $3 AND (lease_token IS DISTINCT FROM $4 OR committed <> $2))
  AND NOT EXISTS (SELECT 1 FROM attachments WHERE blob = $1)`;

export class PgStore implements Store {
  readonly kind = "postgres" as const;
  private closed = false;
  /**
   * Running hashes of the open sessions this process wrote. A state is only used for the
   * session's committed offset as read in the range's transaction, under the lease: committed
   * bytes never change, so a state for that offset is right whoever wrote them. After a restart,
   * or when another instance wrote the previous range, the final range hashes the rows instead.
   */
  private readonly hashes = new RunningHashes();

  /** Leases this instance holds (a second PUT here is refused without asking the database). */
  private readonly leased = new Set<string>();

  private constructor(
    private readonly pool: pg.Pool,
    /**
     * Staging INSERTs and range commits. Its connections run with synchronous_commit off: a staged
     * row need not be on disk by itself, since the range's commit (which sets synchronous_commit
     * back on for its transaction) flushes the WAL up to its own record, and so every staged row
     * before it, before it returns.
     */
    private readonly uploadPool: pg.Pool,
  ) {}

  /** Connects, applies pending migrations (safe when several instances start at once). */
  static async open(databaseUrl: string, opts: { poolSize?: number } = {}): Promise<PgStore> {
    const size = opts.poolSize ?? DEFAULT_POOL_SIZE;
    if (!Number.isInteger(size) || size < MIN_POOL_SIZE) throw new Error(`The database pool size must be a whole number of at least ${MIN_POOL_SIZE}, got ${size}`);
    const split = splitPool(size);
    const make = (max: number, connectionTimeoutMillis: number, options?: string) => {
      const pool = new pg.Pool({
        connectionString: databaseUrl,
        application_name: "taskdrop",
        max,
        connectionTimeoutMillis,
        idleTimeoutMillis: 30_000,
        keepAlive: true,
        ...(options ? { options } : {}),
      });
      // A connection that breaks while idle or between a lease's queries must not crash the
      // process; the pool drops idle ones, and the query in progress (if any) rejects on its own.
      pool.on("error", () => {});
      pool.on("connect", (c) => c.on("error", () => {}));
      return pool;
    };
    const pool = make(split.general, GENERAL_WAIT_MS);
    const uploadPool = make(split.upload, UPLOAD_WAIT_MS, "-c synchronous_commit=off");
    try {
      let c: Client;
      try {
        c = await pool.connect();
      } catch (e) {
        throw Object.assign(new Error(`Cannot connect to PostgreSQL at ${redact(databaseUrl)}: ${(e as Error).message}`), { userFacing: true });
      }
      let broken = false;
      try {
        await migrate(c);
      } catch (e) {
        broken = true;
        throw e;
      } finally {
        c.release(broken);
      }
      return new PgStore(pool, uploadPool);
    } catch (e) {
      await Promise.allSettled([pool.end(), uploadPool.end()]);
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.uploadPool.end()]);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error("store closed");
    await this.pool.query("SELECT 1");
  }

  async reset(): Promise<void> {
    // Every table of this schema but the settings and the migration record, found in the catalogue
    // so that tables added later are emptied too; one TRUNCATE takes the foreign keys among them.
    const { rows } = await this.pool.query<{ t: string }>(
      "SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT IN ('settings', 'taskdrop_migrations', 'change_seqs')",
    );
    // change_seqs stays: its numbers go on past the reset and its floor moves above every token
    // issued before, so an old delta token gets 410 instead of missing what the reset removed.
    await this.tx(async (c) => {
      if (rows.length > 0) await c.query(`TRUNCATE ${rows.map((r) => r.t).join(", ")}`);
      await c.query("UPDATE change_seqs SET seq = seq + 1, floor = seq + 1");
    });
    this.hashes.clear();
  }

  /** Runs `fn` in a transaction on a pooled connection; retried when PostgreSQL reports a deadlock. */
  private async tx<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect();
      let broken = false;
      try {
        await c.query("BEGIN");
        const out = await fn(c);
        await c.query("COMMIT");
        return out;
      } catch (e) {
        await c.query("ROLLBACK").catch(() => {
          broken = true;
        });
        if (retryable(e) && attempt < 4) continue;
        throw e;
      } finally {
        c.release(broken);
      }
    }
  }

  private async one(sql: string, values: unknown[]): Promise<Row | undefined> {
    return (await this.pool.query(sql, values)).rows[0] as Row | undefined;
  }

  settings = {
    getOrCreate: async (key: string, make: () => string): Promise<string> => {
      const existing = await this.one("SELECT value FROM settings WHERE key = $1", [key]);
      if (existing) return existing.value as string;
      await this.pool.query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [key, make()]);
      return (await this.one("SELECT value FROM settings WHERE key = $1", [key]))!.value as string;
    },
  };

  users = {
    ensure: async (oid: string, upn: string): Promise<User> => {
      // Read first: this runs on every request, and an upsert would write a row version each time.
      const found = await this.one("SELECT * FROM users WHERE oid = $1", [oid]);
      if (found && found.upn === upn) return userFrom(found);
      // A new or changed alias: this oid is now its most recent holder (see migration 2).
      const now = new Date().toISOString();
      const r = await this.one(
        `INSERT INTO users (oid, upn, upn_lower, created_at, upn_since) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (oid) DO UPDATE SET upn = excluded.upn, upn_lower = excluded.upn_lower, upn_since = excluded.upn_since
         RETURNING *`,
        [oid, upn, upn.toLowerCase(), now],
      );
      return userFrom(r!);
    },
    find: async (idOrUpn: string): Promise<User | undefined> => {
      const r =
        (await this.one("SELECT * FROM users WHERE oid = $1", [idOrUpn])) ??
        (await this.one("SELECT * FROM users WHERE upn_lower = $1 ORDER BY upn_since DESC, oid LIMIT 1", [idOrUpn.toLowerCase()]));
      return r ? userFrom(r) : undefined;
    },
  };

  /** One page of a query; the count (when asked) is read in the same snapshot as the page. */
  private async queryPage<T>(t: QueryTable, scope: Scope, q: CollectionQuery, from: (r: Row) => T): Promise<QueryPage<T>> {
    const c = compileQuery(q, t, "postgres", scope);
    const run = async (db: Pick<Client, "query">) => {
      const rows = c.page ? ((await db.query(c.page.sql, c.page.params)).rows as Row[]) : [];
      const count = c.count ? Number((await db.query(c.count.sql, c.count.params)).rows[0].n) : undefined;
      const k = keepingLastKey(q, from);
      return { items: await mapInSlices(rows.slice(0, q.top), k.from), more: rows.length > q.top, count, last: k.last(rows.length > q.top) };
    };
    if (!c.page || !c.count) return run(this.pool);
    return this.readSnapshot(run);
  }

  /** Runs reads in one REPEATABLE READ READ ONLY transaction, so they agree with each other. */
  private async readSnapshot<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (e) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  lists = {
    all: async (owner: string): Promise<TaskList[]> =>
      (await this.pool.query("SELECT * FROM lists WHERE owner = $1 ORDER BY seq", [owner])).rows.map(listFrom),
    query: (owner: string, q: CollectionQuery): Promise<QueryPage<TaskList>> => this.queryPage(LIST_TABLE, listScope(owner), q, listFrom),
    get: async (owner: string, id: string): Promise<TaskList | undefined> => {
      const r = await this.one("SELECT * FROM lists WHERE owner = $1 AND id = $2", [owner, id]);
      return r ? listFrom(r) : undefined;
    },
    ensureDefault: async (owner: string, make: () => TaskList): Promise<void> => {
      if (await this.one("SELECT 1 FROM lists WHERE owner = $1 AND wellknown = 'defaultList'", [owner])) return;
      // Two instances may race here; the partial unique index lets exactly one insert win (the
      // loser's change number is then skipped, which no reader minds).
      await this.tx((c) => this.insertList(c, make(), "ON CONFLICT (owner) WHERE wellknown = 'defaultList' DO NOTHING"));
    },
    create: async (list: TaskList): Promise<void> => {
      await this.tx((c) => this.insertList(c, list));
    },
    update: async (owner: string, id: string, change: (l: TaskList) => TaskList): Promise<TaskList | undefined> =>
      this.tx(async (c) => {
        const r = (await c.query("SELECT * FROM lists WHERE owner = $1 AND id = $2 FOR UPDATE", [owner, id])).rows[0];
        if (!r) return undefined;
        const next = change(listFrom(r));
        await c.query("UPDATE lists SET display_name = $1, change_key = $2, change_seq = $3 WHERE id = $4", [next.displayName, next.changeKey, await this.nextChange(c, owner), id]);
        return next;
      }),
    delete: async (owner: string, id: string, guard: (l: TaskList) => void): Promise<boolean> =>
      this.tx(async (c) => {
        const r = (await c.query("SELECT * FROM lists WHERE owner = $1 AND id = $2 FOR UPDATE", [owner, id])).rows[0];
        if (!r) return false;
        guard(listFrom(r));
        await c.query("SELECT 1 FROM tasks WHERE list_id = $1 ORDER BY id FOR UPDATE", [id]);
        const blobs = await this.blobsWhere(c, "list_id", id);
        await c.query("DELETE FROM sessions WHERE list_id = $1", [id]);
        await c.query("DELETE FROM attachments WHERE list_id = $1", [id]);
        await c.query("DELETE FROM task_children WHERE list_id = $1", [id]);
        await c.query("DELETE FROM tasks WHERE list_id = $1", [id]);
        await c.query("DELETE FROM lists WHERE id = $1", [id]);
        await this.freeBlobs(c, blobs);
        // The list's task stream ends with it (its delta answers 404 now): its tombstones go too.
        await c.query("DELETE FROM tombstones WHERE owner = $1 AND kind = 'task' AND list_id = $2", [owner, id]);
        await this.tombstone(c, owner, "list", "", id);
        return true;
      }),
  };

  private async insertList(c: Client, l: TaskList, onConflict = ""): Promise<void> {
    await c.query(
      `INSERT INTO lists (id, owner, display_name, wellknown, is_owner, is_shared, created_at, change_key, change_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0) ${onConflict}`,
      [l.id, l.ownerOid, l.displayName, l.wellknownListName, l.isOwner, l.isShared, l.createdAt, l.changeKey],
    );
    // Numbered after the insert: the owner's change_seqs row is the last lock taken.
    await c.query("UPDATE lists SET change_seq = $1 WHERE id = $2", [await this.nextChange(c, l.ownerOid), l.id]);
  }

  /** The owner's next change number, its row locked until `c` commits; the last lock a transaction takes. */
  private async nextChange(c: Client, owner: string): Promise<number> {
    const { rows } = await c.query(
      "INSERT INTO change_seqs (owner, seq) VALUES ($1, 1) ON CONFLICT (owner) DO UPDATE SET seq = change_seqs.seq + 1 RETURNING seq",
      [owner],
    );
    return num(rows[0].seq);
  }

  /** Records a deletion in a stream (`listId` is "" for the owner's lists). */
  private async tombstone(c: Client, owner: string, kind: "list" | "task", listId: string, itemId: string): Promise<void> {
    await c.query("INSERT INTO tombstones (seq, owner, kind, list_id, item_id, deleted_at) VALUES ($1, $2, $3, $4, $5, $6)", [
      await this.nextChange(c, owner),
      owner,
      kind,
      listId,
      itemId,
      new Date().toISOString(),
    ]);
  }

  /** Live rows and tombstones of one stream in (after, upTo], merged in number order. */
  private async changesOf<T>(owner: string, kind: "list" | "task", listId: string, q: ChangeQuery, live: Row[], from: (r: Row) => T): Promise<Array<Change<T>>> {
    const { rows: gone } = await this.pool.query(
      "SELECT seq, item_id FROM tombstones WHERE owner = $1 AND kind = $2 AND list_id = $3 AND seq > $4 AND seq <= $5 ORDER BY seq LIMIT $6",
      [owner, kind, listId, Math.max(q.after, q.removedAfter), q.upTo, q.limit],
    );
    return mergeChanges(live, gone, from, q.limit);
  }

  changes = {
    position: async (owner: string): Promise<{ seq: number; floor: number }> => {
      const r = await this.one("SELECT seq, floor FROM change_seqs WHERE owner = $1", [owner]);
      return { seq: r ? num(r.seq) : 0, floor: r ? num(r.floor) : 0 };
    },
    lists: async (owner: string, q: ChangeQuery): Promise<Array<Change<TaskList>>> => {
      const { rows } = await this.pool.query(
        "SELECT * FROM lists WHERE owner = $1 AND change_seq > $2 AND change_seq <= $3 ORDER BY change_seq LIMIT $4",
        [owner, q.after, q.upTo, q.limit],
      );
      return this.changesOf(owner, "list", "", q, rows, listFrom);
    },
    tasks: async (owner: string, listId: string, q: ChangeQuery): Promise<Array<Change<Task>>> => {
      const { rows } = await this.pool.query(
        "SELECT * FROM tasks WHERE list_id = $1 AND owner = $2 AND change_seq > $3 AND change_seq <= $4 ORDER BY change_seq LIMIT $5",
        [listId, owner, q.after, q.upTo, q.limit],
      );
      return this.changesOf(owner, "task", listId, q, rows, taskFrom);
    },
    prune: async (cutoff: Date): Promise<number> =>
      this.tx(async (c) => {
        const at = cutoff.toISOString();
        const { rows } = await c.query("DELETE FROM tombstones WHERE deleted_at < $1 RETURNING owner, seq", [at]);
        const highest = new Map<string, number>();
        for (const r of rows) highest.set(r.owner as string, Math.max(highest.get(r.owner as string) ?? 0, num(r.seq)));
        for (const [owner, seq] of [...highest].sort(([a], [b]) => (a < b ? -1 : 1))) {
          await c.query("UPDATE change_seqs SET floor = GREATEST(floor, $2) WHERE owner = $1", [owner, seq]);
        }
        return rows.length;
      }),
  };

  /** Blob keys of the attachments and sessions whose `column` equals `value`. */
  private async blobsWhere(c: Client, column: "list_id" | "task_id", value: string): Promise<string[]> {
    const { rows } = await c.query(
      `SELECT blob FROM attachments WHERE ${column} = $1 UNION SELECT blob FROM sessions WHERE ${column} = $1`,
      [value],
    );
    return rows.map((r) => r.blob as string);
  }

  /**
   * Deletes bytes in the same transaction as the records naming them, except a blob a download is
   * reading (a live claim in blob_reads): its rows stay until the janitor's orphan sweep finds the
   * claim ended or lapsed.
   */
  private async freeBlobs(c: Client, blobs: string[]): Promise<void> {
    // Forgotten before the commit: if it rolls back, the state is merely lost (the fallback re-reads).
    for (const b of blobs) this.hashes.forget(b);
    if (blobs.length > 0) {
      await c.query(
        "DELETE FROM blob_chunks WHERE blob = ANY($1::uuid[]) AND blob NOT IN (SELECT blob FROM blob_reads WHERE until > now())",
        [blobs],
      );
    }
  }

  /**
   * The download stream, its read claim renewed while it runs and dropped when it ends however it
   * ends (a claim left by a dead instance lapses after READ_CLAIM_TTL_S).
   */
  private claimedStream(reader: string, stream: Readable): Readable {
    const renew = setInterval(() => {
      this.pool.query(`UPDATE blob_reads SET until = now() + make_interval(secs => ${READ_CLAIM_TTL_S}) WHERE reader = $1`, [reader]).catch(() => {});
    }, READ_CLAIM_RENEW_MS);
    renew.unref();
    let done = false;
    const drop = () => {
      if (done) return;
      done = true;
      clearInterval(renew);
      if (!this.closed) this.pool.query("DELETE FROM blob_reads WHERE reader = $1", [reader]).catch(() => {});
    };
    stream.once("close", drop);
    stream.once("end", drop);
    stream.once("error", drop);
    return stream;
  }

  tasks = {
    all: async (owner: string, listId: string): Promise<Task[]> =>
      (await this.pool.query("SELECT * FROM tasks WHERE owner = $1 AND list_id = $2 ORDER BY seq", [owner, listId])).rows.map(taskFrom),
    query: (owner: string, listId: string, q: CollectionQuery): Promise<QueryPage<Task>> =>
      this.queryPage(TASK_TABLE, taskScope(owner, listId), q, taskFrom),
    get: async (owner: string, listId: string, id: string): Promise<Task | undefined> => {
      const r = await this.one("SELECT * FROM tasks WHERE owner = $1 AND list_id = $2 AND id = $3", [owner, listId, id]);
      return r ? taskFrom(r) : undefined;
    },
    create: async (t: Task, children: TaskChild[] = []): Promise<void> => {
      await this.tx(async (c) => {
        // Children first: the task's insert takes the owner's change number, the last lock.
        for (const ch of children) await this.insertChild(c, ch);
        await this.insertTask(c, t);
      });
    },
    update: async (owner: string, listId: string, id: string, change: (t: Task) => TaskChange): Promise<Task | undefined> =>
      this.tx(async (c) => {
        const r = (await c.query("SELECT * FROM tasks WHERE owner = $1 AND list_id = $2 AND id = $3 FOR UPDATE", [owner, listId, id])).rows[0];
        if (!r) return undefined;
        const out = change(taskFrom(r));
        const next = "create" in out ? out.task : out;
        if ("create" in out) await this.insertTask(c, out.create);
        await c.query("UPDATE tasks SET doc = $1, last_modified_at = $2, change_key = $3, change_seq = $4 WHERE id = $5", [
          JSON.stringify(next.doc),
          next.lastModifiedAt,
          next.changeKey,
          await this.nextChange(c, owner),
          id,
        ]);
        return next;
      }),
    delete: async (owner: string, listId: string, id: string, guard: (t: Task) => void): Promise<boolean> =>
      this.tx(async (c) => {
        const r = (await c.query("SELECT * FROM tasks WHERE owner = $1 AND list_id = $2 AND id = $3 FOR UPDATE", [owner, listId, id])).rows[0];
        if (!r) return false;
        guard(taskFrom(r));
        const blobs = await this.blobsWhere(c, "task_id", id);
        await c.query("DELETE FROM sessions WHERE task_id = $1", [id]);
        await c.query("DELETE FROM attachments WHERE task_id = $1", [id]);
        await c.query("DELETE FROM task_children WHERE list_id = $1 AND task_id = $2", [listId, id]);
        await c.query("DELETE FROM tasks WHERE id = $1", [id]);
        await this.freeBlobs(c, blobs);
        await this.tombstone(c, owner, "task", listId, id);
        return true;
      }),
  };

  private async insertTask(c: Client, t: Task): Promise<void> {
    await c.query(
      `INSERT INTO tasks (id, list_id, owner, created_at, last_modified_at, change_key, doc, attachment_count, change_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8)`,
      [t.id, t.listId, t.ownerOid, t.createdAt, t.lastModifiedAt, t.changeKey, JSON.stringify(t.doc), await this.nextChange(c, t.ownerOid)],
    );
  }

  children = {
    all: async (owner: string, p: ChildParent, kind: ChildKind): Promise<TaskChild[]> =>
      (await this.pool.query("SELECT * FROM task_children WHERE list_id = $1 AND task_id = $2 AND kind = $3 AND owner = $4 ORDER BY seq", [p.listId, p.taskId, kind, owner])).rows.map(childFrom),
    ofTasks: async (owner: string, listId: string, kind: ChildKind, taskIds: readonly string[]): Promise<TaskChild[]> =>
      taskIds.length === 0
        ? []
        : (await this.pool.query("SELECT * FROM task_children WHERE list_id = $1 AND kind = $2 AND owner = $3 AND task_id = ANY($4::text[]) ORDER BY seq", [listId, kind, owner, taskIds.filter((t) => t !== "")])).rows.map(childFrom),
    get: async (owner: string, p: ChildParent, kind: ChildKind, id: string): Promise<TaskChild | undefined> => {
      const r = await this.one("SELECT * FROM task_children WHERE list_id = $1 AND task_id = $2 AND kind = $3 AND id = $4 AND owner = $5", [p.listId, p.taskId, kind, id, owner]);
      return r ? childFrom(r) : undefined;
    },
    create: async (ch: TaskChild, max: number): Promise<void> =>
      this.tx(async (c) => {
        // The parent's row lock serialises its children's writes, so the count cannot be overshot.
        if (!(await this.lockParent(c, ch.ownerOid, ch))) throw errors.notFound();
        const { rows } = await c.query("SELECT count(*) AS n FROM task_children WHERE list_id = $1 AND task_id = $2 AND kind = $3", [ch.listId, ch.taskId, ch.kind]);
        if (num(rows[0].n) >= max) throw errors.tooManyChildren(ch.taskId ? "task" : "list", max, ch.kind);
        await this.insertChild(c, ch);
        await this.parentChanged(c, ch.ownerOid, ch);
      }),
    update: async (owner: string, p: ChildParent, kind: ChildKind, id: string, change: (c: TaskChild) => TaskChild): Promise<TaskChild | undefined> =>
      this.tx(async (c) => {
        if (!(await this.lockParent(c, owner, p))) return undefined;
        const r = (await c.query("SELECT * FROM task_children WHERE list_id = $1 AND task_id = $2 AND kind = $3 AND id = $4 AND owner = $5", [p.listId, p.taskId, kind, id, owner])).rows[0];
        if (!r) return undefined;
        const next = change(childFrom(r));
        await c.query("UPDATE task_children SET doc = $1 WHERE seq = $2", [JSON.stringify(next.doc), r.seq]);
        await this.parentChanged(c, owner, p);
        return next;
      }),
    delete: async (owner: string, p: ChildParent, kind: ChildKind, id: string): Promise<boolean> =>
      this.tx(async (c) => {
        if (!(await this.lockParent(c, owner, p))) return false;
        const { rowCount } = await c.query("DELETE FROM task_children WHERE list_id = $1 AND task_id = $2 AND kind = $3 AND id = $4 AND owner = $5", [p.listId, p.taskId, kind, id, owner]);
        if (rowCount) await this.parentChanged(c, owner, p);
        return Boolean(rowCount);
      }),
  };

  /** Locks a child's parent row (a list before a task, in the lock order); false when it is not the owner's. */
  private async lockParent(c: Client, owner: string, p: ChildParent): Promise<boolean> {
    const { rowCount } =
      p.taskId === ""
        ? await c.query("SELECT 1 FROM lists WHERE id = $1 AND owner = $2 FOR UPDATE", [p.listId, owner])
        : await c.query("SELECT 1 FROM tasks WHERE id = $1 AND list_id = $2 AND owner = $3 FOR UPDATE", [p.taskId, p.listId, owner]);
    return Boolean(rowCount);
  }

  /** A child's write is its parent's change for delta; takes the owner's change number (the last lock). */
  private async parentChanged(c: Client, owner: string, p: ChildParent): Promise<void> {
    const seq = await this.nextChange(c, owner);
    if (p.taskId === "") await c.query("UPDATE lists SET change_seq = $1 WHERE id = $2", [seq, p.listId]);
    else await c.query("UPDATE tasks SET change_seq = $1 WHERE id = $2", [seq, p.taskId]);
  }

  /** The id must be new under its parent (an extension's is its name; the unique index decides races). */
  private async insertChild(c: Client, ch: TaskChild): Promise<void> {
    const { rowCount } = await c.query(
      `INSERT INTO task_children (id, kind, owner, list_id, task_id, created_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (list_id, task_id, kind, id) DO NOTHING`,
      [ch.id, ch.kind, ch.ownerOid, ch.listId, ch.taskId, ch.createdAt, JSON.stringify(ch.doc)],
    );
    if (!rowCount) throw errors.childExists(ch.kind, ch.id);
  }

  attachments = {
    all: async (owner: string, taskId: string): Promise<Attachment[]> =>
      (await this.pool.query("SELECT * FROM attachments WHERE owner = $1 AND task_id = $2 ORDER BY seq", [owner, taskId])).rows.map(
        attachmentFrom,
      ),
    get: async (owner: string, taskId: string, id: string): Promise<Attachment | undefined> => {
      const r = await this.one("SELECT * FROM attachments WHERE owner = $1 AND task_id = $2 AND id = $3", [owner, taskId, id]);
      return r ? attachmentFrom(r) : undefined;
    },
    createWithBytes: async (att: Attachment, bytes: Buffer): Promise<void> =>
      this.tx(async (c) => {
        const blob = randomUUID();
        await this.lockTask(c, att);
        await insertChunks(c, blob, bytes);
        await this.insertAttachment(c, att, blob);
      }),
    read: async (att: Attachment, range?: { start: number; end: number }): Promise<Readable> => {
      // A read claim, taken under a share lock of the record: a deletion that comes later waits for
      // the claim to commit and then sees it (and leaves the bytes to the janitor); one that came
      // first left no record to claim. Either way the download never loses bytes part-way.
      const reader = randomUUID();
      const r = await this.tx(async (c) => {
        const row = (await c.query("SELECT blob, size FROM attachments WHERE id = $1 FOR SHARE", [att.id])).rows[0];
        if (row) await c.query(`INSERT INTO blob_reads (reader, blob, until) VALUES ($1, $2, now() + make_interval(secs => ${READ_CLAIM_TTL_S}))`, [reader, row.blob]);
        return row as Row | undefined;
      });
      if (!r) throw errors.notFound();
      return this.claimedStream(reader, readStream(this.pool, r.blob as string, range?.start ?? 0, range?.end ?? num(r.size) - 1));
    },
    delete: async (owner: string, taskId: string, id: string): Promise<boolean> =>
      this.tx(async (c) => {
        await c.query("SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE", [taskId]);
        const r = (await c.query("DELETE FROM attachments WHERE owner = $1 AND task_id = $2 AND id = $3 RETURNING blob", [owner, taskId, id]))
          .rows[0];
        if (!r) return false;
        // A completed session pointing at this attachment must not hand out its Location any more.
        await c.query("DELETE FROM sessions WHERE attachment_id = $1", [id]);
        // hasAttachments may change: the task counts as changed for delta.
        await c.query("UPDATE tasks SET attachment_count = attachment_count - 1, change_seq = $2 WHERE id = $1", [taskId, await this.nextChange(c, owner)]);
        await this.freeBlobs(c, [r.blob as string]);
        return true;
      }),
  };

  /** Locks the attachment's task (first in the lock order) and checks it exists for that owner. */
  private async lockTask(c: Client, att: Attachment): Promise<void> {
    const { rowCount } = await c.query("SELECT 1 FROM tasks WHERE id = $1 AND owner = $2 FOR UPDATE", [att.taskId, att.ownerOid]);
    if (!rowCount) throw errors.notFound();
  }

  /** Inserts the record and bumps the task's count (and with it `hasAttachments`); the task is locked. */
  private async insertAttachment(c: Client, att: Attachment, blob: string): Promise<void> {
    await c.query(
      `INSERT INTO attachments (id, owner, list_id, task_id, name, content_type, size, sha256, blob, created_at, last_modified_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [att.id, att.ownerOid, att.listId, att.taskId, att.name, att.contentType, att.size, att.sha256, blob, att.createdAt, att.lastModifiedAt],
    );
    await c.query("UPDATE tasks SET attachment_count = attachment_count + 1, change_seq = $2 WHERE id = $1", [att.taskId, await this.nextChange(c, att.ownerOid)]);
  }

  sessions = {
    // One call (taskdrop_create_session, migration step 8): the owner's lock is held for the
    // statements and the commit only.
    create: async (s: UploadSession, maxOpen: number, maxStagedBytes = 0): Promise<void> => {
      const { rows } = await this.pool.query(
        "SELECT * FROM taskdrop_create_session($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        [s.id, s.ownerOid, s.listId, s.taskId, s.name, s.contentType, s.size, randomUUID(), s.createdAt, s.expiresAt, maxOpen, maxStagedBytes],
      );
      const seen = rows[0]!;
      if (seen.inserted) return;
      if (num(seen.open_count) >= maxOpen) throw errors.tooManySessions(maxOpen);
      throw stagedQuota(maxStagedBytes, num(seen.staged));
    },
    bytesHeld: async (now: string): Promise<number> => {
      const { rows } = await this.pool.query(
        "SELECT (SELECT coalesce(sum(size), 0) FROM attachments) + (SELECT coalesce(sum(size), 0) FROM sessions WHERE status = 'open' AND expires_at > $1) AS n",
        [now],
      );
      return num(rows[0].n);
    },
    get: async (id: string): Promise<UploadSession | undefined> => {
      const r = await this.one("SELECT * FROM sessions WHERE id = $1", [id]);
      return r ? sessionFrom(r) : undefined;
    },
    forTask: async (owner: string, taskId: string): Promise<UploadSession[]> =>
      (await this.pool.query("SELECT * FROM sessions WHERE owner = $1 AND task_id = $2 ORDER BY seq", [owner, taskId])).rows.map(sessionFrom),
    delete: async (id: string): Promise<boolean> =>
      this.tx(async (c) => {
        // FOR UPDATE waits for a range committing right now, then sees whether it completed the session.
        const r = (await c.query("SELECT blob, status FROM sessions WHERE id = $1 FOR UPDATE", [id])).rows[0];
        if (!r) return false;
        await c.query("DELETE FROM sessions WHERE id = $1", [id]);
        if (r.status === "open") await this.freeBlobs(c, [r.blob as string]);
        return true;
      }),
    lease: async (id: string): Promise<SessionLease | null> => this.lease(id),
    readCommitted: async (id: string, start: number, end: number): Promise<AsyncIterable<Buffer>> => {
      const r = (await this.pool.query("SELECT blob, committed FROM sessions WHERE id = $1", [id])).rows[0];
      if (!r) throw errors.notFound();
      if (end > num(r.committed) - 1) throw new RangeError(`bytes ${start}-${end} are not committed`);
      return end < start ? Readable.from([]) : readStream(this.pool, r.blob as string, start, end);
    },
    sweepExpired: async (cutoff: Date): Promise<number> => {
      const { rows } = await this.pool.query("SELECT id FROM sessions WHERE expires_at < $1", [cutoff.toISOString()]);
      let n = 0;
      for (const { id } of rows) {
        n += await this.tx(async (c) => {
          // A session someone is writing right now is left for the next sweep (its write then fails).
          const r = (
            await c.query("SELECT blob, status FROM sessions WHERE id = $1 AND expires_at < $2 AND (lease_until IS NULL OR lease_until < now()) FOR UPDATE", [
              id,
              cutoff.toISOString(),
            ])
          ).rows[0];
          if (!r) return 0;
          await c.query("DELETE FROM sessions WHERE id = $1", [id]);
          if (r.status === "open") await this.freeBlobs(c, [r.blob as string]);
          return 1;
        });
      }
      // Rows staged for a session deleted while its range streamed in (nothing else names a blob
      // that no session or attachment has: a blob's rows are only written under a live session).
      // Also the rows of a deleted attachment a download was still reading, once its claim is gone.
      await this.pool.query("DELETE FROM blob_reads WHERE until < now()");
      await this.pool.query(
        `DELETE FROM blob_chunks b WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.blob = b.blob)
           AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.blob = b.blob)
           AND NOT EXISTS (SELECT 1 FROM blob_reads r WHERE r.blob = b.blob)`,
      );
      return n;
    },
  };

  /**
   * Claims the session for one PUT: a short UPDATE, then a renewal every LEASE_RENEW_MS until the
   * range commits or the PUT ends. Taking the claim also removes rows an earlier holder staged
   * past the committed offset and never committed (the holder owns everything past it).
   */
  private async lease(id: string): Promise<SessionLease | null> {
    if (this.closed) throw errors.unavailable();
    if (this.leased.has(id)) return null;
    this.leased.add(id);
    const token = randomUUID();
    let claimed: Row | undefined;
    try {
      claimed = (
        await this.uploadQuery(
          `UPDATE sessions SET lease_token = $2, lease_until = now() + make_interval(secs => $3)
           WHERE id = $1 AND (lease_until IS NULL OR lease_until < now()) RETURNING blob, committed, status`,
          [id, token, LEASE_TTL_MS / 1000],
        )
      ).rows[0];
      if (claimed && claimed.status === "open") {
        await this.uploadQuery("DELETE FROM blob_chunks WHERE blob = $1 AND off >= $2", [claimed.blob, claimed.committed]);
      }
    } catch (e) {
      this.leased.delete(id);
      if (claimed) await this.unclaim(id, token);
      throw e;
    }
    if (!claimed) {
      this.leased.delete(id);
      // Held elsewhere, or gone (the service tells the two apart when it reads the session).
      const exists = (await this.pool.query("SELECT 1 FROM sessions WHERE id = $1", [id])).rowCount;
      return exists ? null : { writeRange: async () => Promise.reject(errors.notFound()), release: async () => {} };
    }
    let released = false;
    let committed = false;
    // Renewed while the body streams; a failed renewal only means the commit will find the claim
    // lost (or taken) and refuse.
    const renew = setInterval(() => {
      void this.uploadQuery("UPDATE sessions SET lease_until = now() + make_interval(secs => $3) WHERE id = $1 AND lease_token = $2", [
        id,
        token,
        LEASE_TTL_MS / 1000,
      ]).catch(() => {});
    }, LEASE_RENEW_MS);
    renew.unref();
    return {
      writeRange: async (args) => {
        if (released) throw new Error("writeRange after release");
        const out = await this.writeRange(id, token, args);
        committed = true; // the commit cleared the claim with the new offset
        return out;
      },
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(renew);
        this.leased.delete(id);
        if (!committed) await this.unclaim(id, token);
      },
    };
  }

  /** Gives up a claim (best effort: a claim not given up lapses by itself). */
  private async unclaim(id: string, token: string): Promise<void> {
    await this.uploadQuery("UPDATE sessions SET lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2", [id, token]).catch(() => {});
  }

  /** A connection of the upload pool; none within UPLOAD_WAIT_MS is a 503. */
  private async uploadConnection(): Promise<Client> {
    try {
      return await this.uploadPool.connect();
    } catch {
      throw errors.unavailable("No database connection for the upload is available right now; retry shortly.");
    }
  }

  /** One statement on the upload pool. */
  private async uploadQuery(sql: string, values: unknown[]): Promise<pg.QueryResult> {
    const c = await this.uploadConnection();
    let broken = false;
    try {
      return await c.query(sql, values);
    } catch (e) {
      broken = (e as { code?: string }).code === undefined; // a driver or socket error, not PostgreSQL's answer
      throw e;
    } finally {
      c.release(broken);
    }
  }

  private async writeRange(id: string, token: string, args: WriteRangeArgs): Promise<UploadSession> {
    const before = (await this.pool.query("SELECT * FROM sessions WHERE id = $1", [id])).rows[0];
    if (!before || before.status !== "open") throw errors.notFound();
    if (num(before.committed) !== args.offset) throw errors.invalidRange(`The next expected offset is ${num(before.committed)}.`);
    const blob = before.blob as string;
    const hash = this.hashes.continueAt(blob, args.offset);
    try {
      await writeChunks((off, data) => this.uploadQuery(STAGE_CHUNK, [blob, off, data, id, token]), args.offset, rangeBytes(args.body, args.length, hash));
      // Without a state: hash the rows (the staged ones are visible: each INSERT committed).
      const objectSha256 = args.final ? await this.hashes.digest(hash, () => sha256Of(this.pool, blob, args.offset + args.length)) : null;
      const after = await this.commitRange(id, token, args, objectSha256);
      const done = sessionFrom(after);
      this.hashes.committed(blob, done, hash);
      return done;
    } catch (e) {
      // Nothing committed: the staged rows go now rather than with the next holder or the session,
      // unless the claim is no longer ours: past the committed offset, rows are the new holder's.
      await this.uploadQuery(UNSTAGE_OWN, [blob, args.offset, id, token]).catch(() => {});
      throw e;
    }
  }

  /**
   * The range's one transaction, run server-side (taskdrop_commit_range, migration step 8): the
   * claim still ours, the offset unchanged, then the new state, in one round trip, so the locks a
   * completion takes are not held while the client answers. The plan is asked first: it is pure,
   * and a plan that throws (a Content-Digest mismatch) commits nothing.
   */
  private async commitRange(id: string, token: string, args: WriteRangeArgs, objectSha256: string | null): Promise<Row> {
    const plan = args.plan(objectSha256);
    const att = plan.attachment;
    try {
      const { rows } = await this.uploadQuery(
        "SELECT * FROM taskdrop_commit_range($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        [
          id,
          token,
          att?.taskId ?? null,
          args.offset,
          args.offset + args.length,
          plan.lastRange.start,
          plan.lastRange.end,
          att?.id ?? null,
          att?.ownerOid ?? null,
          att?.listId ?? null,
          att?.name ?? null,
          att?.contentType ?? null,
          att?.size ?? null,
          att?.sha256 ?? null,
          att?.createdAt ?? null,
          att?.lastModifiedAt ?? null,
        ],
      );
      return rows[0]!;
    } catch (e) {
      const code = (e as { code?: string }).code;
      // Deleted (cancel, task or list deletion) or swept while the bytes streamed in.
      if (code === "P0002") throw errors.notFound();
      // The claim lapsed (this process stalled past LEASE_TTL_MS) and perhaps another PUT took it;
      // or a deadlock or serialization failure, which changed nothing either.
      if (!isGraphError(e) && retryable(e)) throw errors.conflict();
      throw e;
    }
  }
}

/**
 * Rows → records a slice at a time, with a turn of the event loop between slices: 999 rows of a
 * few KB each cost several milliseconds to convert (their documents are parsed), time every other
 * request would otherwise wait in one go (bench `queries`).
 */
async function mapInSlices<T>(rows: Row[], from: (r: Row) => T, slice = 100): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (i > 0 && i % slice === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    out.push(from(rows[i]!));
  }
  return out;
}
