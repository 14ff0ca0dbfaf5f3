// The one storage interface. The embedded (SQLite + files) and PostgreSQL adapters both implement
// it and both pass test/contract. Every method is atomic on its own; methods that take a `change`
// callback run it inside the store's transaction (a GraphError thrown there rolls everything back).
import type { Readable } from "node:stream";
import type { Change } from "../domain/delta.js";
import type { CollectionQuery, QueryPage } from "../domain/query.js";
import type { Attachment, ChildKind, ChildParent, RangeRecord, Task, TaskChild, TaskList, UploadSession, User } from "../domain/models.js";

/** The stores Taskdrop has (`--store`); each implements Store and passes test/contract. */
export const STORE_KINDS = ["sqlite", "postgres"] as const;
export type StoreKind = (typeof STORE_KINDS)[number];
export const isStoreKind = (v: string): v is StoreKind => (STORE_KINDS as readonly string[]).includes(v);

/** What the upload service decides once a range's bytes are durable, committed with the offset. */
export interface CommitPlan {
  lastRange: RangeRecord;
  /** Present on the final range: the attachment the session becomes. */
  attachment: Attachment | null;
}

export interface WriteRangeArgs {
  offset: number;
  length: number;
  body: AsyncIterable<Buffer>;
  final: boolean;
  plan: (objectSha256: string | null) => CommitPlan;
}

/** Exclusive right to write one session's bytes, across every server instance sharing the store. */
export interface SessionLease {
  /**
   * Streams exactly `length` bytes from `body` to the session's staged bytes at `offset`, makes them
   * durable, then asks `plan()` what to commit and commits it atomically with the new offset. When
   * `final`, the store hashes the whole staged object and hands the hex SHA-256 to `plan`. If the
   * body fails, `plan()` throws, or the session changed meanwhile, nothing is committed.
   */
  writeRange(args: WriteRangeArgs): Promise<UploadSession>;
  release(): Promise<void>;
}

/** A task update, or one that also creates another task in its transaction (a recurring task's completed occurrence). */
export type TaskChange = Task | { task: Task; create: Task };

/** A page's worth of one change stream (see `Store.changes`). */
export interface ChangeQuery {
  /** Entries numbered after this… */
  after: number;
  /** …and at most this (the owner's newest number, read before the query). */
  upTo: number;
  /** Deletions count only when numbered after this too. */
  removedAfter: number;
  limit: number;
}

export interface Store {
  readonly kind: StoreKind;
  close(): Promise<void>;
  /** Throws when the store cannot serve requests (health check). */
  ping(): Promise<void>;
  /**
   * Empties every user's data (users, lists, tasks, their children, attachments, sessions and
   * all stored bytes) and keeps the settings, so tokens signed with the development key stay
   * valid. For test suites between cases (`startTaskdrop().reset()`); not while uploads run.
   */
  reset(): Promise<void>;

  settings: {
    /** Returns the stored value, or stores `make()` and returns it (first writer wins). */
    getOrCreate(key: string, make: () => string): Promise<string>;
  };

  users: {
    ensure(oid: string, upn: string): Promise<User>;
    /** By object id or userPrincipalName (case-insensitive). */
    find(idOrUpn: string): Promise<User | undefined>;
  };

  lists: {
    all(owner: string): Promise<TaskList[]>;
    /** One page of the owner's lists, filtered, ordered and counted in the database (store/shared/query-sql.ts). */
    query(owner: string, q: CollectionQuery): Promise<QueryPage<TaskList>>;
    get(owner: string, id: string): Promise<TaskList | undefined>;
    /** Creates the default list with `make()` unless the owner has one. */
    ensureDefault(owner: string, make: () => TaskList): Promise<void>;
    create(list: TaskList): Promise<void>;
    update(owner: string, id: string, change: (l: TaskList) => TaskList): Promise<TaskList | undefined>;
    /** Deletes the list with its tasks, attachments and sessions; `guard` may throw to refuse. */
    delete(owner: string, id: string, guard: (l: TaskList) => void): Promise<boolean>;
  };

  tasks: {
    all(owner: string, listId: string): Promise<Task[]>;
    /** One page of a list's tasks, filtered, ordered and counted in the database; costs a page, not the list. */
    query(owner: string, listId: string, q: CollectionQuery): Promise<QueryPage<Task>>;
    get(owner: string, listId: string, id: string): Promise<Task | undefined>;
    /** Creates the task with the children sent inline (`children`), all in one transaction. */
    create(task: Task, children?: TaskChild[]): Promise<void>;
    /** Updates the task to what `change` returns (and creates the task it may name, atomically); the updated task. */
    update(owner: string, listId: string, id: string, change: (t: Task) => TaskChange): Promise<Task | undefined>;
    delete(owner: string, listId: string, id: string, guard: (t: Task) => void): Promise<boolean>;
  };

  /**
   * A task's checklistItems, linkedResources and open extensions, and a list's open extensions
   * (parent `taskId` ""). A child's write counts as a change of its parent for delta: it takes the
   * parent's next change number in the same transaction. Deleting a task or list deletes its children.
   */
  children: {
    /** One parent's children of a kind, oldest first. */
    all(owner: string, parent: ChildParent, kind: ChildKind): Promise<TaskChild[]>;
    /**
     * The children of a kind of the named tasks of the list, oldest first: `$expand` on a page of
     * tasks (bounded by the page, never the whole list).
     */
    ofTasks(owner: string, listId: string, kind: ChildKind, taskIds: readonly string[]): Promise<TaskChild[]>;
    get(owner: string, parent: ChildParent, kind: ChildKind, id: string): Promise<TaskChild | undefined>;
    /**
     * Adds a child. Refuses notFound when the parent is not the owner's, invalidRequest when the
     * parent already has `max` children of the kind, alreadyExists when the parent has its id.
     */
    create(child: TaskChild, max: number): Promise<void>;
    /** Replaces the child with what `change` returns (which may throw to refuse); the new child. */
    update(owner: string, parent: ChildParent, kind: ChildKind, id: string, change: (c: TaskChild) => TaskChild): Promise<TaskChild | undefined>;
    delete(owner: string, parent: ChildParent, kind: ChildKind, id: string): Promise<boolean>;
  };

  attachments: {
    all(owner: string, taskId: string): Promise<Attachment[]>;
    get(owner: string, taskId: string, id: string): Promise<Attachment | undefined>;
    /** Stores a small attachment's bytes and record together (durable on resolve). */
    createWithBytes(att: Attachment, bytes: Buffer): Promise<void>;
    /** The attachment's bytes, optionally a slice [start, end] inclusive. */
    read(att: Attachment, range?: { start: number; end: number }): Promise<Readable>;
    delete(owner: string, taskId: string, id: string): Promise<boolean>;
  };

  /**
   * Change tracking for delta. Every write of a list or task (create, update, delete, the default
   * list's creation) takes the next number of its owner's change sequence in the same transaction;
   * a row keeps the number of its last change, a deletion leaves a tombstone with its number. One
   * owner's numbers commit in order, so once `position()` reports N every change up to N is
   * visible to the queries that follow.
   */
  changes: {
    /** The owner's newest committed change number, and the highest whose tombstones were pruned. */
    position(owner: string): Promise<{ seq: number; floor: number }>;
    /** The owner's lists and list deletions in (after, upTo], oldest first. */
    lists(owner: string, q: ChangeQuery): Promise<Array<Change<TaskList>>>;
    /** One list's tasks and task deletions in (after, upTo], oldest first. */
    tasks(owner: string, listId: string, q: ChangeQuery): Promise<Array<Change<Task>>>;
    /** Forgets tombstones of deletions before `cutoff`, raising their owners' floors; returns how many. */
    prune(cutoff: Date): Promise<number>;
  };

  sessions: {
    /**
     * Refuses (tooManySessions) when the owner already has `maxOpen` open sessions that are live at
     * `s.createdAt`, and (quotaLimitReached) when their declared sizes plus `s.size` pass
     * `maxStagedBytes` (0: no bound); checked atomically with the insert, per owner.
     */
    create(s: UploadSession, maxOpen: number, maxStagedBytes?: number): Promise<void>;
    /** Bytes held server-wide at `now`: every attachment's size plus every live open session's declared size. */
    bytesHeld(now: string): Promise<number>;
    get(id: string): Promise<UploadSession | undefined>;
    forTask(owner: string, taskId: string): Promise<UploadSession[]>;
    /** Cancels: removes the record and frees staged bytes (never a completed session's attachment bytes). */
    delete(id: string): Promise<boolean>;
    /** null when another request holds the session. */
    lease(id: string): Promise<SessionLease | null>;
    /**
     * Committed bytes [start, end] (inclusive) of the session's object — its staged bytes, or the
     * attachment's once completed — for comparing a retried range; an empty stream when end < start.
     */
    readCommitted(id: string, start: number, end: number): Promise<AsyncIterable<Buffer>>;
    /** Removes sessions that expired before `cutoff` and frees their staged bytes; returns how many. */
    sweepExpired(cutoff: Date): Promise<number>;
  };
}
