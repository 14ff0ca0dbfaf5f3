// Data files are the owner's only (issue 13 item 10): with a data directory that already exists
// as 0755 and a umask of 022, every file the server makes — database, WAL, shared memory, lock,
// pid, signing key, staged and attachment bytes — is 0600 and every directory it makes 0700, and
// the server warns at start that the directory itself is readable by others.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { finishUpload, makeSession, makeTask } from "../helpers/fixtures.js";
import { call } from "../helpers/http.js";
import { ProcessServer } from "../helpers/process-server.js";

const parent = mkdtempSync(join(tmpdir(), "taskdrop-modes-"));
after(() => rmSync(parent, { recursive: true, force: true }));

/** Every file and directory under `dir` (not `dir` itself) with its permission bits. */
function modesUnder(dir: string, rel = ""): { path: string; dir: boolean; mode: number }[] {
  const out: { path: string; dir: boolean; mode: number }[] = [];
  for (const name of readdirSync(join(dir, rel))) {
    const p = rel ? `${rel}/${name}` : name;
    const st = statSync(join(dir, p));
    out.push({ path: p, dir: st.isDirectory(), mode: st.mode & 0o777 });
    if (st.isDirectory()) out.push(...modesUnder(dir, p));
  }
  return out;
}

test("every file the server creates is 0600 and every directory 0700, in a data directory that was 0755; the start warns about the directory", async () => {
  const dataDir = join(parent, "data");
  mkdirSync(dataDir);
  chmodSync(dataDir, 0o755);
  // A database an older version left world-readable is narrowed too.
  writeFileSync(join(dataDir, "taskdrop.db"), "");
  chmodSync(join(dataDir, "taskdrop.db"), 0o644);
  const s = await ProcessServer.start({ dataDir });
  try {
    const f = await makeTask(s.url, await s.token());
    const data = randomBytes(300_000);
    const done = await finishUpload(await makeSession(f, data.length), data, 100_000);
    assert.equal((await call("GET", `${done}/$value`, { token: f.token })).status, 200);
    const open = await makeSession(f, 10); // a staged file for an open session
    assert.equal((await call("PUT", open, { body: Buffer.alloc(5), headers: { "content-range": "bytes 0-4/10" } })).status, 200);
    const entries = modesUnder(dataDir);
    const files = entries.filter((e) => !e.dir).map((e) => e.path);
    for (const expected of ["taskdrop.db", "taskdrop.db-wal", "taskdrop.db-shm", "taskdrop.lock", "taskdrop.pid", "signing-key.json"]) {
      assert.ok(files.includes(expected), `${expected} exists (${files.join(", ")})`);
    }
    assert.ok(files.filter((p) => p.startsWith("blobs/")).length >= 2, "attachment and staged files");
    const loose = entries.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600)).map((e) => `${e.path} ${e.mode.toString(8)}`);
    assert.deepEqual(loose, [], "files owner-only, directories 0700");
    assert.match(s.stdout, /"event":"data_dir_exposed"/);
    assert.match(s.stdout, /readable by other users \(mode 0755\)/);
  } finally {
    await s.close();
  }
});
