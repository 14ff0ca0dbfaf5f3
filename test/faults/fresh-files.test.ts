// The orphan sweep and files still being recorded. The embedded store writes a file before the
// record that names it is committed, so a janitor with no grace (--janitor-grace 0) could find such
// a file unnamed for a moment. The store never offers the files it wrote lately to the sweep; files
// left by an earlier process (a crash) are offered as soon as they are older than the grace.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BlobFiles } from "../../src/store/sqlite/blob-files.js";

const dir = mkdtempSync(join(tmpdir(), "taskdrop-fresh-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function listed(b: BlobFiles): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of b.list()) keys.push(key);
  return keys.sort();
}

test("files this process just wrote are not offered to the orphan sweep; an earlier process's are", async () => {
  const before = new BlobFiles(dir); // stands for the process that crashed
  const left = before.newKey();
  await before.create(left, randomBytes(100));

  const now = new BlobFiles(dir); // the restarted server
  const fresh = now.newKey();
  await now.create(fresh, randomBytes(100));
  const staged = now.newKey();
  await now.writeAt(staged, 0, 10, (async function* () {
    yield randomBytes(10);
  })());

  assert.deepEqual(await listed(now), [left], "only the file no live write of this process made");
  assert.deepEqual(await listed(before), [fresh, staged].sort(), "and the other way round");
});
