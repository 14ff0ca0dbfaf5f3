// Node-only parts of the client: files as upload sources, resume records in a state directory,
// downloads into files. Loaded with a dynamic import only when one of them is needed, so the
// browser path of the SDK never reaches a `node:` module.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile, type FileHandle } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import type { Hasher, Sink } from "./download.js";
import { SourceChangedError, TaskdropError } from "./errors.js";
import type { ResumeRecord, ResumeStore } from "./resume.js";
import type { OpenedSource, SourceIdentity } from "./sources.js";

/** $TASKDROP_STATE_DIR, else $XDG_STATE_HOME/taskdrop, else ~/.local/state/taskdrop (%LOCALAPPDATA%\taskdrop on Windows). */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TASKDROP_STATE_DIR) return resolve(env.TASKDROP_STATE_DIR);
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "taskdrop");
  if (process.platform === "win32" && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, "taskdrop");
  return join(homedir(), ".local", "state", "taskdrop");
}

/**
 * Records as JSON files under `<dir>/uploads`, owner-only: an upload URL is a capability. Written
 * to a temporary file and renamed, so a crash never leaves half a record. Expired records are
 * dropped when new ones are written.
 */
export function fileResumeStore(dir: string): ResumeStore & { dir: string; list(): Promise<ResumeRecord[]> } {
  const root = join(resolve(dir), "uploads");
  const file = (k: string) => {
    if (!/^[0-9a-f]{16,128}$/.test(k)) throw new TaskdropError("badKey", `Not a resume record key: ${k}`);
    return join(root, `${k}.json`);
  };
  const read = async (path: string): Promise<ResumeRecord | undefined> => {
    try {
      const r = JSON.parse(await readFile(path, "utf8")) as ResumeRecord;
      return r && r.version === 1 && typeof r.uploadUrl === "string" ? r : undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" || e instanceof SyntaxError) return undefined;
      throw e;
    }
  };
  const prune = async () => {
    for (const name of await readdir(root).catch(() => [] as string[])) {
      if (!name.endsWith(".json")) continue;
      const r = await read(join(root, name));
      if (r?.expirationDateTime && Date.parse(r.expirationDateTime) < Date.now()) await rm(join(root, name), { force: true });
    }
  };
  return {
    dir: root,
    get: (k) => read(file(k)),
    async set(k, r) {
      await mkdir(root, { recursive: true, mode: 0o700 });
      await prune();
      const tmp = `${file(k)}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(r, null, 2) + "\n", { mode: 0o600 });
      await rename(tmp, file(k));
    },
    async delete(k) {
      await rm(file(k), { force: true });
    },
    async list() {
      const out: ResumeRecord[] = [];
      for (const name of await readdir(root).catch(() => [] as string[])) {
        if (!name.endsWith(".json")) continue;
        const r = await read(join(root, name));
        if (r) out.push(r);
      }
      return out;
    },
  };
}

const TYPES: Record<string, string> = {
  txt: "text/plain", md: "text/markdown", csv: "text/csv", html: "text/html", htm: "text/html", json: "application/json",
  xml: "application/xml", pdf: "application/pdf", zip: "application/zip", gz: "application/gzip", tar: "application/x-tar",
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp", svg: "image/svg+xml",
  mp3: "audio/mpeg", wav: "audio/wav", mp4: "video/mp4", mov: "video/quicktime",
  doc: "application/msword", docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel", xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ppt: "application/vnd.ms-powerpoint", pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

/** A content type from a file name's extension (Graph does not guess; we do, for files only). */
export function guessContentType(name: string): string | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  return ext ? TYPES[ext] : undefined;
}

export function sha256Hasher(): Hasher {
  const h = createHash("sha256");
  return { update: (b) => void h.update(b), hex: () => h.digest("hex") };
}

export async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path, { signal })) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** A file as an upload source: read at positions (flat memory), and watched for changes. */
export async function openPathSource(path: string): Promise<OpenedSource> {
  const abs = resolve(path);
  let fh: FileHandle;
  try {
    fh = await open(abs, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new TaskdropError("fileNotFound", `No such file: ${path}`);
    if (code === "EISDIR") throw new TaskdropError("notAFile", `${path} is a directory, not a file.`);
    throw e;
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new TaskdropError("notAFile", `${path} is not a regular file.`);
  }
  const size = st.size;
  const mtimeMs = st.mtimeMs;
  let identity: Promise<SourceIdentity> | undefined;
  const name = basename(abs);
  return {
    kind: "path",
    size,
    name,
    ...(guessContentType(name) ? { contentType: guessContentType(name) } : {}),
    async read(start, end) {
      const buf = Buffer.allocUnsafe(end - start);
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, start + got);
        if (bytesRead === 0) throw new SourceChangedError(`${path} got shorter while it was being uploaded.`);
        got += bytesRead;
      }
      return buf;
    },
    identity: (signal) => (identity ??= hashFile(abs, signal).then((sha256) => ({ kind: "path" as const, path: abs, size, mtimeMs, sha256 }))),
    async check() {
      const now = await fh.stat();
      if (now.size !== size || now.mtimeMs !== mtimeMs) {
        throw new SourceChangedError(`${path} changed while it was being uploaded; the upload stopped. Run it again with a fresh start (resume: "restart", CLI --restart).`);
      }
    },
    close: () => fh.close(),
  };
}

/**
 * A file as a download target: bytes go to `<path>.<pid>.part` and are renamed over the path only
 * once complete and verified, so a failed download never leaves a truncated file behind.
 */
export async function fileSink(path: string, o: { overwrite: boolean }): Promise<Sink> {
  const abs = resolve(path);
  if (!o.overwrite) {
    const exists = await stat(abs).then(
      () => true,
      () => false,
    );
    if (exists) throw new TaskdropError("fileExists", `${path} exists; choose another name or allow overwriting.`);
  }
  await mkdir(dirname(abs), { recursive: true });
  const part = `${abs}.${process.pid}.part`;
  let fh = await open(part, "w");
  return {
    path: abs,
    async write(chunk) {
      let done = 0;
      while (done < chunk.length) done += (await fh.write(chunk, done, chunk.length - done)).bytesWritten;
    },
    async reset() {
      await fh.close();
      fh = await open(part, "w");
    },
    async commit() {
      await fh.sync();
      await fh.close();
      await rename(part, abs);
    },
    async abort() {
      await fh.close().catch(() => undefined);
      await rm(part, { force: true });
    },
  };
}
