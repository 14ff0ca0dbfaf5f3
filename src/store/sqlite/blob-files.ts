// Bytes of the embedded store: one file per upload session, which becomes the attachment's file
// on completion (no copy). Writes land at their offset and are fsynced before anyone commits
// the new offset, so the file may hold bytes past the committed offset only until recovery.
import { constants, createReadStream, type ReadStream } from "node:fs";
import { type FileHandle, mkdir, open, readdir, rm, stat, truncate } from "node:fs/promises";
import { createHash, randomUUID, type Hash } from "node:crypto";
import { join } from "node:path";
import { rangeBytes } from "../shared/running-hash.js";
import { PRIVATE_DIR } from "./private-files.js";

const RECENT_MS = 60_000;
/** Bytes of one upload that may wait in memory while its previous write is in flight. */
const WRITE_BATCH = 256 * 1024;
/**
 * Bytes of all uploads to one store together received but not yet written. Past it, each upload waits for its
 * own write before reading on: under many concurrent uploads buffers are then released within
 * moments, before the garbage collector promotes them, which keeps the process's memory down.
 */
const WAITING_BUDGET = 4 * 1024 * 1024;

export class BlobFiles {
  readonly root: string;
  private readonly madeDirs = new Set<string>();
  /**
   * Keys this process wrote in the last RECENT_MS. A file is written before the record that names
   * it is committed, so the orphan sweep must not see such a file even with a janitor grace of 0.
   */
  private readonly recent = new Map<string, number>();
  /** Bytes of this store's uploads received but not yet written (see WAITING_BUDGET). */
  private waitingBytes = 0;

  constructor(dataDir: string) {
    this.root = join(dataDir, "blobs");
  }

  newKey(): string {
    return randomUUID();
  }

  path(key: string): string {
    if (!/^[0-9a-f-]{36}$/.test(key)) throw new Error(`not a blob key: ${key}`);
    return join(this.root, key.slice(0, 2), key);
  }

  private async dirFor(key: string): Promise<string> {
    const dir = join(this.root, key.slice(0, 2));
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
      this.madeDirs.add(dir);
    }
    return dir;
  }

  /**
   * Writes exactly `length` bytes from `body` at `offset` and fsyncs. Rejects if the body yields
   * more or fewer bytes; the caller then commits nothing (bytes past the committed offset are ignored
   * and overwritten by the next attempt). `hash`, when given, sees every byte written.
   */
  async writeAt(key: string, offset: number, length: number, body: AsyncIterable<Buffer>, hash?: Hash): Promise<void> {
    this.recent.set(key, Date.now());
    const dir = await this.dirFor(key);
    // Create without truncating, then write at positions (O_APPEND would ignore them). Only a
    // first range creates the file: one missing later was deleted with its session, and must not
    // come back as an orphan.
    const fh = await open(this.path(key), offset === 0 ? constants.O_RDWR | constants.O_CREAT : constants.O_RDWR, 0o600);
    let written = 0;
    // One write in flight while the next chunks arrive; what arrived meanwhile goes out as one
    // writev: fewer thread-pool round trips than a write per socket chunk, and the socket keeps
    // flowing during the write.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let inflight: Promise<void> | undefined;
    let busy = false;
    const startWrite = () => {
      const bufs = pending;
      const at = offset + written - pendingBytes;
      const n = pendingBytes;
      pending = [];
      pendingBytes = 0;
      busy = true;
      inflight = writeAllAt(fh, bufs, at).finally(() => {
        busy = false;
        this.waitingBytes -= n;
      });
      inflight.catch(() => {}); // observed by the next await
    };
    try {
      for await (const chunk of rangeBytes(body, length, hash)) {
        written += chunk.length;
        pending.push(chunk);
        pendingBytes += chunk.length;
        this.waitingBytes += chunk.length;
        if (busy && (pendingBytes >= WRITE_BATCH || this.waitingBytes > WAITING_BUDGET)) await inflight;
        if (!busy) startWrite();
      }
      if (inflight) await inflight;
      if (pendingBytes > 0) startWrite();
      if (inflight) await inflight;
      await fh.datasync();
    } finally {
      if (inflight) await inflight.catch(() => {}); // never close under a write
      this.waitingBytes -= pendingBytes; // received, never to be written
      await fh.close();
      this.recent.set(key, Date.now());
    }
    if (offset === 0) await syncDir(dir);
  }

  async create(key: string, bytes: Buffer): Promise<void> {
    await this.writeAt(key, 0, bytes.length, (async function* () {
      yield bytes;
    })());
  }

  read(key: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.path(key), range ? { start: range.start, end: range.end } : {});
  }

  /**
   * A download's stream, on a file opened before this resolves: a deletion after that unlinks the
   * name but the open file keeps its bytes, so the download finishes whole. Undefined when the
   * file is already gone.
   */
  async openRead(key: string, range?: { start: number; end: number }): Promise<ReadStream | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(this.path(key), constants.O_RDONLY);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    return fh.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  /** Hex SHA-256 of the first `length` bytes. */
  async sha256(key: string, length: number): Promise<string> {
    const h = createHash("sha256");
    if (length > 0) for await (const chunk of this.read(key, { start: 0, end: length - 1 })) h.update(chunk as Buffer);
    return h.digest("hex");
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.path(key))).size;
    } catch {
      return undefined;
    }
  }

  /** Drops bytes past `length` (crash recovery: nothing unacknowledged survives a restart). */
  async truncateTo(key: string, length: number): Promise<void> {
    try {
      await truncate(this.path(key), length);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  /** Removes every blob (the store's reset: no record refers to any of them any more). */
  async removeAll(): Promise<void> {
    this.recent.clear();
    this.madeDirs.clear();
    let shards: string[];
    try {
      shards = await readdir(this.root);
    } catch {
      return;
    }
    await Promise.all(shards.map((shard) => rm(join(this.root, shard), { recursive: true, force: true })));
  }

  /** Every blob key on disk with its last modification time, except those this process wrote lately. */
  async *list(): AsyncGenerator<{ key: string; mtimeMs: number }> {
    const now = Date.now();
    for (const [k, at] of this.recent) if (now - at > RECENT_MS) this.recent.delete(k);
    let shards: string[];
    try {
      shards = await readdir(this.root);
    } catch {
      return;
    }
    for (const shard of shards) {
      let names: string[];
      try {
        names = await readdir(join(this.root, shard));
      } catch {
        continue;
      }
      for (const name of names) {
        if (this.recent.has(name)) continue;
        try {
          const s = await stat(join(this.root, shard, name));
          yield { key: name, mtimeMs: s.mtimeMs };
        } catch {
          /* removed meanwhile */
        }
      }
    }
  }
}

/** Writes every byte of `bufs` at `position` (writev may write less than asked: go on from there). */
async function writeAllAt(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  let rest = bufs;
  let pos = position;
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest, pos);
    pos += bytesWritten;
    let skip = bytesWritten;
    while (rest.length > 0 && skip >= rest[0]!.length) skip -= rest.shift()!.length;
    if (skip > 0) rest = [rest[0]!.subarray(skip), ...rest.slice(1)];
    else if (bytesWritten === 0 && rest.length > 0) throw new Error("writev wrote nothing");
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
