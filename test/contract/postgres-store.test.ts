// The store contract against the PostgreSQL store, each test in a fresh schema: every group,
// including several instances on one database. Skipped, saying why, when no PostgreSQL is
// reachable (TASKDROP_TEST_DATABASE_URL, default the local `test` db).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { GraphError } from "../../src/domain/errors.js";
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
  listFor,
  planFor,
  readAll,
  sessionFor,
  taskFor,
  type StoreUnderTest,
} from "./store-contract.js";

const skip = (await postgresSkipReason()) ?? false;

async function open(): Promise<StoreUnderTest & { schema: string; openPeer(): Promise<Store> }> {
  const schema = await createTestSchema();
  const migrations = `"${schema.schema}".taskdrop_migrations`;
  let store: Store = await PgStore.open(schema.url);
  const peers: Store[] = [];
  return {
    schema: schema.schema,
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

describe("postgres store: a holder that stalled past its lease", { skip }, () => {
  test("commits nothing and removes nothing of the instance that took the session over", async () => {
    // The first holder's lease lapses while its body is held midway (simulated: the claim expired
    // and handed on), another instance takes the session and stages the same range; the first
    // holder's late rows and its cleanup must leave the new holder's upload whole.
    const t = await open();
    try {
      const { store } = t;
      const peer = await t.openPeer();
      const list = listFor("o1");
      await store.lists.create(list);
      const task = taskFor(list);
      await store.tasks.create(task);
      const data = randomBytes(700_000);
      const s = sessionFor(task, data.length);
      await store.sessions.create(s, 100);
      const chunkRows = async () => Number((await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM "${t.schema}".blob_chunks`))[0]!.n);

      const first = heldBody(data, 300_000);
      const lease = (await store.sessions.lease(s.id))!;
      const writing = lease.writeRange({ offset: 0, length: data.length, body: first.body, final: true, plan: planFor(s, 0, data, true) });
      writing.catch(() => {});
      await first.midway;
      await waitFor(async () => (await chunkRows()) === 1, "the first holder's first row");
      await adminQuery(`UPDATE "${t.schema}".sessions SET lease_token = 'lapsed', lease_until = now() - interval '1 second' WHERE id = $1`, [s.id]);

      const second = heldBody(data, 300_000);
      const taken = await peer.sessions.lease(s.id);
      assert.ok(taken, "the lapsed session can be taken over");
      const writingAgain = taken.writeRange({ offset: 0, length: data.length, body: second.body, final: true, plan: planFor(s, 0, data, true) });
      await second.midway;
      await waitFor(async () => (await chunkRows()) === 1, "the new holder's first row (the old one removed on takeover)");

      first.release();
      await assert.rejects(writing, (e: unknown) => e instanceof GraphError && e.kind === "conflict");
      await lease.release();
      assert.equal(await chunkRows(), 1, "the stalled holder staged nothing more and removed nothing");

      second.release();
      const done = await writingAgain;
      await taken.release();
      assert.equal(done.status, "completed");
      const att = (await store.attachments.all("o1", task.id))[0]!;
      assert.equal(att.sha256, createHash("sha256").update(data).digest("hex"));
      assert.ok((await readAll(await store.attachments.read(att))).equals(data));
      assert.equal((await store.tasks.get("o1", list.id, task.id))?.attachmentCount, 1);
    } finally {
      await t.close();
    }
  });
});

/** A body that yields `upTo` bytes, then waits for release() before the rest. */
function heldBody(data: Buffer, upTo: number) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let reached!: () => void;
  const midway = new Promise<void>((r) => (reached = r));
  async function* body(): AsyncGenerator<Buffer> {
    yield data.subarray(0, upTo);
    reached();
    await gate;
    yield data.subarray(upTo);
  }
  return { body: body(), midway, release };
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
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
