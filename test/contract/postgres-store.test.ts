// The store contract against the PostgreSQL store, each test in a fresh schema. Skipped, saying
// why, when no PostgreSQL is reachable (TASKDROP_TEST_DATABASE_URL, default the local `test` db).
import { PgStore } from "../../src/store/postgres/pg-store.js";
import type { Store } from "../../src/store/types.js";
import { adminQuery, createTestSchema, postgresSkipReason } from "../helpers/postgres.js";
import { storeContract } from "./store-contract.js";

const skip = (await postgresSkipReason()) ?? false;

storeContract(
  "postgres",
  async () => {
    const schema = await createTestSchema();
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
      async close() {
        await Promise.all([store, ...peers].map((s) => s.close()));
        await schema.drop();
      },
    };
  },
  { skip },
);
