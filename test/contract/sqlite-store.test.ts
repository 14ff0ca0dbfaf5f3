// The store contract against the embedded store (SQLite + files): every group but the one for
// several instances (one process owns a data directory).
import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe } from "node:test";
import { MIGRATIONS } from "../../src/store/sqlite/migrations.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { blobBytes } from "../helpers/files.js";
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

async function open(): Promise<StoreUnderTest> {
  const dir = tempDir("taskdrop-contract-");
  let store: Store = await SqliteStore.open(dir);
  return {
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
