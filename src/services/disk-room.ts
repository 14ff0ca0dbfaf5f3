// Server-wide byte bounds (issue 13 item 13), checked before any byte of a write lands, so a full
// disk is answered as Graph answers a full drive (507 quotaLimitReached) instead of a failed write:
// - --max-disk-bytes: attachments plus live open sessions' declared sizes, checked when an
//   attachment or a session is created (a session's bytes are counted from its creation, so its
//   PUTs need no check of their own). Concurrent creations each see the total before the others
//   commit and may together pass it by what they declare.
// - --min-free-disk-bytes: the embedded store's file system keeps this much free; checked on the
//   data directory (fs.statfs) at those creations and before each range PUT writes, since other
//   programs share the disk. PostgreSQL keeps its bytes on the database server, not here.
import { statfs } from "node:fs/promises";
import { errors } from "../domain/errors.js";
import { describeBytes } from "../domain/limits.js";
import type { Deps } from "./deps.js";

/** Refuses a new attachment or session of `bytes` that would pass --max-disk-bytes or the free-space floor. */
export async function ensureRoomToCreate(d: Deps, bytes: number): Promise<void> {
  const max = d.config.maxDiskBytes;
  if (max > 0) {
    const held = await d.store.sessions.bytesHeld(d.now().toISOString());
    if (held + bytes > max) {
      throw errors.quotaLimitReached(
        `The server holds at most ${describeBytes(max)} of attachments and open uploads, and ${describeBytes(held)} are held now; ` +
          `delete attachments or finish uploads first.`,
      );
    }
  }
  await ensureFreeDisk(d, bytes);
}

/** A reading of a file system's free bytes, shared for FREE_TTL_MS (see freeBytes). */
const FREE_TTL_MS = 100;
const freeReadings = new Map<string, { at: number; free: Promise<number>; since: number }>();

/**
 * Free bytes of the data directory's file system. One statfs serves every check within FREE_TTL_MS,
 * less the bytes those checks let through since (a statfs per upload was 10 % of the event loop
 * under many small uploads: every call queues on the thread pool behind the fdatasyncs). Other
 * programs' writes are seen within FREE_TTL_MS.
 */
async function freeBytes(dir: string): Promise<number> {
  const now = Date.now();
  let r = freeReadings.get(dir);
  if (!r || now - r.at >= FREE_TTL_MS) {
    r = { at: now, free: statfs(dir).then((fs) => Number(fs.bavail) * Number(fs.bsize)), since: 0 };
    freeReadings.set(dir, r);
    r.free.catch(() => freeReadings.delete(dir)); // a failed reading is not kept
  }
  return (await r.free) - r.since;
}

/** Refuses a write of `bytes` that would leave the data directory's file system under --min-free-disk-bytes. */
export async function ensureFreeDisk(d: Deps, bytes: number): Promise<void> {
  const floor = d.config.minFreeDiskBytes;
  if (floor <= 0 || d.config.store !== "sqlite" || bytes <= 0) return;
  const free = await freeBytes(d.config.dataDir);
  if (free - bytes < floor) {
    throw errors.quotaLimitReached(
      `The server's disk is nearly full (${describeBytes(free)} free, ${describeBytes(floor)} kept in reserve); try again later.`,
    );
  }
  const r = freeReadings.get(d.config.dataDir);
  if (r) r.since += bytes;
}
