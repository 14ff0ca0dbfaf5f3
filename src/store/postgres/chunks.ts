// Bytes of the PostgreSQL store: rows of at most CHUNK_BYTES in blob_chunks, keyed by (blob, off).
// A range is staged: its rows are inserted as the body streams in, each INSERT on a connection
// borrowed only for that statement (at most INSERT_DEPTH + 1 chunks in memory: one being filled,
// the others being inserted), so a slow client holds no connection. Reads fetch a slice at a time
// as the consumer asks for more.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { Pool, PoolClient } from "pg";
import { errors } from "../../domain/errors.js";

export const CHUNK_BYTES = 256 * 1024;
/** INSERTs of one range in flight at once (see writeChunks). */
export const INSERT_DEPTH = 2;
/** Largest piece read per query: what one download holds in memory at a time (plus its hex text). */
const READ_SLICE = 64 * 1024;

type Queryable = Pool | PoolClient;
/** Inserts one staged row (a statement of its own, on a connection borrowed for it alone). */
export type InsertChunk = (off: number, data: Buffer) => Promise<unknown>;

const INSERT = "INSERT INTO blob_chunks (blob, off, data) VALUES ($1, $2, $3)";

/**
 * Streams `body` into rows starting at `offset`, each INSERT its own (autocommitted) statement
 * through `insert`. The rows lie past the session's committed offset, where nothing reads them, until
 * the caller commits the new offset; the caller bounds the body's length (rangeBytes) and removes
 * the rows of a range that does not commit.
 */
export async function writeChunks(
  insert: InsertChunk,
  offset: number,
  body: AsyncIterable<Buffer>,
  opts: { chunkBytes?: number; depth?: number } = {},
): Promise<void> {
  const chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
  const depth = opts.depth ?? INSERT_DEPTH;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let nextOff = offset;
  // Up to `depth` INSERTs in flight, each on its own connection, while the next chunk fills: one
  // PostgreSQL backend working a row at a time is what bounds a lone upload, and rows at distinct
  // offsets commute. Settled promises never reject; the first error is kept and thrown.
  const inflight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const send = async (data: Buffer) => {
    while (inflight.size >= depth) await Promise.race(inflight);
    if (failure) throw failure.error;
    const p: Promise<void> = insert(nextOff, data).then(
      () => void inflight.delete(p),
      (error: unknown) => {
        failure ??= { error };
        inflight.delete(p);
      },
    );
    inflight.add(p);
    nextOff += data.length;
  };
  try {
    for await (const piece of body) {
      pending.push(piece);
      pendingBytes += piece.length;
      while (pendingBytes >= chunkBytes) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        await send(all.subarray(0, chunkBytes));
        const rest = all.subarray(chunkBytes);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
      }
    }
    if (pendingBytes > 0) await send(Buffer.concat(pending, pendingBytes));
  } finally {
    // Every INSERT settles before the caller issues its cleanup DELETE or the commit step.
    await Promise.all(inflight);
  }
  if (failure) throw failure.error;
}

/** Inserts a small object whole (it is already in memory). */
export async function insertChunks(c: PoolClient, blob: string, bytes: Buffer): Promise<void> {
  for (let off = 0; off < bytes.length; off += CHUNK_BYTES) {
    await c.query(INSERT, [blob, off, bytes.subarray(off, off + CHUNK_BYTES)]);
  }
}

/**
 * The bytes [start, end] (inclusive) of a blob, in slices of at most `slice` bytes, one query
 * each: the slice at `pos` of the row holding `pos`. Rows are stored uncompressed out of line
 * (STORAGE EXTERNAL), so PostgreSQL fetches only the part of a row a slice needs. Throws when no
 * row holds `pos`: the object was deleted while being read.
 *
 * Text result format (bytea as hex, parsed by pg into a Buffer): pg's `binary: true` mode decodes
 * every field as UTF-8 text first, which corrupts arbitrary bytes.
 */
export async function* chunksOf(q: Queryable, blob: string, start: number, end: number, slice = READ_SLICE): AsyncGenerator<Buffer> {
  let pos = start;
  while (pos <= end) {
    const want = Math.min(slice, end - pos + 1);
    const { rows } = await q.query<{ data: Buffer }>(
      `SELECT substring(data FROM ($2::bigint - off + 1)::int FOR $3::int) AS data
       FROM blob_chunks WHERE blob = $1 AND off <= $2 ORDER BY off DESC LIMIT 1`,
      [blob, pos, want],
    );
    const piece = rows[0]?.data;
    if (!piece || piece.length === 0) throw errors.notFound(`The attachment's bytes at offset ${pos} are gone (deleted while being read).`);
    pos += piece.length;
    yield piece;
  }
}

/** A byte stream that reads rows only as fast as its consumer drains them. */
export function readStream(q: Queryable, blob: string, start: number, end: number): Readable {
  return Readable.from(chunksOf(q, blob, start, end), { objectMode: false, highWaterMark: READ_SLICE });
}

/** Hex SHA-256 of the first `length` bytes of a blob. */
export async function sha256Of(c: Queryable, blob: string, length: number): Promise<string> {
  const h = createHash("sha256");
  for await (const piece of chunksOf(c, blob, 0, length - 1, CHUNK_BYTES)) h.update(piece);
  return h.digest("hex");
}
