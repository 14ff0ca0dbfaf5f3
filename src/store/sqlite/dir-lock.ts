// One server process per data directory: two writers to one SQLite file and one set of staged
// bytes would break the single-writer guarantee, which the embedded store enforces in memory.
//
// The lock is an exclusive SQLite lock on `taskdrop.lock` (a POSIX record lock underneath), held
// for the life of the process. The operating system drops it when the process dies, even by
// SIGKILL, so a crash never leaves a stale lock, a reused pid never looks like a holder, and two
// processes starting at once cannot both win. `taskdrop.pid` only says who holds it, for people.
import Database from "better-sqlite3";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { privateFile } from "./private-files.js";

export interface DirLock {
  release(): void;
}

export class DataDirInUseError extends Error {
  readonly userFacing = true;
}

export function acquireDirLock(dataDir: string): DirLock {
  const lockFile = join(dataDir, "taskdrop.lock");
  const pidFile = join(dataDir, "taskdrop.pid");
  privateFile(lockFile);
  const db = new Database(lockFile, { timeout: 0 });
  try {
    // In exclusive locking mode the lock taken by the first write is kept until the connection closes.
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("journal_mode = MEMORY"); // its content is worthless: no journal file beside it
    db.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER)");
    db.transaction(() => {
      db.prepare("DELETE FROM holder").run();
      db.prepare("INSERT INTO holder (pid) VALUES (?)").run(process.pid);
    }).exclusive();
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code === "SQLITE_BUSY" || (e as { code?: string }).code === "SQLITE_LOCKED") {
      let holder = "";
      try {
        holder = ` (pid ${readFileSync(pidFile, "utf8").trim()})`;
      } catch {
        /* no pid file: say nothing about who */
      }
      throw new DataDirInUseError(
        `The data directory ${dataDir} is in use by another Taskdrop process${holder}. ` +
          `A second server needs its own --data-dir (or --store postgres, where several instances share one database).`,
      );
    }
    throw e;
  }
  writeFileSync(pidFile, String(process.pid), { mode: 0o600 });
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      try {
        if (readFileSync(pidFile, "utf8") === String(process.pid)) unlinkSync(pidFile);
      } catch {
        /* already gone */
      }
      db.close();
    },
  };
}
