// Three `taskdrop serve --store postgres` processes on one database: any instance takes the next
// range of any session, an instance killed with SIGKILL mid-range loses nothing acknowledged and
// blocks nobody, and concurrent PUTs to one session through different instances have one winner.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { childEnv, CLI, runCli } from "../helpers/cli.js";
import { makeSession, makeTask, putAfterConflicts } from "../helpers/fixtures.js";
import { call } from "../helpers/http.js";
import { MIGRATIONS } from "../../src/store/postgres/migrations.js";
import { adminQuery, createTestSchema, postgresSkipReason, urlWithSchema, type TestSchema } from "../helpers/postgres.js";
import { sleep, waitFor } from "../helpers/wait.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

const skip = (await postgresSkipReason()) ?? false;

/** One `taskdrop serve` process. Its PostgreSQL connections carry `appName`, so the test can watch them. */
class Instance {
  url = "";
  stderr = "";
  private exited!: Promise<void>;
  private constructor(
    readonly appName: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(appName: string, schema: string, dataDir: string): Promise<Instance> {
    const databaseUrl = urlWithSchema(schema, { application_name: appName });
    const args = [CLI, "serve", "--store", "postgres", "--database-url", databaseUrl, "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], env: childEnv() });
    const i = new Instance(appName, child);
    i.exited = new Promise((r) => child.once("exit", () => r()));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => (i.stderr += s));
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 30_000);
      const check = () => {
        const m = /serving (http:\/\/127\.0\.0\.1:\d+)/.exec(i.stderr);
        if (m) {
          i.url = m[1]!;
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stderr!.on("data", check);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!ok) {
      await i.kill();
      throw new Error(`taskdrop serve (${appName}) did not start:\n${i.stderr}`);
    }
    return i;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.alive) this.child.kill(signal);
    await this.exited;
  }

  /** The same URL served by this instance. */
  at(url: string): string {
    const u = new URL(url);
    return this.url + u.pathname + u.search;
  }
}

interface PendingPut {
  /** Resolves with the status, or with 0 when the connection died before an answer. */
  done: Promise<number>;
  /** Sends the rest of the body. */
  finish(): void;
}

/** A PUT whose body is sent in two steps: `first` now, the rest when `finish()` is called. */
function splitPut(url: string, data: Buffer, start: number, end: number, size: number, first: number): PendingPut {
  const body = data.subarray(start, end + 1);
  const req = request(url, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream", "content-length": String(body.length), "content-range": `bytes ${start}-${end}/${size}` },
  });
  const done = new Promise<number>((resolve) => {
    req.once("response", (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
      res.once("error", () => resolve(res.statusCode ?? 0));
    });
    req.once("error", () => resolve(0));
  });
  req.on("error", () => {}); // writes after an early answer or a kill may fail; the status is what counts
  req.write(body.subarray(0, first));
  return {
    done,
    finish: () => {
      if (!req.destroyed) req.end(body.subarray(first));
    },
  };
}

describe("several instances on one PostgreSQL database", { skip }, () => {
  let schema: TestSchema;
  let dataDir: string;
  let instances: Instance[] = [];
  let token: string;
  const tag = randomBytes(4).toString("hex");

  before(async () => {
    schema = await createTestSchema();
    dataDir = mkdtempSync(join(tmpdir(), "taskdrop-multi-"));
    // Started together: the migrations' advisory lock makes exactly one of them create the schema.
    instances = await Promise.all(["a", "b", "c"].map((n) => Instance.start(`taskdrop-mi-${tag}-${n}`, schema.schema, dataDir)));
    // The development signing key lives in the database: a token from the CLI works everywhere.
    const minted = await runCli(["token", "--user", "alice", "--store", "postgres", "--database-url", schema.url]);
    assert.equal(minted.code, 0, minted.stderr);
    token = minted.stdout.trim();
  });

  after(async () => {
    await Promise.all(instances.map((i) => i.kill()));
    rmSync(dataDir, { recursive: true, force: true });
    await schema?.drop();
  });

  test("the schema was migrated once, and every instance accepts the same token and sees the same data", async () => {
    const rows = await adminQuery<{ version: number }>(`SELECT version FROM "${schema.schema}".taskdrop_migrations ORDER BY version`);
    // Each step exactly once, though every instance ran migrate() at start.
    assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((_, i) => i + 1));
    const { taskUrl } = await makeTask(instances[0]!.url, token);
    for (const i of instances) {
      const r = await call("GET", i.at(taskUrl), { token });
      assert.equal(r.status, 200, `${i.appName}: ${r.text}`);
      assert.equal(r.json.title, "Fixture task");
    }
  });

  test("concurrent PUTs of one range through different instances: exactly one wins", async () => {
    const size = 1_000_000;
    const uploadUrl = await makeSession(await makeTask(instances[0]!.url, token), size, "multi.bin");
    const L = 600_000;
    // Each instance is sent different bytes for the same range, so no answer can be a replay.
    const bodies = instances.map(() => randomBytes(size));
    const puts = instances.map((inst, k) => splitPut(inst.at(uploadUrl), bodies[k]!, 0, L - 1, size, 300_000));
    // One of them holds the lease while its body is incomplete; the others are refused meanwhile.
    const early: number[] = [];
    for (const p of puts) void p.done.then((s) => early.push(s));
    await waitFor("two PUTs were answered", async () => early.length >= 2);
    for (const p of puts) p.finish();
    const statuses = await Promise.all(puts.map((p) => p.done));
    assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses}`);
    for (const s of statuses) assert.ok([200, 409, 416].includes(s), `statuses: ${statuses}`);
    const winner = bodies[statuses.indexOf(200)]!;

    // The session holds the winner's bytes: finish it through another instance and compare.
    const rest = await putAfterConflicts(instances[2]!.at(uploadUrl), winner, L, size - 1, 5_000);
    assert.equal(rest.status, 201, rest.text);
    const value = await call("GET", `${instances[1]!.at(rest.headers.get("location")!)}/$value`, { token });
    assert.equal(value.status, 200);
    assert.equal(sha(value.bytes), sha(winner));
  });

  test("ranges alternate between instances; one is killed (SIGKILL) mid-range; the others finish; $value is identical everywhere", async () => {
    const data = randomBytes(3_000_000);
    const R = 500_000;
    const uploadUrl = await makeSession(await makeTask(instances[0]!.url, token), data.length, "multi.bin");
    let offset = 0;
    // Three ranges, one through each instance.
    for (const inst of instances) {
      const r = await putAfterConflicts(inst.at(uploadUrl), data, offset, offset + R - 1, 5_000);
      assert.equal(r.status, 200, `${inst.appName}: ${r.text}`);
      offset += R;
    }

    // The fourth range goes to instance a, which dies once some of it is staged past the committed offset.
    const victim = instances[0]!;
    const pending = splitPut(victim.at(uploadUrl), data, offset, offset + R - 1, data.length, 400_000);
    await waitFor("the victim has staged rows of its range", async () => {
      const rows = await adminQuery(
        `SELECT 1 FROM "${schema.schema}".blob_chunks c JOIN "${schema.schema}".sessions s ON s.blob = c.blob
         WHERE s.committed = $1 AND c.off >= $1`,
        [offset],
      );
      return rows.length > 0;
    });
    await victim.kill("SIGKILL");
    assert.equal(await pending.done, 0, "the killed instance never answered");

    const survivors = instances.slice(1);
    const status = await call("GET", survivors[0]!.at(uploadUrl));
    assert.equal(status.status, 200, status.text);
    assert.deepEqual(status.json.nextExpectedRanges, [`${offset}-`], "the unacknowledged range left nothing behind");

    let location = "";
    for (let k = 0; offset < data.length; k++) {
      const inst = survivors[k % survivors.length]!;
      const end = Math.min(offset + R, data.length) - 1;
      const r = await putAfterConflicts(inst.at(uploadUrl), data, offset, end, 5_000);
      assert.equal(r.status, end === data.length - 1 ? 201 : 200, `${inst.appName}: ${r.text}`);
      if (r.status === 201) location = r.headers.get("location")!;
      offset = end + 1;
    }
    for (const inst of survivors) {
      const value = await call("GET", `${inst.at(location)}/$value`, { token });
      assert.equal(value.status, 200);
      assert.ok(value.bytes.equals(data), `${inst.appName} serves the same bytes`);
    }
    // Exactly one copy of the object's bytes is stored: the killed range's staged rows were removed
    // by the next holder of the session.
    const [stored] = await adminQuery<{ n: string }>(
      `SELECT coalesce(sum(octet_length(c.data)), 0) AS n FROM "${schema.schema}".blob_chunks c
       JOIN "${schema.schema}".attachments a ON a.blob = c.blob WHERE a.size = $1`,
      [data.length],
    );
    assert.equal(Number(stored!.n), data.length);
  });
});
