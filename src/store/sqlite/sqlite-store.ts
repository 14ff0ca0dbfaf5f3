// The embedded store: SQLite (WAL, synchronous=FULL) for records, files for bytes. One server
// process owns a data directory (a lock file says which), so per-session leases are in-process.
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { errors } from "../../domain/errors.js";
import type { Attachment, ChildKind, ChildParent, Task, TaskChild, TaskList, UploadSession, User } from "../../domain/models.js";
import type { Change } from "../../domain/delta.js";
import type { ChangeQuery, SessionLease, Store, TaskChange, WriteRangeArgs } from "../types.js";
import { BlobFiles } from "./blob-files.js";
import { acquireDirLock, type DirLock } from "./dir-lock.js";
import { PRIVATE_DIR, privateFile } from "./private-files.js";
import { MIGRATIONS } from "./migrations.js";
import { attachmentFrom, childFrom, listFrom, sessionFrom, taskFrom, userFrom, type Row } from "../rows.js";
import { RunningHashes } from "../shared/running-hash.js";
import { mergeChanges } from "../shared/changes.js";
import { compileQuery, keepingLastKey, LIST_TABLE, listScope, TASK_TABLE, taskScope, type QueryTable, type Scope } from "../shared/query-sql.js";
import { QueryReaders, SLICE } from "./query-readers.js";
import type { CollectionQuery, QueryPage } from "../../domain/query.js";
import { refuseNewerSchema } from "../shared/schema.js";
import { stagedQuota } from "../shared/quota.js";

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  private readonly db: Database.Database;
  private readonly blobs: BlobFiles;
  private readonly leased = new Set<string>();
  private closed = false;
  /** Prepared once per SQL text: preparing costs more than running these small statements. */
  private readonly statements = new Map<string, Database.Statement>();
  /** Durable commits waiting for the next group commit (see `durably`). */
  private queued: Array<{ fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];
  /** Running hashes of open sessions; lost on restart, when the final range hashes the file. */
  private readonly hashes = new RunningHashes();
  /** Connections for large query pages (query-readers.ts). */
  private readonly readers: QueryReaders;

  private constructor(
    dataDir: string,
    private readonly lock: DirLock,
  ) {
    const file = join(dataDir, "taskdrop.db");
    privateFile(file);
    for (const companion of [`${file}-wal`, `${file}-shm`]) privateFile(companion, false);
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    // FULL: a commit is on disk before it returns, so an acknowledged range survives power loss too.
    this.db.pragma("synchronous = FULL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    this.blobs = new BlobFiles(dataDir);
    this.readers = new QueryReaders(file);
  }

  /** Opens (creating if needed) the data directory and recovers from any crash. */
  static async open(dataDir: string): Promise<SqliteStore> {
    mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR });
    const lock = acquireDirLock(dataDir);
    let store: SqliteStore | undefined;
    try {
      store = new SqliteStore(dataDir, lock);
      store.migrate();
      await store.recover();
      return store;
    } catch (e) {
      if (store) await store.close(); // closes the database and releases the lock
      else lock.release();
      throw e;
    }
  }

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /**
   * Runs `fn` in a transaction that is on disk (synchronous=FULL) when the promise resolves.
   * Group commit: every `fn` queued during one turn of the event loop runs in its own savepoint
   * of one transaction, so concurrent uploads share one WAL fsync instead of blocking the loop
   * for one each. A `fn` that throws rolls back its own savepoint only and rejects its caller;
   * a failed COMMIT rejects them all (nothing of theirs was committed).
   */
  private durably<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.queued.length === 0) setImmediate(() => this.commitQueued());
      this.queued.push({ fn, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private commitQueued(): void {
    const jobs = this.queued;
    this.queued = [];
    if (jobs.length === 0) return;
    if (this.closed) {
      for (const j of jobs) j.reject(new Error("store closed"));
      return;
    }
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.db.transaction(() => {
        for (const j of jobs) {
          try {
            outcomes.push({ ok: true, value: this.db.transaction(j.fn)() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      })();
    } catch (e) {
      for (const j of jobs) j.reject(e);
      return;
    }
    jobs.forEach((j, i) => {
      const o = outcomes[i]!;
      if (o.ok) j.resolve(o.value);
      else j.reject(o.error);
    });
  }

  private migrate(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    refuseNewerSchema(version, MIGRATIONS.length, "data directory's database");
    for (let i = version; i < MIGRATIONS.length; i++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[i]!);
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  /** Bytes past an open session's committed offset were never acknowledged: drop them. */
  private async recover(): Promise<void> {
    const rows = this.stmt("SELECT blob, committed FROM sessions WHERE status = 'open'").all() as Row[];
    for (const r of rows) {
      const size = await this.blobs.size(r.blob as string);
      if (size !== undefined && size > (r.committed as number)) await this.blobs.truncateTo(r.blob as string, r.committed as number);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commitQueued(); // commits already queued still land
    this.closed = true;
    this.readers.close();
    this.db.close();
    this.lock.release();
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error("store closed");
    this.stmt("SELECT 1").get();
  }

  async reset(): Promise<void> {
    // Every table but the settings, found in the schema so that tables added later are emptied too.
    // change_seqs stays: its numbers go on past the reset and its floor moves above every token
    // issued before, so an old delta token gets 410 instead of missing what the reset removed.
    const tables = (
      this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('settings', 'change_seqs')").all() as Row[]
    ).map((r) => r.name as string);
    await this.durably(() => {
      // Checked at commit, when every referencing row is gone too: the order of deletes is free.
      this.db.pragma("defer_foreign_keys = ON");
      for (const t of tables) this.db.prepare(`DELETE FROM "${t}"`).run();
      this.db.prepare("UPDATE change_seqs SET seq = seq + 1, floor = seq + 1").run();
    });
    this.hashes.clear();
    await this.blobs.removeAll();
  }

  settings = {
    getOrCreate: async (key: string, make: () => string): Promise<string> => {
      const existing = this.stmt("SELECT value FROM settings WHERE key = ?").get(key) as Row | undefined;
      if (existing) return existing.value as string;
      this.stmt("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)").run(key, make());
      return (this.stmt("SELECT value FROM settings WHERE key = ?").get(key) as Row).value as string;
    },
  };

  users = {
    ensure: async (oid: string, upn: string): Promise<User> => {
      const found = this.stmt("SELECT * FROM users WHERE oid = ?").get(oid) as Row | undefined;
      if (found && found.upn === upn) return userFrom(found);
      // A new or changed alias: this oid is now its most recent holder (see migration 3).
      const now = new Date().toISOString();
      this
        .stmt(
          `INSERT INTO users (oid, upn, upn_lower, created_at, upn_since) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (oid) DO UPDATE SET upn = excluded.upn, upn_lower = excluded.upn_lower, upn_since = excluded.upn_since`,
        )
        .run(oid, upn, upn.toLowerCase(), now, now);
      return userFrom(this.stmt("SELECT * FROM users WHERE oid = ?").get(oid) as Row);
    },
    find: async (idOrUpn: string): Promise<User | undefined> => {
      const r = (this.stmt("SELECT * FROM users WHERE oid = ?").get(idOrUpn) ??
        this.stmt("SELECT * FROM users WHERE upn_lower = ? ORDER BY upn_since DESC, oid LIMIT 1").get(idOrUpn.toLowerCase())) as Row | undefined;
      return r ? userFrom(r) : undefined;
    },
  };

  /**
   * One page of a query. Statements are prepared per call, not cached: a filter's shape is the
   * client's to choose, and a cache keyed by it would grow without bound. A page of up to SLICE
   * rows is read at once on the main connection; a larger one by the readers, a slice at a time.
   */
  private async queryPage<T>(t: QueryTable, scope: Scope, q: CollectionQuery, from: (r: Row) => T): Promise<QueryPage<T>> {
    const c = compileQuery(q, t, "sqlite", scope);
    const k = keepingLastKey(q, from);
    if (q.top + 1 > SLICE) {
      const { rows, n } = await this.readers.read(c.page, c.count, k.from);
      return { items: rows.slice(0, q.top), more: rows.length > q.top, count: n, last: k.last(rows.length > q.top) };
    }
    const rows = c.page ? (this.db.prepare(c.page.sql).all(...c.page.params) as Row[]) : [];
    const n = c.count ? Number((this.db.prepare(c.count.sql).get(...c.count.params) as { n: number }).n) : undefined;
    return { items: rows.slice(0, q.top).map(k.from), more: rows.length > q.top, count: n, last: k.last(rows.length > q.top) };
  }

  lists = {
    all: async (owner: string): Promise<TaskList[]> =>
      (this.stmt("SELECT * FROM lists WHERE owner = ? ORDER BY seq").all(owner) as Row[]).map(listFrom),
    query: async (owner: string, q: CollectionQuery): Promise<QueryPage<TaskList>> => this.queryPage(LIST_TABLE, listScope(owner), q, listFrom),
    get: async (owner: string, id: string): Promise<TaskList | undefined> => {
      const r = this.stmt("SELECT * FROM lists WHERE owner = ? AND id = ?").get(owner, id) as Row | undefined;
      return r ? listFrom(r) : undefined;
    },
    ensureDefault: async (owner: string, make: () => TaskList): Promise<void> => {
      this.db.transaction(() => {
        const has = this.stmt("SELECT 1 FROM lists WHERE owner = ? AND wellknown = 'defaultList'").get(owner);
        if (!has) this.insertList(make());
      })();
    },
    create: async (list: TaskList): Promise<void> => {
      this.insertList(list);
    },
    update: async (owner: string, id: string, change: (l: TaskList) => TaskList): Promise<TaskList | undefined> =>
      this.db.transaction(() => {
        const r = this.stmt("SELECT * FROM lists WHERE owner = ? AND id = ?").get(owner, id) as Row | undefined;
        if (!r) return undefined;
        const next = change(listFrom(r));
        this
          .stmt("UPDATE lists SET display_name = ?, change_key = ?, change_seq = ? WHERE id = ?")
          .run(next.displayName, next.changeKey, this.nextChange(owner), id);
        return next;
      })(),
    delete: async (owner: string, id: string, guard: (l: TaskList) => void): Promise<boolean> => {
      const blobs = this.db.transaction(() => {
        const r = this.stmt("SELECT * FROM lists WHERE owner = ? AND id = ?").get(owner, id) as Row | undefined;
        if (!r) return undefined;
        guard(listFrom(r));
        const freed = this.blobsWhere("list_id = ?", id);
        this.stmt("DELETE FROM sessions WHERE list_id = ?").run(id);
        this.stmt("DELETE FROM attachments WHERE list_id = ?").run(id);
        this.stmt("DELETE FROM task_children WHERE list_id = ?").run(id);
        this.stmt("DELETE FROM tasks WHERE list_id = ?").run(id);
        this.stmt("DELETE FROM lists WHERE id = ?").run(id);
        // The list's task stream ends with it (its delta answers 404 now): its tombstones go too.
        this.stmt("DELETE FROM tombstones WHERE owner = ? AND kind = 'task' AND list_id = ?").run(owner, id);
        this.tombstone(owner, "list", "", id);
        return freed;
      })();
      if (blobs === undefined) return false;
      await this.freeBlobs(blobs);
      return true;
    },
  };

  private insertList(l: TaskList): void {
    this.db.transaction(() => {
      this
        .stmt(
          `INSERT INTO lists (id, owner, display_name, wellknown, is_owner, is_shared, created_at, change_key, change_seq)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(l.id, l.ownerOid, l.displayName, l.wellknownListName, l.isOwner ? 1 : 0, l.isShared ? 1 : 0, l.createdAt, l.changeKey, this.nextChange(l.ownerOid));
    })();
  }

  /** The owner's next change number; call inside the transaction of the change it numbers. */
  private nextChange(owner: string): number {
    const r = this.stmt("INSERT INTO change_seqs (owner, seq) VALUES (?, 1) ON CONFLICT (owner) DO UPDATE SET seq = seq + 1 RETURNING seq").get(owner) as Row;
    return r.seq as number;
  }

  /** Records a deletion in a stream (`listId` is "" for the owner's lists). */
  private tombstone(owner: string, kind: "list" | "task", listId: string, itemId: string): void {
    this
      .stmt("INSERT INTO tombstones (seq, owner, kind, list_id, item_id, deleted_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(this.nextChange(owner), owner, kind, listId, itemId, new Date().toISOString());
  }

  /** Live rows and tombstones of one stream in (after, upTo], merged in number order. */
  private changesOf<T>(owner: string, kind: "list" | "task", listId: string, q: ChangeQuery, live: Row[], from: (r: Row) => T): Array<Change<T>> {
    const gone = this
      .stmt("SELECT seq, item_id FROM tombstones WHERE owner = ? AND kind = ? AND list_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?")
      .all(owner, kind, listId, Math.max(q.after, q.removedAfter), q.upTo, q.limit) as Row[];
    return mergeChanges(live, gone, from, q.limit);
  }

  changes = {
    position: async (owner: string): Promise<{ seq: number; floor: number }> => {
      const r = this.stmt("SELECT seq, floor FROM change_seqs WHERE owner = ?").get(owner) as Row | undefined;
      return { seq: (r?.seq as number | undefined) ?? 0, floor: (r?.floor as number | undefined) ?? 0 };
    },
    lists: async (owner: string, q: ChangeQuery): Promise<Array<Change<TaskList>>> => {
      const live = this
        .stmt("SELECT * FROM lists WHERE owner = ? AND change_seq > ? AND change_seq <= ? ORDER BY change_seq LIMIT ?")
        .all(owner, q.after, q.upTo, q.limit) as Row[];
      return this.changesOf(owner, "list", "", q, live, listFrom);
    },
    tasks: async (owner: string, listId: string, q: ChangeQuery): Promise<Array<Change<Task>>> => {
      const live = this
        .stmt("SELECT * FROM tasks WHERE list_id = ? AND owner = ? AND change_seq > ? AND change_seq <= ? ORDER BY change_seq LIMIT ?")
        .all(listId, owner, q.after, q.upTo, q.limit) as Row[];
      return this.changesOf(owner, "task", listId, q, live, taskFrom);
    },
    prune: async (cutoff: Date): Promise<number> =>
      this.db.transaction(() => {
        const at = cutoff.toISOString();
        this
          .stmt(
            `UPDATE change_seqs SET floor = max(floor, (SELECT max(seq) FROM tombstones t WHERE t.owner = change_seqs.owner AND t.deleted_at < ?))
             WHERE owner IN (SELECT owner FROM tombstones WHERE deleted_at < ?)`,
          )
          .run(at, at);
        return this.stmt("DELETE FROM tombstones WHERE deleted_at < ?").run(at).changes;
      })(),
  };

  /** Blob keys of the attachments and sessions matching a condition on both tables. */
  private blobsWhere(condition: string, value: string): string[] {
    const rows = this
      .stmt(`SELECT blob FROM attachments WHERE ${condition} UNION SELECT blob FROM sessions WHERE ${condition}`)
      .all(value, value) as Row[];
    return rows.map((r) => r.blob as string);
  }

  private async freeBlobs(keys: string[]): Promise<void> {
    for (const k of keys) await this.removeBlob(k);
  }

  private async removeBlob(key: string): Promise<void> {
    this.hashes.forget(key);
    await this.blobs.remove(key);
  }

  tasks = {
    all: async (owner: string, listId: string): Promise<Task[]> =>
      (this.stmt("SELECT * FROM tasks WHERE owner = ? AND list_id = ? ORDER BY seq").all(owner, listId) as Row[]).map(taskFrom),
    query: async (owner: string, listId: string, q: CollectionQuery): Promise<QueryPage<Task>> =>
      this.queryPage(TASK_TABLE, taskScope(owner, listId), q, taskFrom),
    get: async (owner: string, listId: string, id: string): Promise<Task | undefined> => {
      const r = this.stmt("SELECT * FROM tasks WHERE owner = ? AND list_id = ? AND id = ?").get(owner, listId, id) as Row | undefined;
      return r ? taskFrom(r) : undefined;
    },
    create: async (t: Task, children: TaskChild[] = []): Promise<void> => {
      this.db.transaction(() => {
        this.insertTask(t);
        for (const c of children) this.insertChild(c);
      })();
    },
    update: async (owner: string, listId: string, id: string, change: (t: Task) => TaskChange): Promise<Task | undefined> =>
      this.db.transaction(() => {
        const r = this.stmt("SELECT * FROM tasks WHERE owner = ? AND list_id = ? AND id = ?").get(owner, listId, id) as Row | undefined;
        if (!r) return undefined;
        const out = change(taskFrom(r));
        const next = "create" in out ? out.task : out;
        if ("create" in out) this.insertTask(out.create);
        this
          .stmt("UPDATE tasks SET doc = ?, last_modified_at = ?, change_key = ?, change_seq = ? WHERE id = ?")
          .run(JSON.stringify(next.doc), next.lastModifiedAt, next.changeKey, this.nextChange(owner), id);
        return next;
      })(),
    delete: async (owner: string, listId: string, id: string, guard: (t: Task) => void): Promise<boolean> => {
      const blobs = this.db.transaction(() => {
        const r = this.stmt("SELECT * FROM tasks WHERE owner = ? AND list_id = ? AND id = ?").get(owner, listId, id) as Row | undefined;
        if (!r) return undefined;
        guard(taskFrom(r));
        const freed = this.blobsWhere("task_id = ?", id);
        this.stmt("DELETE FROM sessions WHERE task_id = ?").run(id);
        this.stmt("DELETE FROM attachments WHERE task_id = ?").run(id);
        this.stmt("DELETE FROM task_children WHERE list_id = ? AND task_id = ?").run(listId, id);
        this.stmt("DELETE FROM tasks WHERE id = ?").run(id);
        this.tombstone(owner, "task", listId, id);
        return freed;
      })();
      if (blobs === undefined) return false;
      await this.freeBlobs(blobs);
      return true;
    },
  };

  private insertTask(t: Task): void {
    this
      .stmt(
        `INSERT INTO tasks (id, list_id, owner, created_at, last_modified_at, change_key, doc, attachment_count, change_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)`,
      )
      .run(t.id, t.listId, t.ownerOid, t.createdAt, t.lastModifiedAt, t.changeKey, JSON.stringify(t.doc), this.nextChange(t.ownerOid));
  }

  children = {
    all: async (owner: string, p: ChildParent, kind: ChildKind): Promise<TaskChild[]> =>
      (this.stmt("SELECT * FROM task_children WHERE list_id = ? AND task_id = ? AND kind = ? AND owner = ? ORDER BY seq").all(p.listId, p.taskId, kind, owner) as Row[]).map(childFrom),
    ofTasks: async (owner: string, listId: string, kind: ChildKind, taskIds: readonly string[]): Promise<TaskChild[]> =>
      taskIds.length === 0
        ? []
        : (this.stmt("SELECT * FROM task_children WHERE list_id = ? AND kind = ? AND owner = ? AND task_id IN (SELECT value FROM json_each(?)) ORDER BY seq").all(listId, kind, owner, JSON.stringify(taskIds.filter((t) => t !== ""))) as Row[]).map(childFrom),
    get: async (owner: string, p: ChildParent, kind: ChildKind, id: string): Promise<TaskChild | undefined> => {
      const r = this.stmt("SELECT * FROM task_children WHERE list_id = ? AND task_id = ? AND kind = ? AND id = ? AND owner = ?").get(p.listId, p.taskId, kind, id, owner) as Row | undefined;
      return r ? childFrom(r) : undefined;
    },
    create: async (c: TaskChild, max: number): Promise<void> => {
      this.db.transaction(() => {
        if (!this.parentExists(c.ownerOid, c)) throw errors.notFound();
        const { n } = this.stmt("SELECT count(*) AS n FROM task_children WHERE list_id = ? AND task_id = ? AND kind = ?").get(c.listId, c.taskId, c.kind) as { n: number };
        if (n >= max) throw errors.tooManyChildren(c.taskId ? "task" : "list", max, c.kind);
        this.insertChild(c);
        this.parentChanged(c.ownerOid, c);
      })();
    },
    update: async (owner: string, p: ChildParent, kind: ChildKind, id: string, change: (c: TaskChild) => TaskChild): Promise<TaskChild | undefined> =>
      this.db.transaction(() => {
        const r = this.stmt("SELECT * FROM task_children WHERE list_id = ? AND task_id = ? AND kind = ? AND id = ? AND owner = ?").get(p.listId, p.taskId, kind, id, owner) as Row | undefined;
        if (!r) return undefined;
        const next = change(childFrom(r));
        this.stmt("UPDATE task_children SET doc = ? WHERE seq = ?").run(JSON.stringify(next.doc), r.seq);
        this.parentChanged(owner, p);
        return next;
      })(),
    delete: async (owner: string, p: ChildParent, kind: ChildKind, id: string): Promise<boolean> =>
      this.db.transaction(() => {
        const n = this.stmt("DELETE FROM task_children WHERE list_id = ? AND task_id = ? AND kind = ? AND id = ? AND owner = ?").run(p.listId, p.taskId, kind, id, owner).changes;
        if (n > 0) this.parentChanged(owner, p);
        return n > 0;
      })(),
  };

  private parentExists(owner: string, p: ChildParent): boolean {
    return p.taskId === ""
      ? this.stmt("SELECT 1 FROM lists WHERE id = ? AND owner = ?").get(p.listId, owner) !== undefined
      : this.stmt("SELECT 1 FROM tasks WHERE id = ? AND list_id = ? AND owner = ?").get(p.taskId, p.listId, owner) !== undefined;
  }

  /** A child's write is its parent's change for delta (the task's, or the list's for its extensions). */
  private parentChanged(owner: string, p: ChildParent): void {
    if (p.taskId === "") this.stmt("UPDATE lists SET change_seq = ? WHERE id = ?").run(this.nextChange(owner), p.listId);
    else this.stmt("UPDATE tasks SET change_seq = ? WHERE id = ?").run(this.nextChange(owner), p.taskId);
  }

  /** The id must be new under its parent (an extension's is its name). */
  private insertChild(c: TaskChild): void {
    const taken = this.stmt("SELECT 1 FROM task_children WHERE list_id = ? AND task_id = ? AND kind = ? AND id = ?").get(c.listId, c.taskId, c.kind, c.id);
    if (taken) throw errors.childExists(c.kind, c.id);
    this
      .stmt("INSERT INTO task_children (id, kind, owner, list_id, task_id, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(c.id, c.kind, c.ownerOid, c.listId, c.taskId, c.createdAt, JSON.stringify(c.doc));
  }

  attachments = {
    all: async (owner: string, taskId: string): Promise<Attachment[]> =>
      (this.stmt("SELECT * FROM attachments WHERE owner = ? AND task_id = ? ORDER BY seq").all(owner, taskId) as Row[]).map(
        attachmentFrom,
      ),
    get: async (owner: string, taskId: string, id: string): Promise<Attachment | undefined> => {
      const r = this.stmt("SELECT * FROM attachments WHERE owner = ? AND task_id = ? AND id = ?").get(owner, taskId, id) as
        | Row
        | undefined;
      return r ? attachmentFrom(r) : undefined;
    },
    createWithBytes: async (att: Attachment, bytes: Buffer): Promise<void> => {
      const key = this.blobs.newKey();
      await this.blobs.create(key, bytes);
      try {
        this.db.transaction(() => {
          this.insertAttachment(att, key);
        })();
      } catch (e) {
        await this.blobs.remove(key);
        throw e;
      }
    },
    read: async (att: Attachment, range?: { start: number; end: number }): Promise<Readable> => {
      const r = this.stmt("SELECT blob FROM attachments WHERE id = ?").get(att.id) as Row | undefined;
      if (!r) throw errors.notFound();
      const stream = await this.blobs.openRead(r.blob as string, range);
      if (!stream) throw errors.notFound(); // deleted between the record's read and the file's open
      return stream;
    },
    delete: async (owner: string, taskId: string, id: string): Promise<boolean> => {
      const blob = this.db.transaction(() => {
        const r = this.stmt("SELECT blob FROM attachments WHERE owner = ? AND task_id = ? AND id = ?").get(owner, taskId, id) as
          | Row
          | undefined;
        if (!r) return undefined;
        this.stmt("DELETE FROM attachments WHERE id = ?").run(id);
        // A completed session pointing at this attachment must not hand out its Location any more.
        this.stmt("DELETE FROM sessions WHERE attachment_id = ?").run(id);
        // hasAttachments may change: the task counts as changed for delta.
        this.stmt("UPDATE tasks SET attachment_count = attachment_count - 1, change_seq = ? WHERE id = ?").run(this.nextChange(owner), taskId);
        return r.blob as string;
      })();
      if (blob === undefined) return false;
      await this.blobs.remove(blob);
      return true;
    },
  };

  /** Inserts the attachment record; the task's count follows (and with it `hasAttachments`). */
  private insertAttachment(att: Attachment, blob: string): void {
    const task = this.stmt("SELECT 1 FROM tasks WHERE id = ? AND owner = ?").get(att.taskId, att.ownerOid);
    if (!task) throw errors.notFound();
    this
      .stmt(
        `INSERT INTO attachments (id, owner, list_id, task_id, name, content_type, size, sha256, blob, created_at, last_modified_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(att.id, att.ownerOid, att.listId, att.taskId, att.name, att.contentType, att.size, att.sha256, blob, att.createdAt, att.lastModifiedAt);
    this.stmt("UPDATE tasks SET attachment_count = attachment_count + 1, change_seq = ? WHERE id = ?").run(this.nextChange(att.ownerOid), att.taskId);
  }

  sessions = {
    create: async (s: UploadSession, maxOpen: number, maxStagedBytes = 0): Promise<void> => {
      await this.durably(() => {
        // Only live sessions count: an expired one can no longer be used, whether swept yet or not.
        const { n, staged } = this.stmt(
          "SELECT count(*) AS n, coalesce(sum(size), 0) AS staged FROM sessions WHERE owner = ? AND status = 'open' AND expires_at > ?",
        ).get(s.ownerOid, s.createdAt) as { n: number; staged: number };
        if (n >= maxOpen) throw errors.tooManySessions(maxOpen);
        if (maxStagedBytes > 0 && staged + s.size > maxStagedBytes) throw stagedQuota(maxStagedBytes, staged);
        this
          .stmt(
            `INSERT INTO sessions (id, owner, list_id, task_id, name, content_type, size, committed, status, blob, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'open', ?, ?, ?)`,
          )
          .run(s.id, s.ownerOid, s.listId, s.taskId, s.name, s.contentType, s.size, this.blobs.newKey(), s.createdAt, s.expiresAt);
      });
    },
    bytesHeld: async (now: string): Promise<number> => {
      const { n } = this.stmt(
        "SELECT (SELECT coalesce(sum(size), 0) FROM attachments) + (SELECT coalesce(sum(size), 0) FROM sessions WHERE status = 'open' AND expires_at > ?) AS n",
      ).get(now) as { n: number };
      return n;
    },
    get: async (id: string): Promise<UploadSession | undefined> => {
      const r = this.stmt("SELECT * FROM sessions WHERE id = ?").get(id) as Row | undefined;
      return r ? sessionFrom(r) : undefined;
    },
    forTask: async (owner: string, taskId: string): Promise<UploadSession[]> =>
      (this.stmt("SELECT * FROM sessions WHERE owner = ? AND task_id = ? ORDER BY seq").all(owner, taskId) as Row[]).map(sessionFrom),
    delete: async (id: string): Promise<boolean> => {
      const r = this.stmt("SELECT blob, status FROM sessions WHERE id = ?").get(id) as Row | undefined;
      if (!r) return false;
      this.stmt("DELETE FROM sessions WHERE id = ?").run(id);
      if (r.status === "open") await this.removeBlob(r.blob as string);
      return true;
    },
    lease: async (id: string): Promise<SessionLease | null> => {
      if (this.leased.has(id)) return null;
      this.leased.add(id);
      let released = false;
      return {
        writeRange: (args) => this.writeRange(id, args),
        release: async () => {
          if (!released) {
            released = true;
            this.leased.delete(id);
          }
        },
      };
    },
    readCommitted: async (id: string, start: number, end: number): Promise<AsyncIterable<Buffer>> => {
      const r = this.stmt("SELECT blob, committed FROM sessions WHERE id = ?").get(id) as Row | undefined;
      if (!r) throw errors.notFound();
      if (end > (r.committed as number) - 1) throw new RangeError(`bytes ${start}-${end} are not committed`);
      return end < start ? Readable.from([]) : this.blobs.read(r.blob as string, { start, end });
    },
    sweepExpired: async (cutoff: Date): Promise<number> => {
      const rows = this.stmt("SELECT id, blob, status FROM sessions WHERE expires_at < ?").all(cutoff.toISOString()) as Row[];
      let n = 0;
      for (const r of rows) {
        if (this.leased.has(r.id as string)) continue; // a write in flight finishes (and then fails) first
        this.stmt("DELETE FROM sessions WHERE id = ?").run(r.id);
        if (r.status === "open") await this.removeBlob(r.blob as string);
        n++;
      }
      await this.sweepOrphanBlobs(cutoff);
      return n;
    },
  };

  /** Files no record names (left by a crash between write and commit of a deletion) older than `cutoff`. */
  private async sweepOrphanBlobs(cutoff: Date): Promise<void> {
    const known = this.stmt("SELECT 1 FROM sessions WHERE blob = ? UNION ALL SELECT 1 FROM attachments WHERE blob = ?");
    for await (const { key, mtimeMs } of this.blobs.list()) {
      if (mtimeMs >= cutoff.getTime()) continue;
      if (!known.get(key, key)) await this.blobs.remove(key);
    }
  }

  private async writeRange(id: string, args: WriteRangeArgs): Promise<UploadSession> {
    const before = this.stmt("SELECT * FROM sessions WHERE id = ?").get(id) as Row | undefined;
    if (!before || before.status !== "open") throw errors.notFound();
    if (before.committed !== args.offset) throw errors.invalidRange(`The next expected offset is ${before.committed as number}.`);
    const blob = before.blob as string;
    const hash = this.hashes.continueAt(blob, args.offset);
    let objectSha256: string | null = null;
    try {
      await this.blobs.writeAt(blob, args.offset, args.length, args.body, hash);
      // Without a state: hash the file, as written and fsynced.
      if (args.final) objectSha256 = await this.hashes.digest(hash, () => this.blobs.sha256(blob, args.offset + args.length));
    } catch (e) {
      // Cancelled, or its task or list deleted, while the bytes streamed in: the file went with it.
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw errors.notFound();
      throw e;
    }
    const after = await this.commitRange(id, blob, args, objectSha256);
    this.hashes.committed(blob, after, hash);
    return after;
  }

  private commitRange(id: string, blob: string, args: WriteRangeArgs, objectSha256: string | null): Promise<UploadSession> {
    return this.durably(() => {
      const now = this.stmt("SELECT * FROM sessions WHERE id = ?").get(id) as Row | undefined;
      // Deleted (cancel, task or list deletion) or swept while the bytes streamed in.
      if (!now || now.status !== "open" || now.committed !== args.offset) throw errors.notFound();
      const plan = args.plan(objectSha256);
      const committed = args.offset + args.length;
      if (plan.attachment) {
        this.insertAttachment(plan.attachment, blob);
        this
          .stmt(
            `UPDATE sessions SET committed = ?, status = 'completed', attachment_id = ?, last_start = ?, last_end = ?
             WHERE id = ?`,
          )
          .run(committed, plan.attachment.id, plan.lastRange.start, plan.lastRange.end, id);
      } else {
        this
          .stmt("UPDATE sessions SET committed = ?, last_start = ?, last_end = ? WHERE id = ?")
          .run(committed, plan.lastRange.start, plan.lastRange.end, id);
      }
      return sessionFrom(this.stmt("SELECT * FROM sessions WHERE id = ?").get(id) as Row);
    });
  }
}
