// The store contract against the embedded store (SQLite + files): every group but the one for
// several instances (one process owns a data directory).
import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { newId } from "../../src/domain/ids.js";
import type { Task, UploadSession } from "../../src/domain/models.js";
import { MIGRATIONS } from "../../src/store/sqlite/migrations.js";
import { INLINE_MAX, SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { blobBytes, filesUnder, inlineBlobs } from "../helpers/files.js";
import { tempDir } from "../helpers/server.js";
import {
  shouldCommitRanges,
  shouldKeepAttachments,
  shouldKeepLists,
  shouldKeepSettings,
  shouldKeepTasks,
  shouldKeepUsers,
  shouldManageSessions,
  shouldRefuseNewerSchema,
  shouldReset,
  shouldSurviveReopen,
  shouldKeepTaskChildren,
  shouldTrackChanges,
  shouldQueryCollections,
  type StoreUnderTest,
} from "./store-contract.js";

/** Sets the database's schema version behind the store's back (another process would). */
function setUserVersion(dataDir: string, v: number): void {
  const db = new Database(join(dataDir, "taskdrop.db"));
  try {
    db.pragma(`user_version = ${v}`);
  } finally {
    db.close();
  }
}

/** The data directory of each store under test. */
const dirOf = new WeakMap<StoreUnderTest, string>();

async function open(): Promise<StoreUnderTest> {
  const dir = tempDir("taskdrop-contract-");
  let store: Store = await SqliteStore.open(dir);
  const t: StoreUnderTest = {
    get store() {
      return store;
    },
    storedBytes: async () => blobBytes(dir).bytes,
    async reopen() {
      await store.close();
      store = await SqliteStore.open(dir);
      return store;
    },
    markSchemaNewer: async () => setUserVersion(dir, MIGRATIONS.length + 1),
    unmarkSchemaNewer: async () => setUserVersion(dir, MIGRATIONS.length),
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  dirOf.set(t, dir);
  return t;
}

describe("store contract: sqlite", () => {
  shouldKeepSettings(open);
  shouldKeepUsers(open);
  shouldKeepLists(open);
  shouldKeepTasks(open);
  shouldKeepAttachments(open);
  shouldManageSessions(open);
  shouldCommitRanges(open);
  shouldSurviveReopen(open);
  shouldRefuseNewerSchema(open);
  shouldReset(open);
  shouldTrackChanges(open);
  shouldQueryCollections(open);
  shouldKeepTaskChildren(open);
});

// Embedded-store specifics of issue 16: where a small object's bytes live.
describe("sqlite: small objects in the database", () => {
  test("a whole upload of up to 256 KiB in one range, and a small attachment, make no file; a larger one, and a first range of several, do", async () => {
    const t = await open();
    try {
      const store = t.store;
      const list = { id: newId("list"), ownerOid: "o1", displayName: "L", wellknownListName: "none" as const, isOwner: true, isShared: false, createdAt: new Date().toISOString(), changeKey: "c" };
      await store.lists.create(list);
      const now = new Date().toISOString();
      const task = { id: newId("task"), listId: list.id, ownerOid: "o1", createdAt: now, lastModifiedAt: now, changeKey: "t", doc: { title: "T" }, attachmentCount: 0 } as unknown as Task;
      await store.tasks.create(task);
      const upload = async (size: number, first: number) => {
        const data = randomBytes(size);
        const s: UploadSession = { id: newId("session"), ownerOid: "o1", listId: list.id, taskId: task.id, name: "f", contentType: "application/octet-stream", size, createdAt: now, expiresAt: new Date(Date.now() + 3600_000).toISOString(), lastRange: null, status: "open", committed: 0 };
        await store.sessions.create(s, 100);
        for (let off = 0; off < size; ) {
          const n = off === 0 ? first : size - off;
          const lease = (await store.sessions.lease(s.id))!;
          const final = off + n === size;
          await lease.writeRange({
            offset: off,
            length: n,
            body: (async function* () {
              yield data.subarray(off, off + n);
            })(),
            final,
            plan: (sha) => ({ lastRange: { start: off, end: off + n - 1 }, attachment: final ? { id: newId("attachment"), ownerOid: "o1", listId: list.id, taskId: task.id, name: "f", contentType: "application/octet-stream", size, sha256: sha!, createdAt: now, lastModifiedAt: now } : null }),
          });
          await lease.release();
          off += n;
        }
      };
      const files = () => [...filesUnder(join(dirOf.get(t)!, "blobs")).keys()].length;
      await upload(INLINE_MAX, INLINE_MAX);
      await store.attachments.createWithBytes({ id: newId("attachment"), ownerOid: "o1", listId: list.id, taskId: task.id, name: "s", contentType: "text/plain", size: 5, sha256: "x", createdAt: now, lastModifiedAt: now }, Buffer.from("hello"));
      assert.equal(files(), 0, "kept in the database");
      assert.equal(inlineBlobs(dirOf.get(t)!).count, 2);
      await upload(INLINE_MAX + 1, INLINE_MAX + 1);
      assert.equal(files(), 1, "past INLINE_MAX: a file");
      await upload(1000, 400);
      assert.equal(files(), 2, "in several ranges: a file");
      assert.equal(inlineBlobs(dirOf.get(t)!).count, 2);
    } finally {
      await t.close();
    }
  });
});
