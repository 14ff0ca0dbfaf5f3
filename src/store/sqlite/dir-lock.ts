// One server process per data directory: two writers to one SQLite file and one set of staged
// bytes would break the single-writer guarantee, which the embedded store enforces in memory.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface DirLock {
  release(): void;
}

export class DataDirInUseError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function acquireDirLock(dataDir: string): DirLock {
  const file = join(dataDir, "taskdrop.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          try {
            if (readFileSync(file, "utf8") === String(process.pid)) unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(readFileSync(file, "utf8").trim());
      // A holder killed with SIGKILL leaves its file behind; take it over.
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DataDirInUseError(`The data directory ${dataDir} is in use by another Taskdrop process (pid ${pid}).`);
      }
      unlinkSync(file);
    }
  }
  throw new DataDirInUseError(`Could not lock the data directory ${dataDir}.`);
}
