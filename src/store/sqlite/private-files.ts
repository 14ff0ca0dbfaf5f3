// The data directory holds the database, every attachment's bytes and the signing key: its files
// are the owner's only (0600, directories 0700), whatever the umask or the modes an older version
// left. SQLite creates its -wal and -shm files with the database file's mode, so making that file
// private first keeps them private too.
import { chmodSync, closeSync, openSync, statSync } from "node:fs";

const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

/** Creates `path` (empty) owner-only if it is missing; narrows it to 0600 if it is looser. */
export function privateFile(path: string, create = true): void {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    if (!create) return;
    closeSync(openSync(path, "a", PRIVATE_FILE));
    mode = statSync(path).mode & 0o777;
  }
  if ((mode & 0o077) !== 0) chmodSync(path, mode & 0o700);
}

/** A sentence for the start-up log when others may read the data directory, else undefined. */
export function exposedDirWarning(dir: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(dir).mode & 0o777;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  return `The data directory ${dir} is readable by other users (mode ${mode.toString(8).padStart(4, "0")}); its files are kept owner-only, but consider chmod 700 ${dir}.`;
}
