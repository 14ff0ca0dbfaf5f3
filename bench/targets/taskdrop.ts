// Taskdrop itself, started from the build (dist/src/cli/main.js) with the embedded store, or with
// the PostgreSQL store when a database URL is given. Driven exactly as a Graph client would:
// createUploadSession, then PUT ranges with Content-Range to the uploadUrl (the session id is the
// capability, so no token is sent there, as the .NET and Java SDKs do), and verified by hashing
// GET {Location}/$value.
//
// A database outlives the run, so each start uses a user of its own (sessions a failed run left
// open never count against the next run's per-user cap), a failed upload cancels its session, and
// stopping deletes the list (and with it every task, attachment and session of the run).
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { checkReadBack, expectStatus, header, sendRanges } from "../lib/http.js";
import { benchDir, captureOutput, freePort, sleep, stopChild, Tail } from "../lib/proc.js";
import type { Endpoint, RunningTarget, StartOptions, Target } from "./types.js";

const mainJs = join(benchDir, "..", "src", "cli", "main.js");
/** The CLI of another checkout's build (taskdrop-ref, --ref DIR). */
const refMainJs = (dir: string) => join(dir, "dist", "src", "cli", "main.js");

/**
 * The reference build on PostgreSQL keeps to a schema of its own (created when missing): its
 * migrations may be older than this build's, and a Taskdrop refuses a schema newer than it knows.
 */
const REF_SCHEMA = "taskdrop_bench_ref";
async function refSchemaUrl(databaseUrl: string): Promise<string> {
  const { default: pg } = await import("pg");
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${REF_SCHEMA}`);
  } finally {
    await c.end();
  }
  const u = new URL(databaseUrl);
  u.searchParams.set("options", `-c search_path=${REF_SCHEMA}`);
  return u.toString();
}

/**
 * Makes the deleted rows' room reusable before the next repetition, as autovacuum would: on a
 * server running without it (this project's test machine), every repetition would otherwise
 * measure inserts into an ever larger table (blob_chunks grew to 14 GB holding 124 live rows).
 */
async function vacuumBytes(databaseUrl: string): Promise<void> {
  const { default: pg } = await import("pg");
  const c = new pg.Client({ connectionString: databaseUrl });
  try {
    await c.connect();
    await c.query("VACUUM blob_chunks");
  } catch (e) {
    process.stderr.write(`bench: VACUUM blob_chunks failed (${(e as Error).message})\n`);
  } finally {
    await c.end().catch(() => {});
  }
}

function storeArgs(kind: "sqlite" | "postgres", databaseUrl?: string): string[] {
  return kind === "postgres" ? ["--store", "postgres", "--database-url", databaseUrl!] : [];
}

/** The caller's environment without TASKDROP_* settings, so only our flags configure the server. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TASKDROP_")));
  // warn: per-request info lines would measure the logging pipe as much as the upload path.
  return { ...env, TASKDROP_LOG_LEVEL: "warn" };
}

async function waitForHealth(base: string, exited: () => string | undefined, tail: Tail): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const why = exited();
    if (why) throw new Error(`taskdrop serve exited (${why}) before it was healthy\n${tail}`);
    try {
      const res = await fetch(`${base}/_taskdrop/health`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`taskdrop serve: ${base}/_taskdrop/health was not 200 within 30 s\n${tail}`);
    await sleep(100);
  }
}

async function json(res: Response, ok: number, what: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  expectStatus({ status: res.status, body: text }, [ok], what);
  return JSON.parse(text) as Record<string, unknown>;
}

async function startTaskdrop(kind: "sqlite" | "postgres", opts: StartOptions, mainJs: string): Promise<RunningTarget> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const stores = storeArgs(kind, opts.databaseUrl);
  const tail = new Tail();
  const env = cleanEnv();
  const child = spawn(
    process.execPath,
    [...(opts.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`] : []), mainJs, "serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", opts.dataDir, ...stores],
    { stdio: ["ignore", "pipe", "pipe"], env },
  );
  captureOutput(child, tail);
  let exit: string | undefined;
  child.once("exit", (code, sig) => (exit = String(code ?? sig)));
  let auth: Record<string, string> | undefined;
  let listId: string | undefined;
  /** Best effort: deletes the run's list through the API (a database keeps it otherwise). */
  const dropList = async () => {
    if (kind !== "postgres" || !auth || !listId) return;
    // Authorization only: a Content-Type without a body is answered 400 (and nothing is deleted).
    const headers = { authorization: auth.authorization! };
    await fetch(`${base}/v1.0/me/todo/lists/${encodeURIComponent(listId)}`, { method: "DELETE", headers, signal: AbortSignal.timeout(30_000) })
      .then(async (r) => {
        await r.arrayBuffer();
        if (r.status !== 204) process.stderr.write(`bench: deleting the run's list answered ${r.status}; its data stays in the database\n`);
      })
      .catch((e: Error) => process.stderr.write(`bench: deleting the run's list failed (${e.message}); its data stays in the database\n`));
  };
  const mint = async (user: string): Promise<string> => {
    const { stdout } = await promisify(execFile)(process.execPath, [mainJs, "token", "--user", user, "--data-dir", opts.dataDir, ...stores], { env });
    const token = stdout.trim().split("\n").pop()?.trim() ?? "";
    if (!token) throw new Error(`\`taskdrop token --user ${user}\` printed no token`);
    return token;
  };
  try {
    await waitForHealth(base, () => exit, tail);
    const user = `bench-${randomBytes(6).toString("hex")}`;
    const token = await mint(user);
    auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const list = await json(
      await fetch(`${base}/v1.0/me/todo/lists`, { method: "POST", headers: auth, body: JSON.stringify({ displayName: "bench" }) }),
      201,
      "create list",
    );
    listId = String(list.id);
    const task = await json(
      await fetch(`${base}/v1.0/me/todo/lists/${encodeURIComponent(listId)}/tasks`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ title: "t" }),
      }),
      201,
      "create task",
    );
    const endpoint: Endpoint = { baseUrl: base, token, listId, taskId: String(task.id) };
    const stop = async () => {
      await dropList();
      await stopChild(child);
      if (kind === "postgres") await vacuumBytes(opts.databaseUrl!);
    };
    return { pid: child.pid!, endpoint, logTail: () => tail.toString(), stop, token: (other) => mint(`${user}-${other}`) };
  } catch (e) {
    await dropList();
    await stopChild(child);
    throw e;
  }
}

function makeTarget(name: string, kind: "sqlite" | "postgres", ref = false): Target {
  const cli = (refDir: string | undefined) => (ref ? refMainJs(refDir ?? ".") : mainJs);
  return {
    name,
    description: ref
      ? `Taskdrop built in the --ref checkout, ${kind === "postgres" ? "PostgreSQL" : "embedded"} store (the same-run "before")`
      : kind === "postgres"
        ? "Taskdrop, PostgreSQL store"
        : "Taskdrop, embedded store (SQLite + files)",
    verifies: "sha256",
    check({ databaseUrl, refDir }) {
      if (ref && !refDir) throw new Error(`the ${name} target needs --ref DIR (a checkout of Taskdrop, built)`);
      const mainJs = cli(refDir);
      if (!existsSync(mainJs)) {
        throw new Error(
          `the ${name} target needs the built server, but ${relative(process.cwd(), mainJs)} is missing: run \`npm run build\` ` +
            "(or leave Taskdrop out with --targets baseline,sink,tus)",
        );
      }
      if (kind === "postgres" && !databaseUrl) {
        throw new Error(`the ${name} target needs --database-url URL (or TASKDROP_DATABASE_URL)`);
      }
    },
    start: async (opts) =>
      startTaskdrop(kind, ref && kind === "postgres" ? { ...opts, databaseUrl: await refSchemaUrl(opts.databaseUrl!) } : opts, cli(opts.refDir)),
    client(endpoint, http) {
      const auth = { authorization: `Bearer ${String(endpoint.token)}` };
      const tasks = `${String(endpoint.baseUrl)}/v1.0/me/todo/lists/${encodeURIComponent(String(endpoint.listId))}/tasks`;
      const createUrl = `${tasks}/${encodeURIComponent(String(endpoint.taskId))}/attachments/createUploadSession`;
      return {
        async upload(data, rangeSize, onRange) {
          const created = await http.request(
            "POST",
            createUrl,
            { ...auth, "content-type": "application/json" },
            JSON.stringify({ attachmentInfo: { attachmentType: "file", name: "f.bin", size: data.length } }),
          );
          expectStatus(created, [200], "createUploadSession");
          const { uploadUrl } = JSON.parse(created.body) as { uploadUrl: string };
          let location: string | undefined;
          try {
            await sendRanges(data.length, rangeSize, onRange, async (start, end, last) => {
              const res = await http.request(
                "PUT",
                uploadUrl,
                { "content-type": "application/octet-stream", "content-range": `bytes ${start}-${end}/${data.length}` },
                data.subarray(start, end + 1),
              );
              expectStatus(res, [last ? 201 : 200], `PUT bytes ${start}-${end}/${data.length}`);
              if (last) location = header(res, "location");
            });
          } catch (e) {
            // Cancel the session (best effort) so it does not stay open against the user's cap.
            await http.request("DELETE", uploadUrl).catch(() => undefined);
            throw e;
          }
          if (!location) throw new Error("final PUT answered 201 without a Location header");
          return location;
        },
        async verify(handle, data) {
          const url = `${handle as string}/$value`;
          checkReadBack(await http.digest(url, auth), data, `GET ${url}`);
        },
      };
    },
  };
}

export const taskdrop = makeTarget("taskdrop", "sqlite");
export const taskdropPg = makeTarget("taskdrop-pg", "postgres");
export const taskdropRef = makeTarget("taskdrop-ref", "sqlite", true);
export const taskdropRefPg = makeTarget("taskdrop-ref-pg", "postgres", true);
