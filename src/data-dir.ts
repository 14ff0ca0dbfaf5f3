// The data directory must be usable before anything is written into it. Node's own
// mkdirSync({ recursive: true }) loops forever where a parent exists but refuses children (/proc),
// and a path through a file fails deep inside the store with a raw ENOTDIR: check and create the
// directory here, one level at a time, and say in one line what is wrong.
import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";

export class DataDirError extends Error {
  readonly userFacing = true;
}

const reason = (e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  const text: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOENT: "the file system does not allow it",
    ENOSPC: "no space left on the device",
  };
  return (err.code && text[err.code]) ?? err.message;
};

/** Creates `dir` (mode 0700) and any missing parents, or throws a DataDirError naming the problem. */
export function ensureDataDir(dir: string, what = "--data-dir"): void {
  const missing: string[] = [];
  for (let p = dir; ; p = dirname(p)) {
    try {
      if (!statSync(p).isDirectory()) {
        throw new DataDirError(`${what} ${dir} is not usable: ${p} is a file, not a directory`);
      }
      break;
    } catch (e) {
      if (e instanceof DataDirError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw new DataDirError(`${what} ${dir} is not usable: ${p}: ${reason(e)}`);
      if (dirname(p) === p) throw new DataDirError(`${what} ${dir} is not usable: ${p}: ${reason(e)}`);
      missing.unshift(p);
    }
  }
  for (const p of missing) {
    try {
      mkdirSync(p, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST" && statSync(p).isDirectory()) continue;
      throw new DataDirError(`${what} ${dir} is not usable: cannot create ${p}: ${reason(e)}`);
    }
  }
  try {
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new DataDirError(`${what} ${dir} is not usable: ${reason(e)}`);
  }
}
