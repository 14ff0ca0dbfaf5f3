// What a test server left on disk: files under a directory, the embedded store's blob files.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

/** Every file under a directory with its size (relative paths). */
export function filesUnder(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p, rel ? `${rel}/${n}` : n);
      else out.set(rel ? `${rel}/${n}` : n, st.size);
    }
  };
  walk(dir, "");
  return out;
}

/**
 * The embedded store's stored objects and their total bytes: staged and attachment files (the
 * blobs/ directory) and small attachments kept in the database (inline_blobs, issue 16), each
 * counted as one of `files`.
 */
export function blobBytes(dataDir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const size of filesUnder(join(dataDir, "blobs")).values()) {
    files++;
    bytes += size;
  }
  const inline = inlineBlobs(dataDir);
  return { files: files + inline.count, bytes: bytes + inline.bytes };
}

/** Objects the embedded store keeps in its database (read-only look, beside the running server). */
export function inlineBlobs(dataDir: string): { count: number; bytes: number } {
  const file = join(dataDir, "taskdrop.db");
  if (!existsSync(file)) return { count: 0, bytes: 0 };
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inline_blobs'").get();
    if (!has) return { count: 0, bytes: 0 };
    const r = db.prepare("SELECT count(*) AS count, coalesce(sum(length(bytes)), 0) AS bytes FROM inline_blobs").get() as { count: number; bytes: number };
    return { count: r.count, bytes: r.bytes };
  } finally {
    db.close();
  }
}
