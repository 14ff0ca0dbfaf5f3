// Wraps a request body so the bytes that reach storage are policed as they stream: never more than
// declared, never stalled longer than the idle timeout, and hashed on the way through only when
// someone needs the range's own hash (a Content-Digest to check, a replay to compare): the store
// already hashes every byte once for the object, and a second SHA-256 pass was the largest single
// cost of an upload.
import { createHash, type Hash } from "node:crypto";
import type { Readable } from "node:stream";
import { ByteCount } from "../domain/byte-count.js";
import { errors } from "../domain/errors.js";

export interface GuardedBody extends AsyncIterable<Buffer> {
  /** SHA-256 of what streamed through; valid once iteration finished, and only for a hashed guard. */
  readonly digest: () => Buffer;
}

/** Errors for a body that stopped arriving: the client is still there, but this connection is done. */
const stalls = new WeakSet<object>();

/** True for the error guardBody throws when the body stalls; answer it with `Connection: close`. */
export function isBodyStall(e: unknown): boolean {
  return typeof e === "object" && e !== null && stalls.has(e);
}

/**
 * The stream is never destroyed here: destroying a request destroys its socket, and the client that
 * stalled or sent a bad digest must still hear its 400. After an early stop the rest of the body is
 * read and discarded (as Node does for an unread body), except after a stall, where the HTTP layer
 * closes the connection once it has answered (see isBodyStall).
 */
export interface GuardOptions {
  /** Hash the body (for a Content-Digest or a replay); otherwise `digest()` throws. */
  hash: boolean;
  /** Slowest average rate in bytes/s: the whole body must be in within idleMs + length / minRate. */
  minRate: number;
}

export function guardBody(stream: Readable, length: number, idleMs: number, opts: GuardOptions): GuardedBody {
  const hash: Hash | undefined = opts.hash ? createHash("sha256") : undefined;
  let digest: Buffer | undefined;
  const finished = () => {
    if (!hash) throw new Error("guardBody: the body was not hashed (pass { hash: true })");
    return (digest ??= hash.digest());
  };
  async function* run(): AsyncGenerator<Buffer> {
    const reads = stream.iterator({ destroyOnReturn: false });
    const count = new ByteCount(length);
    let stalled = false;
    let complete = false;
    // One timer for the whole body, re-armed before each read (a timer per socket chunk costs more
    // than the rest of the loop). Only a wait for the client counts: the timer going off while the
    // consumer holds a chunk does nothing. The stall promise is made per read: a promise that
    // outlived the reads would keep every race() of the body, and so every chunk, reachable.
    let stallWith: ((e: unknown) => void) | undefined;
    const stall = (message: string) => {
      stalled = true;
      const e = errors.invalidUpload(message);
      stalls.add(e);
      return e;
    };
    const stalledMessage = `The request body stalled for more than ${idleMs} ms; nothing was committed.`;
    /** When the last read began: a client silent for idleMs is stalled, whichever timer fires first. */
    let lastRead = Date.now();
    const timer = setTimeout(() => {
      if (stallWith) stallWith(stall(stalledMessage));
    }, idleMs);
    // The total deadline: a client dripping a byte now and then (never idle for idleMs) would
    // otherwise hold its session and its upload slot for as long as it likes.
    const allowedMs = idleMs + Math.ceil((length * 1000) / opts.minRate);
    const tooSlow = () =>
      stall(`The request body arrived too slowly (${length} bytes must arrive within ${allowedMs} ms, at least ${opts.minRate} bytes/s); nothing was committed.`);
    let late = false;
    let received = 0;
    const deadline = setTimeout(() => {
      late = true;
      // The deadline can go off within a millisecond of the idle timer for a body that simply stopped:
      // that client stalled, and is told so.
      if (stallWith) stallWith(Date.now() - lastRead >= idleMs ? stall(stalledMessage) : tooSlow());
    }, allowedMs);
    try {
      for (;;) {
        if (late && received < length) throw tooSlow();
        timer.refresh();
        lastRead = Date.now();
        const stalling = new Promise<never>((_, reject) => (stallWith = reject));
        let r: IteratorResult<unknown>;
        try {
          // race() also handles a later rejection of the abandoned read (the socket closing after a stall).
          r = await Promise.race([reads.next(), stalling]);
        } catch (e) {
          if (stalled) throw e;
          throw errors.invalidUpload(`The request body ended early (${(e as Error).message}); nothing was committed.`);
        } finally {
          stallWith = undefined;
        }
        if (r.done) break;
        const buf = r.value as Buffer;
        count.add(buf.length);
        received += buf.length;
        hash?.update(buf);
        yield buf;
      }
      count.end();
      complete = true;
    } finally {
      clearTimeout(timer);
      clearTimeout(deadline);
      // Stopped early for another reason (a refused digest, a storage error): drain what is left so the
      // connection can carry the answer and the next request.
      if (!complete && !stalled) {
        await reads.return?.(undefined); // detaches the iterator's 'readable' listener, which would block resume()
        if (!stream.readableEnded && !stream.destroyed) stream.resume();
      }
    }
  }
  const it = run();
  return {
    [Symbol.asyncIterator]: () => it,
    digest: finished,
  };
}

/** Reads a guarded body to its end without storing it (a hashed guard keeps its digest). */
export async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of body) {
    /* hashed by the guard */
  }
}

/** SHA-256 of a byte stream (the stored copy of a range, compared with a replayed body). */
export async function sha256Of(bytes: AsyncIterable<Buffer | Uint8Array>): Promise<Buffer> {
  const h = createHash("sha256");
  for await (const chunk of bytes) h.update(chunk);
  return h.digest();
}

/** `Content-Digest: sha-256=:<base64>:` (RFC 9530); undefined when absent or naming other algorithms only. */
export function parseContentDigest(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /(?:^|,)\s*sha-256\s*=\s*:([A-Za-z0-9+/]{43}=):\s*(?:,|$)/i.exec(header);
  if (!m) {
    if (/sha-256/i.test(header)) throw errors.invalidUpload("The Content-Digest header's sha-256 value is malformed (expected sha-256=:<base64>:).");
    return undefined;
  }
  return m[1];
}
