// The store contract against the PostgreSQL store, each test in a fresh schema: every group,
// including several instances on one database. Skipped, saying why, when no PostgreSQL is
// reachable (TASKDROP_TEST_DATABASE_URL, default the local `test` db).
import { describe } from "node:test";
import { MIGRATIONS } from "../../src/store/postgres/migrations.js";
import { PgStore } from "../../src/store/postgres/pg-store.js";
import type { Store } from "../../src/store/types.js";
import { adminQuery, createTestSchema, postgresSkipReason } from "../helpers/postgres.js";
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
  shouldShareDataWithPeers,
  shouldSurviveReopen,
  shouldKeepTaskChildren,
  shouldTrackChanges,
  shouldQueryCollections,
  type StoreUnderTest,
} from "./store-contract.js";

const skip = (await postgresSkipReason()) ?? false;

async function open(): Promise<StoreUnderTest & { openPeer(): Promise<Store> }> {
  const schema = await createTestSchema();
  const migrations = `"${schema.schema}".taskdrop_migrations`;
  let store: Store = await PgStore.open(schema.url);
  const peers: Store[] = [];
  return {
    get store() {
      return store;
    },
    async storedBytes() {
      const rows = await adminQuery<{ n: string }>(`SELECT coalesce(sum(octet_length(data)), 0) AS n FROM "${schema.schema}".blob_chunks`);
      return Number(rows[0]!.n);
    },
    async reopen() {
      await store.close();
      store = await PgStore.open(schema.url);
      return store;
    },
    async openPeer() {
      const peer = await PgStore.open(schema.url);
      peers.push(peer);
      return peer;
    },
    markSchemaNewer: async () => void (await adminQuery(`INSERT INTO ${migrations} (version) VALUES ($1)`, [MIGRATIONS.length + 1])),
    unmarkSchemaNewer: async () => void (await adminQuery(`DELETE FROM ${migrations} WHERE version > $1`, [MIGRATIONS.length])),
    async close() {
      await Promise.all([store, ...peers].map((s) => s.close()));
      await schema.drop();
    },
  };
}

describe("store contract: postgres", { skip }, () => {
  shouldKeepSettings(open);
  shouldKeepUsers(open);
  shouldKeepLists(open);
  shouldKeepTasks(open);
  shouldKeepAttachments(open);
  shouldManageSessions(open);
  shouldCommitRanges(open);
  shouldSurviveReopen(open);
  shouldShareDataWithPeers(open);
  shouldRefuseNewerSchema(open);
  shouldReset(open);
  shouldTrackChanges(open);
  shouldQueryCollections(open);
  shouldKeepTaskChildren(open);
});
