// The behaviour every Store must have, written once as named groups (`shouldKeepLists`, …). Each
// store's *.test.ts file opts into the groups that apply to it, one line each, the way
// tus-node-server's shared store tests do; a new store method gets its tests in the group of its
// table (or a new group every store file then lists). Each test gets a fresh, empty store.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, test } from "node:test";
import { GraphError } from "../../src/domain/errors.js";
import { newId } from "../../src/domain/ids.js";
import type { Attachment, ChildKind, Task, TaskChild, TaskList, UploadSession } from "../../src/domain/models.js";
import { SchemaTooNewError } from "../../src/store/shared/schema.js";
import type { CommitPlan, Store } from "../../src/store/types.js";
import fc from "fast-check";
import { pageInMemory, parseFilter, parseOrderBy, viewReader, type CollectionQuery, type QueryPage } from "../../src/domain/query.js";
import { LIST_QUERY, TASK_QUERY } from "../../src/domain/todo-query.js";
import { taskView } from "../../src/http/views.js";
import { filterSample, orderSample, taskSamples } from "../helpers/query-arbitrary.js";

export interface StoreUnderTest {
  store: Store;
  /** Bytes the store keeps for sessions and attachments (files on disk, chunk rows, …). */
  storedBytes(): Promise<number>;
  /** Closes the store and opens it again on the same data, as a restarted server would. */
  reopen(): Promise<Store>;
  /** A second store on the same data, as another server instance has (stores that allow it). */
  openPeer?(): Promise<Store>;
  /** Marks the data as migrated by a newer Taskdrop (schema version past this build's steps)… */
  markSchemaNewer(): Promise<void>;
  /** …and back to this build's version. */
  unmarkSchemaNewer(): Promise<void>;
  /** Closes everything and removes the data. */
  close(): Promise<void>;
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const iso = (msFromNow = 0) => new Date(Date.now() + msFromNow).toISOString();
const HOUR = 3600_000;

export function listFor(owner: string, displayName = "List", wellknown: TaskList["wellknownListName"] = "none"): TaskList {
  return { id: newId("list"), ownerOid: owner, displayName, wellknownListName: wellknown, isOwner: true, isShared: false, createdAt: iso(), changeKey: "ck-0" };
}

export function taskFor(list: TaskList, title = "Task"): Task {
  const now = iso();
  return {
    id: newId("task"),
    listId: list.id,
    ownerOid: list.ownerOid,
    createdAt: now,
    lastModifiedAt: now,
    changeKey: "tk-0",
    doc: { title, body: { content: "", contentType: "text" }, importance: "normal", status: "notStarted", isReminderOn: false, categories: ["a", "ü"], bodyLastModifiedDateTime: now },
    attachmentCount: 0,
  };
}

export function sessionFor(task: Task, size: number, expiresAt = iso(HOUR)): UploadSession & { status: "open" } {
  return {
    id: newId("session"),
    ownerOid: task.ownerOid,
    listId: task.listId,
    taskId: task.id,
    name: "file.bin",
    contentType: "application/octet-stream",
    size,
    createdAt: iso(),
    expiresAt,
    lastRange: null,
    status: "open",
    committed: 0,
  };
}

function attachmentFor(task: Task, bytes: Buffer, name = "small.txt"): Attachment {
  const now = iso();
  return { id: newId("attachment"), ownerOid: task.ownerOid, listId: task.listId, taskId: task.id, name, contentType: "text/plain", size: bytes.length, sha256: sha(bytes), createdAt: now, lastModifiedAt: now };
}

/** A body in pieces of `piece` bytes (as a socket would deliver it). */
async function* bodyOf(data: Buffer, piece = 64 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += piece) yield data.subarray(i, i + piece);
}

/**
 * Yields the first `upTo` bytes, then (once the store has taken them: it asked for more) calls
 * `reached` and waits for `gate` (if any), then fails or yields the rest.
 */
async function* brokenBody(data: Buffer, upTo: number, gate?: Promise<void>, thenFail = true, reached?: () => void): AsyncGenerator<Buffer> {
  yield* bodyOf(data.subarray(0, upTo));
  reached?.();
  if (gate) await gate;
  if (thenFail) throw new GraphError("invalidRequest", "client went away");
  yield* bodyOf(data.subarray(upTo));
}

export async function readAll(r: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** What the upload service would commit for the range [offset, offset+piece.length). */
export function planFor(s: UploadSession, offset: number, piece: Buffer, final: boolean) {
  return (objectSha256: string | null): CommitPlan => {
    const lastRange = { start: offset, end: offset + piece.length - 1 };
    if (!final) return { lastRange, attachment: null };
    const now = iso();
    return {
      lastRange,
      attachment: { id: newId("attachment"), ownerOid: s.ownerOid, listId: s.listId, taskId: s.taskId, name: s.name, contentType: s.contentType, size: s.size, sha256: objectSha256!, createdAt: now, lastModifiedAt: now },
    };
  };
}

/** Writes one range through a lease, as putRange does. */
async function writeRange(store: Store, s: UploadSession, data: Buffer, offset: number, length: number, body?: AsyncIterable<Buffer>): Promise<UploadSession> {
  const lease = await store.sessions.lease(s.id);
  assert.ok(lease, "lease granted");
  try {
    const piece = data.subarray(offset, offset + length);
    const final = offset + length === s.size;
    return await lease.writeRange({ offset, length, body: body ?? bodyOf(piece), final, plan: planFor(s, offset, piece, final) });
  } finally {
    await lease.release();
  }
}

/** Uploads `data` to the session in ranges of the given lengths; returns the completed session. */
async function upload(store: Store, s: UploadSession, data: Buffer, lengths: number[]): Promise<UploadSession> {
  let offset = 0;
  let last: UploadSession = s;
  for (const n of lengths) {
    last = await writeRange(store, s, data, offset, n);
    offset += n;
  }
  assert.equal(offset, data.length);
  return last;
}

const isKind = (kind: string) => (e: unknown) => e instanceof GraphError && e.kind === kind;

export type OpenStore<T extends StoreUnderTest = StoreUnderTest> = () => Promise<T>;

/** A fresh store per test: `use` receives it before each test, and it is closed after. */
function freshStoreEach<T extends StoreUnderTest>(open: OpenStore<T>, use: (t: T) => void): void {
  let current: T | undefined;
  beforeEach(async () => {
    current = await open();
    use(current);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
}

/** A list and a task for `owner`. */
async function seed(store: Store, owner = "owner-1") {
  const list = listFor(owner);
  await store.lists.create(list);
  const task = taskFor(list);
  await store.tasks.create(task);
  return { list, task };
}

async function openSession(store: Store, task: Task, size: number, expiresAt?: string) {
  const s = sessionFor(task, size, expiresAt);
  await store.sessions.create(s, 100);
  return s;
}

/** The first value stored for a key wins. */
export function shouldKeepSettings(open: OpenStore): void {
  describe("settings", () => {
    let t: StoreUnderTest;
    let store: Store;
    freshStoreEach(open, (x) => {
      t = x;
      store = x.store;
    });

    test("getOrCreate stores the first value and returns it ever after", async () => {
      let calls = 0;
      assert.equal(await store.settings.getOrCreate("k", () => (calls++, "first")), "first");
      assert.equal(await store.settings.getOrCreate("k", () => (calls++, "second")), "first");
      assert.equal(calls, 1);
      assert.equal(await store.settings.getOrCreate("other", () => "x"), "x");
    });

    test("concurrent getOrCreate calls agree on one value (first writer wins)", async () => {
      const peer = t.openPeer ? await t.openPeer() : undefined;
      try {
        const stores = peer ? [store, peer] : [store];
        const got = await Promise.all(Array.from({ length: 8 }, (_, i) => stores[i % stores.length]!.settings.getOrCreate("key", () => `value-${i}`)));
        assert.equal(new Set(got).size, 1);
        assert.equal(await store.settings.getOrCreate("key", () => "late"), got[0]);
      } finally {
        await peer?.close();
      }
    });
  });
}

/** Users by oid, found by id or UPN. */
export function shouldKeepUsers(open: OpenStore): void {
  describe("users", () => {
    let t: StoreUnderTest;
    let store: Store;
    freshStoreEach(open, (x) => {
      t = x;
      store = x.store;
    });

    test("ensure creates once, keeps createdAt, follows a changed UPN; find by id or UPN in any case", async () => {
      const u = await store.users.ensure("oid-1", "Alice@Contoso.com");
      assert.equal(u.oid, "oid-1");
      assert.equal(u.upn, "Alice@Contoso.com");
      const again = await store.users.ensure("oid-1", "Alice@Contoso.com");
      assert.deepEqual(again, u);
      const renamed = await store.users.ensure("oid-1", "alice.new@contoso.com");
      assert.equal(renamed.upn, "alice.new@contoso.com");
      assert.equal(renamed.createdAt, u.createdAt);
      assert.deepEqual(await store.users.find("oid-1"), renamed);
      assert.deepEqual(await store.users.find("ALICE.NEW@CONTOSO.COM"), renamed);
      assert.equal(await store.users.find("Alice@Contoso.com"), undefined);
      assert.equal(await store.users.find("nobody"), undefined);
    });

    test("two oids presenting the same UPN both keep working; the UPN names the one that presented it last", async () => {
      const first = await store.users.ensure("oid-a", "bob@contoso.com");
      await new Promise((r) => setTimeout(r, 5));
      const second = await store.users.ensure("oid-b", "Bob@Contoso.com");
      assert.equal(second.oid, "oid-b");
      assert.deepEqual(await store.users.ensure("oid-a", "bob@contoso.com"), first, "the earlier holder is not locked out");
      assert.equal((await store.users.find("BOB@contoso.com"))?.oid, "oid-b");
      assert.equal((await store.users.find("oid-a"))?.oid, "oid-a", "an oid always finds its own user");
      // A rename away frees the alias for the other holder; a rename onto it takes it back.
      await store.users.ensure("oid-b", "robert@contoso.com");
      assert.equal((await store.users.find("bob@contoso.com"))?.oid, "oid-a");
      await new Promise((r) => setTimeout(r, 5));
      await store.users.ensure("oid-b", "bob@contoso.com");
      assert.equal((await store.users.find("bob@contoso.com"))?.oid, "oid-b");
    });
  });
}

/** Lists per owner; deletion cascades. */
export function shouldKeepLists(open: OpenStore): void {
  describe("lists", () => {
    let t: StoreUnderTest;
    let store: Store;
    freshStoreEach(open, (x) => {
      t = x;
      store = x.store;
    });

    test("create, get and all (in creation order, per owner)", async () => {
      const a = listFor("o1", "A");
      const b = listFor("o1", "B");
      const other = listFor("o2", "C");
      for (const l of [a, b, other]) await store.lists.create(l);
      assert.deepEqual(await store.lists.all("o1"), [a, b]);
      assert.deepEqual(await store.lists.get("o1", a.id), a);
      assert.equal(await store.lists.get("o2", a.id), undefined, "another owner's list is invisible");
      assert.deepEqual(await store.lists.all("nobody"), []);
    });

    test("ensureDefault creates exactly one default list, even when called concurrently", async () => {
      const peer = t.openPeer ? await t.openPeer() : undefined;
      try {
        const stores = peer ? [store, peer] : [store];
        await Promise.all(Array.from({ length: 6 }, (_, i) => stores[i % stores.length]!.lists.ensureDefault("o1", () => listFor("o1", "Tasks", "defaultList"))));
        await store.lists.ensureDefault("o1", () => assert.fail("make() must not run when the default exists"));
        const all = await store.lists.all("o1");
        assert.equal(all.length, 1);
        assert.equal(all[0]!.wellknownListName, "defaultList");
      } finally {
        await peer?.close();
      }
    });

    test("update applies the change atomically; a throwing change or a missing list changes nothing", async () => {
      const l = listFor("o1", "Old");
      await store.lists.create(l);
      const next = await store.lists.update("o1", l.id, (cur) => ({ ...cur, displayName: "New", changeKey: "ck-1" }));
      assert.equal(next?.displayName, "New");
      assert.deepEqual(await store.lists.get("o1", l.id), { ...l, displayName: "New", changeKey: "ck-1" });
      await assert.rejects(
        store.lists.update("o1", l.id, () => {
          throw new GraphError("preconditionFailed", "no");
        }),
        isKind("preconditionFailed"),
      );
      assert.equal((await store.lists.get("o1", l.id))?.displayName, "New");
      assert.equal(await store.lists.update("o1", newId("list"), () => assert.fail("not called")), undefined);
      assert.equal(await store.lists.update("o2", l.id, () => assert.fail("not called")), undefined);
    });

    test("delete cascades to tasks, attachments, sessions and their bytes; a guard can refuse", async () => {
      const { list, task } = await seed(store, "o1");
      const other = await seed(store, "o1");
      const small = randomBytes(1000);
      await store.attachments.createWithBytes(attachmentFor(task, small), small);
      const data = randomBytes(300_000);
      const done = await upload(store, await openSession(store, task, data.length), data, [data.length]);
      const open = await openSession(store, task, 500_000);
      await writeRange(store, open, randomBytes(500_000), 0, 100_000);
      const keep = randomBytes(2000);
      const kept = attachmentFor(other.task, keep);
      await store.attachments.createWithBytes(kept, keep);

      await assert.rejects(
        store.lists.delete("o1", list.id, () => {
          throw new GraphError("defaultListImmutable", "refused");
        }),
        isKind("defaultListImmutable"),
      );
      assert.ok(await store.tasks.get("o1", list.id, task.id), "a refused delete changes nothing");
      assert.equal(await store.lists.delete("o2", list.id, () => {}), false, "another owner cannot delete it");

      assert.equal(await store.lists.delete("o1", list.id, () => {}), true);
      assert.equal(await store.lists.get("o1", list.id), undefined);
      assert.equal(await store.tasks.get("o1", list.id, task.id), undefined);
      assert.deepEqual(await store.attachments.all("o1", task.id), []);
      assert.equal(await store.sessions.get(done.id), undefined);
      assert.equal(await store.sessions.get(open.id), undefined);
      assert.deepEqual(await store.sessions.forTask("o1", task.id), []);
      assert.equal(await store.lists.delete("o1", list.id, () => {}), false, "already gone");
      // Only the other list's attachment is left, bytes included.
      assert.equal(await t.storedBytes(), keep.length);
      assert.deepEqual(await readAll(await store.attachments.read(kept)), keep);
    });
  });
}

/** Tasks per list; deletion cascades. */
export function shouldKeepTasks(open: OpenStore): void {
  describe("tasks", () => {
    let t: StoreUnderTest;
    let store: Store;
    freshStoreEach(open, (x) => {
      t = x;
      store = x.store;
    });

    test("create, get, all (in creation order); the document round-trips", async () => {
      const l = listFor("o1");
      await store.lists.create(l);
      const a = taskFor(l, "first");
      a.doc.dueDateTime = { dateTime: "2030-01-02T03:04:05.0000000", timeZone: "UTC" };
      const b = taskFor(l, "second");
      await store.tasks.create(a);
      await store.tasks.create(b);
      assert.deepEqual(await store.tasks.all("o1", l.id), [a, b]);
      assert.deepEqual(await store.tasks.get("o1", l.id, a.id), a);
      assert.equal(await store.tasks.get("o2", l.id, a.id), undefined);
      assert.equal(await store.tasks.get("o1", newId("list"), a.id), undefined, "the list is part of the key");
    });

    test("update applies the change; a throwing change or a missing task changes nothing", async () => {
      const { list, task } = await seed(store, "o1");
      const next = await store.tasks.update("o1", list.id, task.id, (cur) => ({ ...cur, doc: { ...cur.doc, title: "Renamed" }, changeKey: "tk-1", lastModifiedAt: iso(1) }));
      assert.equal(next?.doc.title, "Renamed");
      assert.deepEqual(await store.tasks.get("o1", list.id, task.id), next);
      await assert.rejects(
        store.tasks.update("o1", list.id, task.id, () => {
          throw new GraphError("invalidRequest", "bad");
        }),
        isKind("invalidRequest"),
      );
      assert.deepEqual(await store.tasks.get("o1", list.id, task.id), next);
      assert.equal(await store.tasks.update("o1", list.id, newId("task"), () => assert.fail("not called")), undefined);
    });

    test("delete cascades to the task's attachments, sessions and bytes only; a guard can refuse", async () => {
      const { list, task } = await seed(store, "o1");
      const sibling = taskFor(list, "sibling");
      await store.tasks.create(sibling);
      const bytes = randomBytes(5000);
      await store.attachments.createWithBytes(attachmentFor(task, bytes), bytes);
      const s = await openSession(store, task, 400_000);
      await writeRange(store, s, randomBytes(400_000), 0, 300_000);
      const keep = randomBytes(7000);
      const kept = attachmentFor(sibling, keep);
      await store.attachments.createWithBytes(kept, keep);
      const keptSession = await openSession(store, sibling, 10);

      await assert.rejects(
        store.tasks.delete("o1", list.id, task.id, () => {
          throw new GraphError("accessDenied", "no");
        }),
        isKind("accessDenied"),
      );
      assert.equal((await store.attachments.all("o1", task.id)).length, 1);
      assert.equal(await store.tasks.delete("o1", list.id, task.id, () => {}), true);
      assert.equal(await store.tasks.get("o1", list.id, task.id), undefined);
      assert.deepEqual(await store.attachments.all("o1", task.id), []);
      assert.equal(await store.sessions.get(s.id), undefined);
      assert.equal(await store.tasks.delete("o1", list.id, task.id, () => {}), false);
      assert.deepEqual(await store.attachments.all("o1", sibling.id), [kept]);
      assert.ok(await store.sessions.get(keptSession.id));
      assert.equal(await t.storedBytes(), keep.length);
    });
  });
}

/** Small attachments: record and bytes together. */
export function shouldKeepAttachments(open: OpenStore): void {
  describe("attachments", () => {
    let t: StoreUnderTest;
    let store: Store;
    freshStoreEach(open, (x) => {
      t = x;
      store = x.store;
    });

    test("createWithBytes stores record and bytes; the task's count follows creates and deletes", async () => {
      const { list, task } = await seed(store, "o1");
      const b1 = randomBytes(300_000);
      const b2 = Buffer.from("hello");
      const a1 = attachmentFor(task, b1, "one.bin");
      const a2 = attachmentFor(task, b2, "two.txt");
      await store.attachments.createWithBytes(a1, b1);
      await store.attachments.createWithBytes(a2, b2);
      assert.deepEqual(await store.attachments.all("o1", task.id), [a1, a2]);
      assert.deepEqual(await store.attachments.get("o1", task.id, a1.id), a1);
      assert.equal(await store.attachments.get("o2", task.id, a1.id), undefined);
      assert.equal((await store.tasks.get("o1", list.id, task.id))?.attachmentCount, 2);
      assert.deepEqual(await readAll(await store.attachments.read(a1)), b1);
      assert.deepEqual(await readAll(await store.attachments.read(a2)), b2);

      assert.equal(await store.attachments.delete("o2", task.id, a1.id), false, "another owner cannot delete it");
      assert.equal(await store.attachments.delete("o1", task.id, a1.id), true);
      assert.equal(await store.attachments.delete("o1", task.id, a1.id), false);
      assert.equal((await store.tasks.get("o1", list.id, task.id))?.attachmentCount, 1);
      await assert.rejects(store.attachments.read(a1), isKind("notFound"));
      assert.equal(await t.storedBytes(), b2.length);
    });

    test("createWithBytes for a missing task (or another owner's) stores nothing", async () => {
      const { task } = await seed(store, "o1");
      const bytes = randomBytes(1000);
      await assert.rejects(store.attachments.createWithBytes(attachmentFor({ ...task, id: newId("task") }, bytes), bytes), isKind("notFound"));
      await assert.rejects(store.attachments.createWithBytes(attachmentFor({ ...task, ownerOid: "o2" }, bytes), bytes), isKind("notFound"));
      assert.deepEqual(await store.attachments.all("o1", task.id), []);
      assert.equal(await t.storedBytes(), 0);
    });

    test("read serves any byte range, across the boundaries of how the bytes were written", async () => {
      const { task } = await seed(store, "o1");
      const data = randomBytes(700_001);
      const done = await upload(store, await openSession(store, task, data.length), data, [300_000, 100_003, 299_998]);
      assert.equal(done.status, "completed");
      const att = (await store.attachments.all("o1", task.id))[0]!;
      const ranges: [number, number][] = [
        [0, 0],
        [0, data.length - 1],
        [262_143, 262_144],
        [299_999, 300_000],
        [400_002, 400_003],
        [data.length - 1, data.length - 1],
        [123_456, 654_321],
      ];
      for (let i = 0; i < 12; i++) {
        const a = Math.floor(Math.random() * data.length);
        const b = Math.floor(Math.random() * data.length);
        ranges.push([Math.min(a, b), Math.max(a, b)]);
      }
      for (const [start, end] of ranges) {
        const got = await readAll(await store.attachments.read(att, { start, end }));
        assert.ok(got.equals(data.subarray(start, end + 1)), `range ${start}-${end}`);
      }
      assert.ok((await readAll(await store.attachments.read(att))).equals(data));
    });
  });
}

/** Upload sessions: the open-session cap, cancel, leases, expiry. */
export function shouldManageSessions(open: OpenStore): void {
  describe("sessions", () => {
    let t: StoreUnderTest;
    let store: Store;
    freshStoreEach(open, (x) => {
      t = x;
      store = x.store;
    });

    test("create, get, forTask; the open-session cap counts open sessions only", async () => {
      const { task } = await seed(store, "o1");
      const s1 = sessionFor(task, 10);
      const s2 = sessionFor(task, 0);
      await store.sessions.create(s1, 2);
      await store.sessions.create(s2, 2);
      assert.deepEqual(await store.sessions.get(s1.id), s1);
      assert.deepEqual(await store.sessions.forTask("o1", task.id), [s1, s2]);
      assert.deepEqual(await store.sessions.forTask("o2", task.id), []);
      await assert.rejects(store.sessions.create(sessionFor(task, 5), 2), isKind("tooManySessions"));
      // Completing one frees a place.
      await upload(store, s2, Buffer.alloc(0), [0]);
      await store.sessions.create(sessionFor(task, 5), 2);
      await assert.rejects(store.sessions.create(sessionFor(task, 5), 2), isKind("tooManySessions"));
      // The cap is per owner.
      const other = await seed(store, "o2");
      await store.sessions.create(sessionFor(other.task, 5), 2);
    });

    test("the cap holds under concurrent creates", async () => {
      const { task } = await seed(store, "o1");
      const peer = t.openPeer ? await t.openPeer() : undefined;
      try {
        const stores = peer ? [store, peer] : [store];
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => stores[i % stores.length]!.sessions.create(sessionFor(task, 1), 3)));
        assert.equal(results.filter((r) => r.status === "fulfilled").length, 3);
        for (const r of results) if (r.status === "rejected") assert.ok(isKind("tooManySessions")(r.reason));
        assert.equal((await store.sessions.forTask("o1", task.id)).length, 3);
      } finally {
        await peer?.close();
      }
    });

    test("delete frees an open session's bytes but never a completed session's attachment", async () => {
      const { task } = await seed(store, "o1");
      const data = randomBytes(300_000);
      const done = await upload(store, await openSession(store, task, data.length), data, [data.length]);
      const open = await openSession(store, task, 200_000);
      await writeRange(store, open, randomBytes(200_000), 0, 100_000);
      assert.equal(await store.sessions.delete(open.id), true);
      assert.equal(await store.sessions.delete(open.id), false);
      assert.equal(await store.sessions.delete(done.id), true);
      assert.equal(await store.sessions.get(done.id), undefined);
      const att = (await store.attachments.all("o1", task.id))[0]!;
      assert.ok((await readAll(await store.attachments.read(att))).equals(data));
      assert.equal(await t.storedBytes(), data.length);
    });

    test("deleting an attachment removes the completed session that made it", async () => {
      const { task } = await seed(store, "o1");
      const data = randomBytes(1000);
      const done = await upload(store, await openSession(store, task, data.length), data, [data.length]);
      const att = (await store.attachments.all("o1", task.id))[0]!;
      assert.equal(await store.attachments.delete("o1", task.id, att.id), true);
      assert.equal(await store.sessions.get(done.id), undefined);
      assert.equal(await t.storedBytes(), 0);
    });

    test("a lease is exclusive until released", async () => {
      const { task } = await seed(store, "o1");
      const s = await openSession(store, task, 10);
      const other = await openSession(store, task, 10);
      const a = await store.sessions.lease(s.id);
      assert.ok(a);
      assert.equal(await store.sessions.lease(s.id), null);
      const b = await store.sessions.lease(other.id);
      assert.ok(b, "leases are per session");
      await a.release();
      const again = await store.sessions.lease(s.id);
      assert.ok(again);
      await a.release(); // idempotent: must not free the new holder's lease
      assert.equal(await store.sessions.lease(s.id), null, "a second release of the old lease did not free the new one");
      await again.release();
      await b.release();
    });

    test("sweepExpired removes sessions expired before the cutoff (not leased ones) and frees open sessions' bytes", async () => {
      const { task } = await seed(store, "o1");
      const data = randomBytes(300_000);
      const expiredOpen = await openSession(store, task, data.length, iso(-2 * HOUR));
      await writeRange(store, expiredOpen, data, 0, 100_000);
      const expiredDone = await upload(store, await openSession(store, task, 1000, iso(-2 * HOUR)), data.subarray(0, 1000), [1000]);
      const expiredLeased = await openSession(store, task, 10, iso(-2 * HOUR));
      const recent = await openSession(store, task, 10, iso(-HOUR / 2));
      const live = await openSession(store, task, 10);
      const lease = (await store.sessions.lease(expiredLeased.id))!;
      const n = await store.sessions.sweepExpired(new Date(Date.now() - HOUR));
      assert.equal(n, 2);
      assert.equal(await store.sessions.get(expiredOpen.id), undefined);
      assert.equal(await store.sessions.get(expiredDone.id), undefined);
      assert.ok(await store.sessions.get(expiredLeased.id), "a session being written is left for a later sweep");
      assert.ok(await store.sessions.get(recent.id));
      assert.ok(await store.sessions.get(live.id));
      const att = (await store.attachments.all("o1", task.id))[0]!;
      assert.ok((await readAll(await store.attachments.read(att))).equals(data.subarray(0, 1000)), "the attachment outlives its session");
      assert.equal(await t.storedBytes(), 1000);
      await lease.release();
      assert.equal(await store.sessions.sweepExpired(new Date(Date.now() - HOUR)), 1);
      assert.equal(await store.sessions.sweepExpired(new Date(Date.now() - HOUR)), 0);
    });
  });
}

/** A range's bytes and offset commit together, or not at all. */
export function shouldCommitRanges(open: OpenStore): void {
  describe("ranges", () => {
    let t: StoreUnderTest;
    let store: Store;
    freshStoreEach(open, (x) => {
      t = x;
      store = x.store;
    });

    test("ranges commit in order; the final one turns the session into an attachment with the object's SHA-256", async () => {
      const { list, task } = await seed(store, "o1");
      const data = randomBytes(600_000);
      const s = await openSession(store, task, data.length);
      const r1 = await writeRange(store, s, data, 0, 250_000);
      assert.equal(r1.status, "open");
      assert.equal(r1.committed, 250_000);
      assert.deepEqual(r1.lastRange, { start: 0, end: 249_999 });
      assert.deepEqual(await store.sessions.get(s.id), r1);
      // A retried range is compared with its stored bytes: those of the staged object, committed only.
      assert.ok((await readAll(await store.sessions.readCommitted(s.id, 0, 249_999))).equals(data.subarray(0, 250_000)));
      assert.ok((await readAll(await store.sessions.readCommitted(s.id, 10, 19))).equals(data.subarray(10, 20)));
      assert.equal((await readAll(await store.sessions.readCommitted(s.id, 0, -1))).length, 0);
      await assert.rejects(store.sessions.readCommitted(s.id, 0, 250_000), RangeError, "bytes past the committed offset are never compared");
      await assert.rejects(writeRange(store, s, data, 0, 10), isKind("invalidRange"), "a range not at the committed offset");
      await assert.rejects(writeRange(store, s, data, 300_000, 10), isKind("invalidRange"));
      assert.deepEqual(await store.sessions.get(s.id), r1);

      const r2 = await writeRange(store, s, data, 250_000, 350_000);
      assert.equal(r2.status, "completed");
      assert.equal(r2.committed, data.length);
      assert.deepEqual(await store.sessions.get(s.id), r2);
      const atts = await store.attachments.all("o1", task.id);
      assert.equal(atts.length, 1);
      assert.equal(r2.status === "completed" && r2.attachmentId, atts[0]!.id);
      assert.equal(atts[0]!.sha256, sha(data));
      assert.equal(atts[0]!.size, data.length);
      assert.equal((await store.tasks.get("o1", list.id, task.id))?.attachmentCount, 1);
      assert.ok((await readAll(await store.attachments.read(atts[0]!))).equals(data));
      assert.equal(await t.storedBytes(), data.length, "completion keeps one copy of the bytes");
      assert.ok((await readAll(await store.sessions.readCommitted(s.id, 250_000, 599_999))).equals(data.subarray(250_000)), "a completed session's last range reads from the attachment");
      await assert.rejects(writeRange(store, s, data, data.length, 0), isKind("notFound"), "a completed session takes no more ranges");
    });

    test("an empty file completes with one zero-length range", async () => {
      const { task } = await seed(store, "o1");
      const s = await openSession(store, task, 0);
      const done = await writeRange(store, s, Buffer.alloc(0), 0, 0);
      assert.equal(done.status, "completed");
      const att = (await store.attachments.all("o1", task.id))[0]!;
      assert.equal(att.sha256, sha(Buffer.alloc(0)));
      assert.equal(att.size, 0);
    });

    test("a body that fails midway, is short or is long commits nothing; the range can then be sent again", async () => {
      const { task } = await seed(store, "o1");
      const data = randomBytes(800_000);
      const s = await openSession(store, task, data.length);
      const first = await writeRange(store, s, data, 0, 100_000);
      const piece = data.subarray(100_000, 700_000);
      // Fails after 300 KB of a 600 KB range (past a 256 KiB boundary).
      await assert.rejects(writeRange(store, s, data, 100_000, 600_000, brokenBody(piece, 300_000)), isKind("invalidRequest"));
      assert.deepEqual(await store.sessions.get(s.id), first);
      await assert.rejects(writeRange(store, s, data, 100_000, 600_000, bodyOf(piece.subarray(0, 599_999))), isKind("invalidUpload"), "short");
      await assert.rejects(writeRange(store, s, data, 100_000, 600_000, bodyOf(data.subarray(100_000, 700_001))), isKind("invalidUpload"), "long");
      assert.deepEqual(await store.sessions.get(s.id), first);
      // The same range with other bytes first, then the real ones: only what was committed counts.
      const second = await writeRange(store, s, data, 100_000, 600_000);
      assert.equal(second.committed, 700_000);
      await writeRange(store, s, data, 700_000, 100_000);
      const att = (await store.attachments.all("o1", task.id))[0]!;
      assert.equal(att.sha256, sha(data));
      assert.ok((await readAll(await store.attachments.read(att))).equals(data));
    });

    test("plan() throwing commits nothing, for a middle range and for the final one", async () => {
      const { list, task } = await seed(store, "o1");
      const data = randomBytes(400_000);
      const s = await openSession(store, task, data.length);
      const refuse = () => {
        throw new GraphError("invalidRequest", "digest mismatch");
      };
      for (const [offset, length] of [
        [0, 300_000],
        [0, 400_000],
      ] as const) {
        const lease = (await store.sessions.lease(s.id))!;
        try {
          await assert.rejects(
            lease.writeRange({ offset, length, body: bodyOf(data.subarray(offset, offset + length)), final: offset + length === data.length, plan: refuse }),
            isKind("invalidRequest"),
          );
        } finally {
          await lease.release();
        }
        assert.deepEqual(await store.sessions.get(s.id), s);
      }
      assert.deepEqual(await store.attachments.all("o1", task.id), []);
      assert.equal((await store.tasks.get("o1", list.id, task.id))?.attachmentCount, 0);
      await upload(store, s, data, [100_000, 300_000]);
      const att = (await store.attachments.all("o1", task.id))[0]!;
      assert.ok((await readAll(await store.attachments.read(att))).equals(data));
    });

    test("a session deleted while a range streams in: the range fails and nothing is left", async () => {
      const { task } = await seed(store, "o1");
      const data = randomBytes(500_000);
      const s = await openSession(store, task, data.length);
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      let streaming!: () => void;
      const midway = new Promise<void>((r) => (streaming = r));
      const lease = (await store.sessions.lease(s.id))!;
      const body = brokenBody(data, 300_000, gate, false, streaming);
      const writing = lease.writeRange({ offset: 0, length: data.length, body, final: true, plan: planFor(s, 0, data, true) });
      writing.catch(() => {});
      await midway;
      assert.equal(await store.sessions.delete(s.id), true, "cancel is not blocked by a range in flight");
      open();
      await assert.rejects(writing, isKind("notFound"));
      await lease.release();
      assert.equal(await store.sessions.get(s.id), undefined);
      assert.deepEqual(await store.attachments.all("o1", task.id), []);
      assert.equal(await t.storedBytes(), 0);
    });

    test("a task deleted while its final range streams in: the range fails and no attachment is left", async () => {
      const { list, task } = await seed(store, "o1");
      const data = randomBytes(400_000);
      const s = await openSession(store, task, data.length);
      await writeRange(store, s, data, 0, 100_000);
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      let streaming!: () => void;
      const midway = new Promise<void>((r) => (streaming = r));
      const lease = (await store.sessions.lease(s.id))!;
      const piece = data.subarray(100_000);
      const writing = lease.writeRange({ offset: 100_000, length: piece.length, body: brokenBody(piece, 200_000, gate, false, streaming), final: true, plan: planFor(s, 100_000, piece, true) });
      writing.catch(() => {});
      await midway;
      assert.equal(await store.tasks.delete("o1", list.id, task.id, () => {}), true, "a deletion is not blocked by a range in flight");
      open();
      await assert.rejects(writing, isKind("notFound"));
      await lease.release();
      assert.equal(await store.sessions.get(s.id), undefined);
      assert.deepEqual(await store.attachments.all("o1", task.id), []);
      assert.equal(await t.storedBytes(), 0);
    });

    test("many sessions of one task completing at once: each becomes one attachment, counted once", async () => {
      // Completions of one task (and one owner) take the same locks; they must queue, not collide.
      const { list, task } = await seed(store, "o1");
      const files = Array.from({ length: 12 }, (_, i) => randomBytes(50_000 + i * 1000));
      const sessions = await Promise.all(files.map((f) => openSession(store, task, f.length)));
      const done = await Promise.all(sessions.map((s, i) => upload(store, s, files[i]!, [20_000, files[i]!.length - 20_000])));
      assert.ok(done.every((d) => d.status === "completed"));
      const atts = await store.attachments.all("o1", task.id);
      assert.equal(atts.length, files.length);
      assert.equal((await store.tasks.get("o1", list.id, task.id))?.attachmentCount, files.length);
      for (const [i, d] of done.entries()) {
        const att = atts.find((a) => d.status === "completed" && a.id === d.attachmentId)!;
        assert.equal(att.sha256, sha(files[i]!));
      }
    });
  });
}

/** What was acknowledged survives a restart. */
export function shouldSurviveReopen(open: OpenStore): void {
  describe("reopen", () => {
    let t: StoreUnderTest;
    let store: Store;
    freshStoreEach(open, (x) => {
      t = x;
      store = x.store;
    });

    test("committed ranges survive a reopen; a range that failed midway leaves no trace", async () => {
      const { task } = await seed(store, "o1");
      const data = randomBytes(500_000);
      const s = await openSession(store, task, data.length);
      const first = await writeRange(store, s, data, 0, 200_000);
      await assert.rejects(writeRange(store, s, data, 200_000, 300_000, brokenBody(data.subarray(200_000), 250_000)));
      store = await t.reopen();
      assert.deepEqual(await store.sessions.get(s.id), first);
      await writeRange(store, s, data, 200_000, 300_000);
      const att = (await store.attachments.all("o1", task.id))[0]!;
      assert.equal(att.sha256, sha(data));
      assert.ok((await readAll(await store.attachments.read(att))).equals(data));
      assert.equal(await t.storedBytes(), data.length);
    });

    test("the object's SHA-256 holds across refused ranges, failed bodies and a reopen", async () => {
      // Stores may keep a running hash of the committed bytes: a range that is refused after its
      // body was read in full, or whose body failed, must leave that state as it was committed;
      // after a reopen the state is gone and the object must still hash right.
      const { task } = await seed(store, "o1");
      const refuse = () => {
        throw new GraphError("invalidRequest", "digest mismatch");
      };
      const refused = async (s: UploadSession, offset: number, length: number) => {
        const lease = (await store.sessions.lease(s.id))!;
        try {
          const other = randomBytes(length); // fully read, then refused
          await assert.rejects(lease.writeRange({ offset, length, body: bodyOf(other), final: offset + length === s.size, plan: refuse }), isKind("invalidRequest"));
        } finally {
          await lease.release();
        }
      };
      const completes = async (s: UploadSession, data: Buffer, offset: number) => {
        const done = await writeRange(store, s, data, offset, data.length - offset);
        assert.equal(done.status, "completed");
        const att = (await store.attachments.all("o1", task.id)).find((a) => done.status === "completed" && a.id === done.attachmentId)!;
        assert.equal(att.sha256, sha(data));
        assert.ok((await readAll(await store.attachments.read(att))).equals(data));
      };

      const data = randomBytes(900_000);
      const s = await openSession(store, task, data.length);
      await writeRange(store, s, data, 0, 200_000);
      await refused(s, 200_000, 300_000);
      await assert.rejects(writeRange(store, s, data, 200_000, 300_000, brokenBody(randomBytes(300_000), 100_000)), isKind("invalidRequest"));
      await writeRange(store, s, data, 200_000, 300_000);
      await refused(s, 500_000, 400_000); // a final range
      await refused(s, 500_000, 400_000);
      await completes(s, data, 500_000);

      const again = randomBytes(500_000);
      const r = await openSession(store, task, again.length);
      await writeRange(store, r, again, 0, 200_000);
      await refused(r, 200_000, 300_000);
      store = await t.reopen();
      await refused(r, 200_000, 300_000);
      await completes(r, again, 200_000);
    });
  });
}

/** Several instances on one store. */
export function shouldShareDataWithPeers(open: OpenStore<StoreUnderTest & { openPeer(): Promise<Store> }>): void {
  describe("another instance on the same data", () => {
    let t: StoreUnderTest & { openPeer(): Promise<Store> };
    let store: Store;
    freshStoreEach(open, (x) => {
      t = x;
      store = x.store;
    });

    test("sees what was acknowledged, and is refused a lease another instance holds", async () => {
      const peer = await t.openPeer();
      try {
        const { task } = await seed(store, "o1");
        const data = randomBytes(300_000);
        const s = await openSession(store, task, data.length);
        const r1 = await writeRange(store, s, data, 0, 100_000);
        assert.deepEqual(await peer.sessions.get(s.id), r1, "acknowledged means committed, visible to every instance");
        const held = (await store.sessions.lease(s.id))!;
        assert.equal(await peer.sessions.lease(s.id), null);
        assert.equal(await peer.sessions.sweepExpired(new Date(Date.now() + 2 * HOUR)), 0, "a leased session is not swept by another instance");
        await held.release();
        await writeRange(peer, s, data, 100_000, 200_000);
        const att = (await store.attachments.all("o1", task.id))[0]!;
        assert.ok((await readAll(await store.attachments.read(att))).equals(data));
      } finally {
        await peer.close();
      }
    });

    test("ranges alternating between instances still complete with the object's SHA-256", async () => {
      // Each instance may hold a running hash for the offsets it wrote; one that is behind the
      // committed offset (the other instance wrote since) must not be used.
      const peer = await t.openPeer();
      try {
        const { task } = await seed(store, "o1");
        for (const order of [[store, peer, store], [store, store, peer]]) {
          const data = randomBytes(300_000);
          const s = await openSession(store, task, data.length);
          for (let i = 0; i < 3; i++) await writeRange(order[i]!, s, data, i * 100_000, 100_000);
          const done = (await store.sessions.get(s.id))!;
          assert.equal(done.status, "completed");
          const att = (await store.attachments.all("o1", task.id)).find((a) => done.status === "completed" && a.id === done.attachmentId)!;
          assert.equal(att.sha256, sha(data));
        }
      } finally {
        await peer.close();
      }
    });
  });
}

/** A schema newer than this build (a downgrade) is refused, never used half-understood. */
export function shouldRefuseNewerSchema(open: OpenStore): void {
  describe("schema", () => {
    let t: StoreUnderTest;
    freshStoreEach(open, (x) => {
      t = x;
    });

    test("reopening data migrated by a newer Taskdrop fails with SchemaTooNewError, and leaves the data as it was", async () => {
      const { task } = await seed(t.store, "o1");
      await t.markSchemaNewer();
      await assert.rejects(t.reopen(), (e: unknown) => e instanceof SchemaTooNewError && /newer than this Taskdrop understands/.test((e as Error).message));
      await t.unmarkSchemaNewer();
      const store = await t.reopen();
      assert.ok(await store.tasks.get("o1", task.listId, task.id), "the data is still there for the right version");
    });
  });
}

/** reset() empties every user's data and bytes, keeps the settings, and leaves the store serving. */
export function shouldReset(open: OpenStore): void {
  describe("reset", () => {
    let t: StoreUnderTest;
    let store: Store;
    freshStoreEach(open, (x) => {
      t = x;
      store = x.store;
    });

    test("reset removes users, lists, tasks, attachments, sessions and their bytes; settings stay", async () => {
      await store.settings.getOrCreate("dev-signing-key", () => "the key");
      await store.users.ensure("oid-1", "alice@contoso.com");
      const { list, task } = await seed(store, "oid-1");
      const small = Buffer.from("hello");
      await store.attachments.createWithBytes(attachmentFor(task, small), small);
      const data = randomBytes(5000);
      const s = await openSession(store, task, data.length);
      await writeRange(store, s, data, 0, 1000);
      assert.ok((await t.storedBytes()) > 0);

      await store.reset();

      assert.equal(await store.users.find("oid-1"), undefined);
      assert.deepEqual(await store.lists.all("oid-1"), []);
      assert.equal(await store.tasks.get("oid-1", list.id, task.id), undefined);
      assert.deepEqual(await store.attachments.all("oid-1", task.id), []);
      assert.equal(await store.sessions.get(s.id), undefined);
      assert.equal(await t.storedBytes(), 0);
      assert.equal(await store.settings.getOrCreate("dev-signing-key", () => "a new key"), "the key");

      // Still serving, with nothing of the old data in the way.
      const again = await seed(store, "oid-1");
      const s2 = await openSession(store, again.task, data.length);
      const done = await upload(store, s2, data, [3000, 2000]);
      assert.equal(done.status, "completed");
      const att = (await store.attachments.all("oid-1", again.task.id))[0]!;
      assert.ok((await readAll(await store.attachments.read(att))).equals(data));
    });
  });
}

/** Every write of a list or task is numbered in the owner's change sequence; deletions leave tombstones. */
export function shouldTrackChanges(open: OpenStore): void {
  describe("changes", () => {
    let t: StoreUnderTest;
    let store: Store;
    freshStoreEach(open, (x) => {
      t = x;
      store = x.store;
    });
    const all = (upTo: number, after = 0, removedAfter = 0) => ({ after, upTo, removedAfter, limit: 1000 });
    const summary = (cs: Array<{ seq: number } & ({ item: { id: string } } | { removed: string })>) =>
      cs.map((c) => ("item" in c ? `+${c.item.id}` : `-${c.removed}`));

    test("numbers creates, updates and deletes of tasks in order, per list", async () => {
      assert.deepEqual(await store.changes.position("o1"), { seq: 0, floor: 0 });
      const { list, task } = await seed(store, "o1");
      const other = listFor("o1", "Other");
      await store.lists.create(other);
      const elsewhere = taskFor(other);
      await store.tasks.create(elsewhere);
      const p1 = await store.changes.position("o1");
      assert.equal(p1.seq, 4, "list, task, list, task");
      assert.deepEqual(summary(await store.changes.tasks("o1", list.id, all(p1.seq))), [`+${task.id}`]);
      const t2 = taskFor(list, "second");
      await store.tasks.create(t2);
      await store.tasks.update("o1", list.id, task.id, (x) => ({ ...x, changeKey: "tk-1" }));
      await store.tasks.delete("o1", list.id, t2.id, () => {});
      const p2 = await store.changes.position("o1");
      assert.equal(p2.seq, 7);
      const since = await store.changes.tasks("o1", list.id, all(p2.seq, p1.seq, p1.seq));
      assert.deepEqual(summary(since), [`+${task.id}`, `-${t2.id}`], "the updated task once (its newest state), the deleted one as a tombstone");
      assert.equal((since[0] as { item: Task }).item.changeKey, "tk-1");
      assert.deepEqual(since.map((c) => c.seq), [6, 7]);
      assert.deepEqual(summary(await store.changes.tasks("o1", other.id, all(p2.seq))), [`+${elsewhere.id}`], "another list's stream is its own");
      assert.deepEqual(summary(await store.changes.tasks("o2", list.id, all(p2.seq))), [], "another owner sees nothing");
    });

    test("honours upTo, limit and removedAfter", async () => {
      const { list } = await seed(store, "o1");
      const ts = [taskFor(list, "a"), taskFor(list, "b"), taskFor(list, "c")];
      for (const x of ts) await store.tasks.create(x);
      await store.tasks.delete("o1", list.id, ts[0]!.id, () => {});
      const p = await store.changes.position("o1");
      assert.equal(p.seq, 6);
      assert.deepEqual((await store.changes.tasks("o1", list.id, all(4))).map((c) => c.seq), [2, 4], "nothing numbered above upTo (the deleted task's row is gone)");
      assert.deepEqual(
        (await store.changes.tasks("o1", list.id, { after: 0, upTo: p.seq, removedAfter: 0, limit: 2 })).map((c) => c.seq),
        [2, 4],
      );
      assert.equal((await store.changes.tasks("o1", list.id, all(p.seq, 0, 6))).filter((c) => "removed" in c).length, 0, "deletions before removedAfter are left out");
      assert.equal((await store.changes.tasks("o1", list.id, all(p.seq, 0, 5))).filter((c) => "removed" in c).length, 1);
    });

    test("lists: creation, rename and deletion; a deleted list's task tombstones go with it", async () => {
      const { list, task } = await seed(store, "o1");
      await store.lists.ensureDefault("o1", () => listFor("o1", "Tasks", "defaultList"));
      await store.lists.update("o1", list.id, (l) => ({ ...l, displayName: "Renamed" }));
      await store.tasks.delete("o1", list.id, task.id, () => {});
      await store.lists.delete("o1", list.id, () => {});
      const p = await store.changes.position("o1");
      const cs = await store.changes.lists("o1", all(p.seq));
      assert.equal(cs.length, 2);
      assert.equal((cs[0] as { item: TaskList }).item.wellknownListName, "defaultList");
      assert.deepEqual(summary(cs.slice(1)), [`-${list.id}`]);
      assert.deepEqual(await store.changes.tasks("o1", list.id, all(p.seq)), []);
    });

    test("an attachment added or removed counts as a change of its task (hasAttachments)", async () => {
      const { list, task } = await seed(store, "o1");
      const before = (await store.changes.position("o1")).seq;
      const att = attachmentFor(task, Buffer.from("hi"));
      await store.attachments.createWithBytes(att, Buffer.from("hi"));
      const afterAdd = (await store.changes.position("o1")).seq;
      assert.ok(afterAdd > before);
      assert.deepEqual(summary(await store.changes.tasks("o1", list.id, all(afterAdd, before, before))), [`+${task.id}`]);
      await store.attachments.delete("o1", task.id, att.id);
      const afterDelete = (await store.changes.position("o1")).seq;
      assert.deepEqual(summary(await store.changes.tasks("o1", list.id, all(afterDelete, afterAdd, afterAdd))), [`+${task.id}`]);
    });

    test("prune forgets old tombstones and raises the floor; numbers survive a reopen", async () => {
      const { list, task } = await seed(store, "o1");
      await store.tasks.delete("o1", list.id, task.id, () => {});
      const p = await store.changes.position("o1");
      assert.equal(await store.changes.prune(new Date(Date.now() - HOUR)), 0, "nothing that old");
      assert.equal(await store.changes.prune(new Date(Date.now() + HOUR)), 1);
      assert.deepEqual(await store.changes.position("o1"), { seq: p.seq, floor: p.seq });
      assert.deepEqual(await store.changes.tasks("o1", list.id, all(p.seq)), []);
      store = await t.reopen();
      assert.deepEqual(await store.changes.position("o1"), { seq: p.seq, floor: p.seq });
      await store.tasks.create(taskFor(list));
      assert.equal((await store.changes.position("o1")).seq, p.seq + 1);
    });

    test("reset keeps numbering past every token issued before it and raises the floor above them", async () => {
      const { list } = await seed(store, "o1");
      const before = await store.changes.position("o1");
      await store.reset();
      const after = await store.changes.position("o1");
      assert.ok(after.floor > before.seq, "a token from before the reset is older than the floor (410)");
      assert.ok(after.seq >= after.floor, "a new round starts at or above the floor");
      await store.lists.create(listFor("o1"));
      assert.ok((await store.changes.position("o1")).seq > after.seq);
      assert.deepEqual(await store.changes.tasks("o1", list.id, all(after.seq + 10)), []);
    });
  });
}

/**
 * Queries run in the database (issue 15): every store answers `tasks.query` / `lists.query` exactly
 * as the in-memory evaluator (src/domain/query.ts) answers over the same items, on random data
 * and random filters, orders and pages.
 */
export function shouldQueryCollections(open: OpenStore): void {
  describe("queries", () => {
    let store: Store;
    freshStoreEach(open, (x) => {
      store = x.store;
    });
    const readTask = (t: Task) => viewReader(TASK_QUERY, taskView(t));
    const ids = (p: QueryPage<{ id: string }>) => p.items.map((x) => x.id);

    test("random filters, orders and pages give what the in-memory evaluator gives", async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          taskSamples("", ""),
          fc.option(filterSample, { nil: undefined }),
          fc.option(orderSample, { nil: undefined }),
          fc.integer({ min: 0, max: 8 }),
          fc.integer({ min: 0, max: 12 }),
          fc.boolean(),
          async (sample, filter, order, skip, top, count) => {
            // A list per run (ids unique per run), in one store: cheaper than a store per run.
            const owner = `q-owner-${run}`;
            const list = listFor(owner);
            run++;
            await store.lists.create(list);
            const tasks = sample.map((t) => ({ ...t, id: `${t.id}r${run}`, ownerOid: owner, listId: list.id }));
            for (const t of tasks) await store.tasks.create(t);
            const q: CollectionQuery = { filter: filter?.expr, orderBy: order?.keys ?? [], skip, top, count };
            const got = await store.tasks.query(owner, list.id, q);
            // The oracle runs over what the store holds (it keeps its own attachment counts).
            const want = pageInMemory(await store.tasks.all(owner, list.id), q, readTask);
            const what = `${filter?.text} / ${order?.text} / skip ${skip} top ${top}`;
            assert.deepEqual(ids(got), ids(want), what);
            assert.equal(got.more, want.more, what);
            assert.equal(got.count, want.count, what);
          },
        ),
        { numRuns: 150 },
      );
    });

    test("keyset pages (each starting after the last one's sort key) walk the same order as one page of everything", async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(taskSamples("", ""), fc.option(filterSample, { nil: undefined }), fc.option(orderSample, { nil: undefined }), fc.integer({ min: 1, max: 5 }), async (sample, filter, order, top) => {
          const owner = `k-owner-${run}`;
          const list = listFor(owner);
          run++;
          await store.lists.create(list);
          for (const t of sample) await store.tasks.create({ ...t, id: `${t.id}k${run}`, ownerOid: owner, listId: list.id });
          const base: CollectionQuery = { filter: filter?.expr, orderBy: order?.keys ?? [], skip: 0, top, count: false };
          const walked: string[] = [];
          let q: CollectionQuery = base;
          for (let pages = 0; ; pages++) {
            assert.ok(pages <= sample.length + 1, "the walk ends");
            const page = await store.tasks.query(owner, list.id, q);
            walked.push(...ids(page));
            assert.equal(page.last !== undefined, page.more, "a page with more after it gives its last sort key");
            if (!page.more) break;
            q = { ...base, after: page.last };
          }
          const want = pageInMemory(await store.tasks.all(owner, list.id), { ...base, top: 1000 }, readTask);
          assert.deepEqual(walked, ids(want), `${filter?.text} / ${order?.text} / top ${top}`);
        }),
        { numRuns: 100 },
      );
    });

    test("the query columns follow every write of the document", async () => {
      const { list, task } = await seed(store, "q-writes");
      const byTitle = (f: string) => store.tasks.query("q-writes", list.id, { filter: parseFilter(f, TASK_QUERY), orderBy: [], skip: 0, top: 10, count: true });
      assert.equal((await byTitle("title eq 'task'")).count, 1);
      await store.tasks.update("q-writes", list.id, task.id, (t) => ({ ...t, doc: { ...t.doc, title: "Renamed", status: "completed", categories: ["Work"] } }));
      assert.equal((await byTitle("title eq 'task'")).count, 0);
      assert.equal((await byTitle("title eq 'RENAMED' and status eq 'completed' and categories/any(c:c eq 'work')")).count, 1);
    });

    test("values never become SQL: quotes, wildcards and statements in literals are just text", async () => {
      const list = listFor("q-inject");
      await store.lists.create(list);
      const nasty = ["'; DROP TABLE tasks; --", "100%_\\", "a' OR '1'='1", "$1 ?"];
      for (const title of nasty) await store.tasks.create(taskFor(list, title));
      for (const title of nasty) {
        const text = `title eq '${title.replace(/'/g, "''")}' or contains(title, '${title.slice(0, 3).replace(/'/g, "''")}') and startswith(title, '${title.replace(/'/g, "''")}')`;
        const p = await store.tasks.query("q-inject", list.id, { filter: parseFilter(text, TASK_QUERY), orderBy: [], skip: 0, top: 10, count: true });
        assert.deepEqual(p.items.map((t) => t.doc.title), [title], text);
      }
      assert.equal((await store.tasks.query("q-inject", list.id, { filter: undefined, orderBy: [], skip: 0, top: 10, count: true })).count, nasty.length);
    });

    test("a query sees only its owner's list", async () => {
      const a = await seed(store, "q-a");
      const b = await seed(store, "q-b");
      const all: CollectionQuery = { filter: undefined, orderBy: [{ prop: "title", desc: false }], skip: 0, top: 50, count: true };
      assert.deepEqual(ids(await store.tasks.query("q-a", a.list.id, all)), [a.task.id]);
      assert.equal((await store.tasks.query("q-a", b.list.id, all)).count, 0);
      assert.deepEqual(ids(await store.lists.query("q-b", { ...all, orderBy: [] })), [b.list.id]);
    });

    test("lists: filter, order (folded display names, enum ordinal) and count", async () => {
      const owner = "q-lists";
      const made = [listFor(owner, "beta"), listFor(owner, "Alpha", "defaultList"), listFor(owner, "gamma"), listFor(owner, "ALPHA")];
      for (const l of made) await store.lists.create(l);
      const run = async (f: string | undefined, order: string) =>
        store.lists.query(owner, { filter: f ? parseFilter(f, LIST_QUERY) : undefined, orderBy: parseOrderBy(order, LIST_QUERY), skip: 0, top: 10, count: true });
      const byName = await run(undefined, "displayName desc");
      assert.deepEqual(byName.items.map((l) => l.displayName), ["gamma", "beta", ...[made[1]!, made[3]!].sort((x, y) => (x.id < y.id ? 1 : -1)).map((l) => l.displayName)]);
      assert.deepEqual((await run("wellknownListName eq 'defaultList'", "displayName")).items.map((l) => l.id), [made[1]!.id]);
      assert.equal((await run("startswith(displayName,'al') and isOwner eq true", "displayName")).count, 2);
    });
  });
}

function childFor(parent: { listId: string; taskId: string; ownerOid: string }, kind: ChildKind, doc: Record<string, unknown> = { displayName: "step", isChecked: false }, id = kind === "extension" ? `microsoft.graph.openTypeExtension.n${randomBytes(4).toString("hex")}` : newId(kind)): TaskChild {
  return { kind, id, ownerOid: parent.ownerOid, listId: parent.listId, taskId: parent.taskId, createdAt: iso(), doc };
}

/** checklistItems, linkedResources and extensions under a task or a list (task_children). */
export function shouldKeepTaskChildren(open: OpenStore): void {
  describe("task children", () => {
    let store: Store;
    freshStoreEach(open, (x) => {
      store = x.store;
    });
    const under = (task: Task) => ({ listId: task.listId, taskId: task.id, ownerOid: task.ownerOid });

    test("create, list by parent and kind in order, get, update, delete; documents round-trip", async () => {
      const { task } = await seed(store);
      const p = { listId: task.listId, taskId: task.id };
      const a = childFor(under(task), "checklistItem", { displayName: "a", isChecked: false });
      const b = childFor(under(task), "checklistItem", { displayName: "b ü", isChecked: true, checkedDateTime: iso() });
      const link = childFor(under(task), "linkedResource", { webUrl: "https://example.com/", displayName: "x" });
      const ext = childFor(under(task), "extension", { extensionName: "n", nested: { a: [1, { b: null }] } });
      for (const c of [a, b, link, ext]) await store.children.create(c, 10);
      assert.deepEqual((await store.children.all("owner-1", p, "checklistItem")).map((c) => c.id), [a.id, b.id]);
      assert.deepEqual(await store.children.get("owner-1", p, "checklistItem", b.id), b);
      assert.deepEqual(await store.children.get("owner-1", p, "extension", ext.id), ext);
      assert.equal(await store.children.get("owner-1", p, "linkedResource", a.id), undefined, "a kind is its own namespace");
      assert.equal(await store.children.get("owner-2", p, "checklistItem", a.id), undefined, "another owner sees nothing");
      const changed = await store.children.update("owner-1", p, "checklistItem", a.id, (c) => ({ ...c, doc: { ...c.doc, displayName: "A" } }));
      assert.equal(changed?.doc.displayName, "A");
      assert.equal((await store.children.get("owner-1", p, "checklistItem", a.id))?.doc.displayName, "A");
      assert.equal(await store.children.update("owner-2", p, "checklistItem", a.id, (c) => c), undefined);
      assert.equal(await store.children.delete("owner-2", p, "checklistItem", a.id), false);
      assert.equal(await store.children.delete("owner-1", p, "checklistItem", a.id), true);
      assert.equal(await store.children.delete("owner-1", p, "checklistItem", a.id), false);
      assert.deepEqual((await store.children.ofTasks("owner-1", task.listId, "checklistItem", [task.id])).map((c) => c.id), [b.id]);
    });

    test("refuses a missing or foreign parent, a full parent, and an id the parent has", async () => {
      const { list, task } = await seed(store);
      const foreign = { ...under(task), ownerOid: "owner-2" };
      await assert.rejects(store.children.create(childFor(foreign, "checklistItem"), 10), isKind("notFound"));
      await assert.rejects(store.children.create(childFor({ ...under(task), taskId: newId("task") }, "checklistItem"), 10), isKind("notFound"));
      await store.children.create(childFor(under(task), "linkedResource", {}), 2);
      await store.children.create(childFor(under(task), "linkedResource", {}), 2);
      await assert.rejects(store.children.create(childFor(under(task), "linkedResource", {}), 2), isKind("invalidRequest"));
      const ext = childFor({ listId: list.id, taskId: "", ownerOid: "owner-1" }, "extension", { extensionName: "same" }, "microsoft.graph.openTypeExtension.same");
      await store.children.create(ext, 10);
      await assert.rejects(store.children.create({ ...ext, doc: { extensionName: "same", v: 2 } }, 10), isKind("alreadyExists"));
      assert.equal((await store.children.all("owner-1", { listId: list.id, taskId: "" }, "extension")).length, 1);
      assert.equal((await store.children.ofTasks("owner-1", list.id, "extension", ["", task.id])).length, 0, "a list's own extensions are not its tasks'");
    });

    test("a task created with children creates all or nothing", async () => {
      const { list } = await seed(store);
      const t = taskFor(list, "with children");
      const kids = [childFor(under(t), "checklistItem"), childFor(under(t), "linkedResource", {})];
      await store.tasks.create(t, kids);
      assert.equal((await store.children.all("owner-1", { listId: list.id, taskId: t.id }, "checklistItem")).length, 1);
      const bad = taskFor(list, "duplicate children");
      const twice = childFor(under(bad), "extension", { extensionName: "x" }, "microsoft.graph.openTypeExtension.x");
      await assert.rejects(store.tasks.create(bad, [twice, { ...twice }]), isKind("alreadyExists"));
      assert.equal(await store.tasks.get("owner-1", list.id, bad.id), undefined, "the task went with its children");
      assert.equal((await store.children.all("owner-1", { listId: list.id, taskId: bad.id }, "extension")).length, 0);
    });

    test("deleting a task or a list deletes its children", async () => {
      const { list, task } = await seed(store);
      const other = taskFor(list, "other");
      await store.tasks.create(other);
      await store.children.create(childFor(under(task), "checklistItem"), 10);
      await store.children.create(childFor(under(other), "checklistItem"), 10);
      await store.children.create(childFor({ listId: list.id, taskId: "", ownerOid: "owner-1" }, "extension", { extensionName: "l" }), 10);
      await store.tasks.delete("owner-1", list.id, task.id, () => {});
      assert.deepEqual((await store.children.ofTasks("owner-1", list.id, "checklistItem", [task.id, other.id])).map((c) => c.taskId), [other.id]);
      assert.deepEqual(await store.children.ofTasks("owner-1", list.id, "checklistItem", [task.id]), [], "only the named tasks' children");
      await store.lists.delete("owner-1", list.id, () => {});
      assert.equal((await store.children.ofTasks("owner-1", list.id, "checklistItem", [task.id, other.id])).length, 0);
      assert.equal((await store.children.all("owner-1", { listId: list.id, taskId: "" }, "extension")).length, 0);
      // A new task with the deleted one's parent path sees none of the old children.
      const again = { ...taskFor(list), id: task.id };
      await store.lists.create(list);
      await store.tasks.create(again);
      assert.equal((await store.children.all("owner-1", { listId: list.id, taskId: task.id }, "checklistItem")).length, 0);
    });

    test("a child's write is its parent's change: the task (or list) is numbered anew", async () => {
      const { list, task } = await seed(store);
      const p0 = (await store.changes.position("owner-1")).seq;
      const c = childFor(under(task), "checklistItem");
      await store.children.create(c, 10);
      await store.children.update("owner-1", { listId: list.id, taskId: task.id }, "checklistItem", c.id, (x) => x);
      await store.children.delete("owner-1", { listId: list.id, taskId: task.id }, "checklistItem", c.id);
      const p1 = (await store.changes.position("owner-1")).seq;
      assert.equal(p1, p0 + 3);
      const changes = await store.changes.tasks("owner-1", list.id, { after: p0, upTo: p1, removedAfter: p0, limit: 10 });
      assert.deepEqual(changes.map((x) => x.seq), [p1], "the task once, at its newest number");
      await store.children.create(childFor({ listId: list.id, taskId: "", ownerOid: "owner-1" }, "extension", { extensionName: "l" }), 10);
      const lists = await store.changes.lists("owner-1", { after: p1, upTo: p1 + 1, removedAfter: p1, limit: 10 });
      assert.deepEqual(lists.map((x) => ("item" in x ? x.item.id : "")), [list.id]);
    });
  });
}
