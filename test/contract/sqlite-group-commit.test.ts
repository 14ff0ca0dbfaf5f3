// The embedded store's upload fast path: commits of concurrent requests share one transaction
// (group commit) yet succeed or fail one by one, and the running SHA-256 of a session survives
// refused ranges and restarts.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { GraphError } from "../../src/domain/errors.js";
import { newId } from "../../src/domain/ids.js";
import type { Task, TaskList, UploadSession } from "../../src/domain/models.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { CommitPlan, Store } from "../../src/store/types.js";
import { tempDir } from "../helpers/server.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const iso = () => new Date().toISOString();

async function* pieces(data: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

function sessionFor(task: Task, size: number): UploadSession {
  return {
    id: newId("session"),
    ownerOid: task.ownerOid,
    listId: task.listId,
    taskId: task.id,
    name: "f.bin",
    contentType: "application/octet-stream",
    size,
    createdAt: iso(),
    expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    lastRange: null,
    status: "open",
    committed: 0,
  };
}

/** Writes data[offset, offset+length) through a lease; `refuse` makes the plan throw, as a bad Content-Digest does. */
async function put(store: Store, s: UploadSession, data: Buffer, offset: number, length: number, refuse = false): Promise<UploadSession> {
  const lease = await store.sessions.lease(s.id);
  assert.ok(lease);
  try {
    const piece = data.subarray(offset, offset + length);
    const final = offset + length === s.size;
    return await lease.writeRange({
      offset,
      length,
      body: pieces(piece),
      final,
      plan: (objectSha256): CommitPlan => {
        if (refuse) throw new GraphError("invalidRequest", "refused by the plan");
        const lastRange = { start: offset, end: offset + length - 1 };
        if (!final) return { lastRange, attachment: null };
        const now = iso();
        return {
          lastRange,
          attachment: { id: newId("attachment"), ownerOid: s.ownerOid, listId: s.listId, taskId: s.taskId, name: s.name, contentType: s.contentType, size: s.size, sha256: objectSha256!, createdAt: now, lastModifiedAt: now },
        };
      },
    });
  } finally {
    await lease.release();
  }
}

describe("sqlite store: group commit and running object hash", () => {
  const dir = tempDir("taskdrop-group-commit-");
  let store: SqliteStore;
  let task: Task;

  before(async () => {
    store = await SqliteStore.open(dir);
    const list: TaskList = { id: newId("list"), ownerOid: "o1", displayName: "L", wellknownListName: "none", isOwner: true, isShared: false, createdAt: iso(), changeKey: "c" };
    await store.lists.create(list);
    const now = iso();
    task = {
      id: newId("task"),
      listId: list.id,
      ownerOid: "o1",
      createdAt: now,
      lastModifiedAt: now,
      changeKey: "t",
      doc: { title: "t", body: { content: "", contentType: "text" }, importance: "normal", status: "notStarted", isReminderOn: false, categories: [], bodyLastModifiedDateTime: now },
      attachmentCount: 0,
    };
    await store.tasks.create(task);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("concurrent creations that share a commit still respect the open-session cap", async () => {
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => store.sessions.create(sessionFor({ ...task, ownerOid: "capped" }, 10), 5)));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 5);
    for (const r of results.filter((r) => r.status === "rejected")) {
      assert.ok((r as PromiseRejectedResult).reason instanceof GraphError, "the others are refused with a Graph error");
    }
  });

  test("in one group commit, a refused range rolls back alone; the others commit", async () => {
    const data = randomBytes(300_000);
    const sessions = Array.from({ length: 8 }, () => sessionFor(task, data.length));
    for (const s of sessions) await store.sessions.create(s, 1000);
    const results = await Promise.allSettled(sessions.map((s, i) => put(store, s, data, 0, 100_000, i % 2 === 1)));
    for (const [i, r] of results.entries()) {
      assert.equal(r.status, i % 2 === 1 ? "rejected" : "fulfilled", `range of session ${i}`);
      assert.equal((await store.sessions.get(sessions[i]!.id))!.committed, i % 2 === 1 ? 0 : 100_000);
    }
    // The refused ones start again at 0; everyone finishes with the right object hash.
    await Promise.all(sessions.map((s, i) => (i % 2 === 1 ? put(store, s, data, 0, 100_000) : Promise.resolve(s))));
    const done = await Promise.all(sessions.map((s) => put(store, s, data, 100_000, 200_000)));
    for (const s of done) {
      assert.equal(s.status, "completed");
      const att = await store.attachments.get("o1", task.id, s.status === "completed" ? s.attachmentId : "");
      assert.equal(att!.sha256, sha(data));
    }
  });

  test("a range refused after streaming does not disturb the running hash, nor does a restart", async () => {
    const data = randomBytes(700_000);
    const s = sessionFor(task, data.length);
    await store.sessions.create(s, 1000);
    await put(store, s, data, 0, 200_000);
    await assert.rejects(put(store, s, data, 200_000, 200_000, true)); // streamed and fsynced, then refused
    await put(store, s, data, 200_000, 200_000);
    await store.close();
    store = await SqliteStore.open(dir); // the in-memory state is gone: the final range hashes the file
    const done = await put(store, s, data, 400_000, 300_000);
    assert.equal(done.status, "completed");
    const att = await store.attachments.get("o1", task.id, done.status === "completed" ? done.attachmentId : "");
    assert.equal(att!.sha256, sha(data));
  });
});
