// The package's front door as a user's test suite meets it: `import("taskdrop")` by name, a server
// started from code, tokens, reset() between cases, close(); and the packed tarball carries every
// entry point package.json names.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { call } from "../helpers/http.js";
import { createTestSchema, postgresSkipReason } from "../helpers/postgres.js";
import { tempDir } from "../helpers/server.js";
import { callVia, fetchVia, trustingAgent } from "../helpers/tls.js";

type FrontDoor = typeof import("../../src/index.js");
// By the package's own name, as a dependent imports it (Node resolves a package's self-reference through "exports").
const pkgName = "taskdrop";
const { startTaskdrop } = (await import(pkgName)) as FrontDoor;

const pgSkip = (await postgresSkipReason()) ?? false;

const lists = (url: string, token: string) => call("GET", `${url}/v1.0/me/todo/lists`, { token });

async function makeListWithAttachment(url: string, token: string) {
  const list = await call("POST", `${url}/v1.0/me/todo/lists`, { token, json: { displayName: "Groceries" } });
  assert.equal(list.status, 201);
  const task = await call("POST", `${url}/v1.0/me/todo/lists/${list.json.id}/tasks`, { token, json: { title: "Milk" } });
  assert.equal(task.status, 201);
  const att = await call("POST", `${url}/v1.0/me/todo/lists/${list.json.id}/tasks/${task.json.id}/attachments`, {
    token,
    json: { "@odata.type": "#microsoft.graph.taskFileAttachment", name: "a.txt", contentBytes: Buffer.from("hello").toString("base64") },
  });
  assert.equal(att.status, 201);
  return { listId: list.json.id as string, taskId: task.json.id as string };
}

describe("startTaskdrop", () => {
  test("both entry points resolve by the package's name", async () => {
    assert.equal(typeof startTaskdrop, "function");
    const client = (await import(`${pkgName}/client`)) as Record<string, unknown>;
    assert.equal(typeof client.uploadAttachment, "function");
  });

  test("serves on a free port with a temporary data directory; tokens work; close() frees both", async () => {
    const td = await startTaskdrop();
    let closed = false;
    try {
      assert.match(td.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(td.port > 0);
      assert.equal(td.ca, undefined);
      const alice = await td.token("alice");
      const bob = await td.token("bob", { scopes: ["Tasks.Read"] });
      await makeListWithAttachment(td.url, alice);
      const mine = await lists(td.url, alice);
      assert.equal(mine.status, 200);
      assert.ok(mine.json.value.some((l: { displayName: string }) => l.displayName === "Groceries"));
      const theirs = await lists(td.url, bob);
      assert.equal(theirs.status, 200);
      assert.ok(!theirs.json.value.some((l: { displayName: string }) => l.displayName === "Groceries"), "users stay apart");
      const write = await call("POST", `${td.url}/v1.0/me/todo/lists`, { token: bob, json: { displayName: "x" } });
      assert.equal(write.status, 403, "scopes given to token() are the token's scopes");
      const app = await td.appToken("robot", ["Tasks.Read.All"]);
      assert.equal((await call("GET", `${td.url}/v1.0/users/alice@taskdrop.local/todo/lists`, { token: app })).status, 200);
      await td.close();
      closed = true;
      await assert.rejects(fetch(`${td.url}/v1.0/me/todo/lists`), "nothing listens after close()");
    } finally {
      if (!closed) await td.close();
    }
  });

  test("reset() empties every user's data without a restart; tokens stay valid", async () => {
    const dataDir = tempDir("taskdrop-front-");
    const td = await startTaskdrop({ dataDir });
    try {
      const alice = await td.token("alice");
      const { listId, taskId } = await makeListWithAttachment(td.url, alice);
      await td.reset();
      const after = await lists(td.url, alice);
      assert.equal(after.status, 200, "the token minted before reset() still works");
      assert.ok(!after.json.value.some((l: { id: string }) => l.id === listId), "the list is gone");
      const task = await call("GET", `${td.url}/v1.0/me/todo/lists/${listId}/tasks/${taskId}`, { token: alice });
      assert.equal(task.status, 404);
      // The server goes on serving: a fresh list, task and attachment after the reset.
      await makeListWithAttachment(td.url, alice);
    } finally {
      await td.close();
    }
    assert.ok(existsSync(join(dataDir, "taskdrop.db")), "a data directory the caller chose is kept");
  });

  test("other options by their configuration names; a bad one is refused and leaves nothing behind", async () => {
    const td = await startTaskdrop({ options: { sessionTtl: "60" } });
    try {
      const alice = await td.token("alice");
      const { listId, taskId } = await makeListWithAttachment(td.url, alice);
      const s = await call("POST", `${td.url}/v1.0/me/todo/lists/${listId}/tasks/${taskId}/attachments/createUploadSession`, {
        token: alice,
        json: { attachmentInfo: { attachmentType: "file", name: "b.bin", size: 10 } },
      });
      assert.equal(s.status, 200);
      const ttl = Date.parse(s.json.expirationDateTime) - Date.now();
      assert.ok(ttl > 0 && ttl <= 60_000, `session lifetime follows sessionTtl (${ttl} ms)`);
    } finally {
      await td.close();
    }
    await assert.rejects(startTaskdrop({ options: { sessionTtl: "soon" } }), /--session-ttl must be a whole number/);
  });

  test("https: the development CA comes back to be trusted", async () => {
    const td = await startTaskdrop({ https: true });
    try {
      assert.match(td.url, /^https:\/\//);
      assert.ok(td.ca?.includes("BEGIN CERTIFICATE"));
      assert.ok(td.caFile && readFileSync(td.caFile, "utf8") === td.ca);
      const r = await callVia(fetchVia(trustingAgent(td.ca)), "GET", `${td.url}/v1.0/me/todo/lists`, { token: await td.token() });
      assert.equal(r.status, 200);
    } finally {
      await td.close();
    }
  });

  test("PostgreSQL store: reset() empties the schema's data", { skip: pgSkip }, async () => {
    const schema = await createTestSchema();
    const td = await startTaskdrop({ store: "postgres", databaseUrl: schema.url });
    try {
      const alice = await td.token("alice");
      const { listId } = await makeListWithAttachment(td.url, alice);
      await td.reset();
      const after = await lists(td.url, alice);
      assert.equal(after.status, 200);
      assert.ok(!after.json.value.some((l: { id: string }) => l.id === listId));
    } finally {
      await td.close();
      await schema.drop();
    }
  });
});

describe("the packed tarball", () => {
  test("carries every file package.json's exports and bin point at, with type declarations", async () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { exports: Record<string, string>; bin: Record<string, string> };
    // --ignore-scripts: packing must not rebuild dist while the suites run from it.
    const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { maxBuffer: 64 * 1024 * 1024 });
    const files = new Set((JSON.parse(stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path));
    const targets = [...Object.values(pkg.exports), ...Object.values(pkg.bin)].map((p) => p.replace(/^\.\//, ""));
    for (const t of targets) {
      assert.ok(files.has(t), `${t} is in the tarball`);
      if (t.endsWith(".js") && !t.includes("/cli/")) assert.ok(files.has(t.replace(/\.js$/, ".d.ts")), `${t}'s declarations are in the tarball`);
    }
  });
});
