// Wraps a request body so the bytes that reach storage are policed as they stream: never more than
// declared, never stalled longer than the idle timeout, hashed on the way through.
import { createHash, type Hash } from "node:crypto";
import type { Readable } from "node:stream";
import { errors } from "../domain/errors.js";

export interface GuardedBody extends AsyncIterable<Buffer> {
  /** Hex SHA-256 of what streamed through; valid once iteration finished. */
  readonly sha256: () => string;
  /** Base64 SHA-256, for comparing with a Content-Digest. */
  readonly sha256Base64: () => string;
}

export function guardBody(stream: Readable, length: number, idleMs: number): GuardedBody {
  const hash: Hash = createHash("sha256");
  let digest: Buffer | undefined;
  const finished = () => (digest ??= hash.digest());
  async function* run(): AsyncGenerator<Buffer> {
    let seen = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => stream.destroy(errors.invalid(`The request body stalled for more than ${idleMs} ms; nothing was committed.`)), idleMs);
    };
    arm();
    try {
      for await (const chunk of stream) {
        arm();
        const buf = chunk as Buffer;
        seen += buf.length;
        if (seen > length) throw errors.invalid(`The body is longer than the ${length} bytes declared; nothing was committed.`);
        hash.update(buf);
        yield buf;
      }
    } catch (e) {
      if ((e as { kind?: string }).kind) throw e;
      throw errors.invalid(`The request body ended early (${(e as Error).message}); nothing was committed.`);
    } finally {
      clearTimeout(timer);
    }
    if (seen !== length) throw errors.invalid(`The body ended after ${seen} of the ${length} bytes declared; nothing was committed.`);
  }
  const it = run();
  return {
    [Symbol.asyncIterator]: () => it,
    sha256: () => finished().toString("hex"),
    sha256Base64: () => finished().toString("base64"),
  };
}

/** Reads a guarded body to its end without storing it (replays are compared by hash). */
export async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of body) {
    /* hashed by the guard */
  }
}

/** `Content-Digest: sha-256=:<base64>:` (RFC 9530); undefined when absent or naming other algorithms only. */
export function parseContentDigest(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /(?:^|,)\s*sha-256\s*=\s*:([A-Za-z0-9+/]{43}=):\s*(?:,|$)/i.exec(header);
  if (!m) {
    if (/sha-256/i.test(header)) throw errors.invalid("The Content-Digest header's sha-256 value is malformed (expected sha-256=:<base64>:).");
    return undefined;
  }
  return m[1];
}
