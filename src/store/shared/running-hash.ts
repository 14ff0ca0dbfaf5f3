// What both stores do to the bytes of a range on their way to storage: count them against the
// declared length and feed them to the session's running SHA-256, so the final range needs no
// re-read of the whole object. The states are per store instance and bounded; a state missing
// (restart, eviction, another instance wrote the previous range) only costs that re-read.
import { createHash, type Hash } from "node:crypto";
import { ByteCount } from "../../domain/byte-count.js";
import type { UploadSession } from "../../domain/models.js";

/** Open sessions whose running hash is kept (a few hundred bytes each). */
const MAX_STATES = 100_000;

export class RunningHashes {
  /** SHA-256 state of each open session's committed bytes, keyed by blob. */
  private readonly states = new Map<string, { committed: number; hash: Hash }>();

  /**
   * The hash to continue for a range written at `offset`: a fresh one at 0, a copy of the state
   * for exactly that committed offset (if the range is not committed the state stays as it was),
   * or undefined when no such state exists.
   */
  continueAt(blob: string, offset: number): Hash | undefined {
    if (offset === 0) return createHash("sha256");
    const known = this.states.get(blob);
    return known?.committed === offset ? known.hash.copy() : undefined;
  }

  /** The whole object's hex SHA-256: from `hash` when there is one, else by re-reading the bytes. */
  async digest(hash: Hash | undefined, reread: () => Promise<string>): Promise<string> {
    return hash ? hash.digest("hex") : reread();
  }

  /** After a range's commit returned: keeps the state while the session stays open. */
  committed(blob: string, s: UploadSession, hash: Hash | undefined): void {
    this.states.delete(blob);
    if (s.status !== "open" || !hash) return;
    if (this.states.size >= MAX_STATES) this.states.clear(); // bounded; the fallback re-reads
    this.states.set(blob, { committed: s.committed, hash });
  }

  forget(blob: string): void {
    this.states.delete(blob);
  }

  clear(): void {
    this.states.clear();
  }
}

/**
 * Passes `body` through, throwing (with the body guard's error) when it yields more or fewer
 * than `length` bytes, and feeding every chunk to `hash` when given.
 */
export async function* rangeBytes(body: AsyncIterable<Buffer>, length: number, hash: Hash | undefined): AsyncGenerator<Buffer> {
  const count = new ByteCount(length);
  for await (const chunk of body) {
    count.add(chunk.length);
    hash?.update(chunk);
    yield chunk;
  }
  count.end();
}
