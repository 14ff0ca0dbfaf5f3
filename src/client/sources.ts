// What an upload reads from: bytes, a Blob/File, or a stream with a known size. Browser-safe; file
// paths are opened by ./node.js, which is imported only when a path is given.
import { SourceChangedError, TaskdropError } from "./errors.js";

/** A readable stream whose length is known in advance (Graph needs the size to create the session). */
export interface SizedStream {
  stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
  size: number;
  name?: string;
}

/**
 * A file path (Node only), bytes (Buffer, Uint8Array, ArrayBuffer), a Blob or File, or a stream
 * with its size ({ stream, size }, or the stream itself with the `size` option).
 */
export type UploadSource = string | Uint8Array | ArrayBuffer | Blob | SizedStream | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** What identifies a source across processes, kept in its resume record. */
export interface SourceIdentity {
  kind: "path" | "bytes" | "blob";
  /** Absolute path, for files. */
  path?: string;
  size: number;
  /** Milliseconds since the epoch, for files. */
  mtimeMs?: number;
  /** Lowercase hex SHA-256 of the whole content. */
  sha256: string;
}

export interface OpenedSource {
  kind: "path" | "bytes" | "blob" | "stream";
  size: number;
  /** Name to give the attachment when none is given (file or File name). */
  name?: string;
  contentType?: string;
  /** Bytes [start, end). Streams only move forward. */
  read(start: number, end: number): Promise<Uint8Array>;
  /** Identity for resume records; undefined when the source cannot be recognised later (streams). */
  identity(signal?: AbortSignal): Promise<SourceIdentity | undefined>;
  /** Throws SourceChangedError when the source no longer is what was opened (files). */
  check(): Promise<void>;
  close(): Promise<void>;
}

export function isNodeRuntime(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string";
}

/** Lowercase hex SHA-256 with WebCrypto; undefined where it is unavailable (insecure browser contexts). */
export async function sha256Hex(data: Uint8Array): Promise<string | undefined> {
  const subtle = (globalThis.crypto as Crypto | undefined)?.subtle;
  if (!subtle) return undefined;
  return toHex(new Uint8Array(await subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>)));
}

export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

export function toBase64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

const isBlob = (x: unknown): x is Blob => typeof Blob !== "undefined" && x instanceof Blob;
const isReadableStream = (x: unknown): x is ReadableStream<Uint8Array> => typeof ReadableStream !== "undefined" && x instanceof ReadableStream;
const isAsyncIterable = (x: unknown): x is AsyncIterable<Uint8Array> =>
  typeof x === "object" && x !== null && typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function";

export function isStreamSource(x: unknown): boolean {
  return isReadableStream(x) || (isAsyncIterable(x) && !isBlob(x)) || (typeof x === "object" && x !== null && "stream" in x && "size" in x);
}

/** Opens any source but a path; `size` is required for a bare stream. */
export async function openMemorySource(source: Exclude<UploadSource, string>, size?: number): Promise<OpenedSource> {
  if (source instanceof ArrayBuffer) source = new Uint8Array(source);
  if (source instanceof Uint8Array) return bytesSource(source);
  if (isBlob(source)) return blobSource(source);
  let stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
  let name: string | undefined;
  if (isReadableStream(source) || isAsyncIterable(source)) {
    stream = source;
  } else {
    stream = source.stream;
    size ??= source.size;
    name = source.name;
  }
  if (size === undefined || !Number.isSafeInteger(size) || size < 0) {
    throw new TaskdropError("sizeRequired", "A stream source needs its size in bytes ({ stream, size } or the `size` option): Graph needs it to create the upload session.");
  }
  return new StreamSource(stream, size, name);
}

function bytesSource(bytes: Uint8Array): OpenedSource {
  let id: Promise<string | undefined> | undefined;
  return {
    kind: "bytes",
    size: bytes.length,
    read: async (start, end) => bytes.subarray(start, end),
    async identity() {
      const sha256 = await (id ??= sha256Hex(bytes));
      return sha256 ? { kind: "bytes", size: bytes.length, sha256 } : undefined;
    },
    check: async () => {},
    close: async () => {},
  };
}

function blobSource(blob: Blob): OpenedSource {
  const name = typeof File !== "undefined" && blob instanceof File && blob.name ? blob.name : undefined;
  return {
    kind: "blob",
    size: blob.size,
    name,
    contentType: blob.type || undefined,
    read: async (start, end) => new Uint8Array(await blob.slice(start, end).arrayBuffer()),
    async identity() {
      // Whole-content hash: a Blob has no other stable identity (at most 25 MiB is held briefly).
      const sha256 = await sha256Hex(new Uint8Array(await blob.arrayBuffer()));
      return sha256 ? { kind: "blob", size: blob.size, sha256 } : undefined;
    },
    check: async () => {},
    close: async () => {},
  };
}

/** Reads a stream forward, holding only the window an upload may still need to re-send. */
class StreamSource implements OpenedSource {
  readonly kind = "stream" as const;
  private buf = new Uint8Array(0);
  private bufStart = 0;
  private ended = false;
  private readonly it: AsyncIterator<Uint8Array>;
  private readonly cancelStream: () => Promise<void>;

  constructor(stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, readonly size: number, readonly name?: string) {
    if (isReadableStream(stream)) {
      const reader = stream.getReader();
      this.it = {
        next: async () => {
          const r = await reader.read();
          return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
        },
      };
      this.cancelStream = async () => {
        await reader.cancel().catch(() => {});
      };
    } else {
      this.it = stream[Symbol.asyncIterator]();
      this.cancelStream = async () => {
        await this.it.return?.().catch(() => undefined);
      };
    }
  }

  private async pull(): Promise<Uint8Array | undefined> {
    if (this.ended) return undefined;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return undefined;
    }
    const v = r.value as unknown;
    return typeof v === "string" ? new TextEncoder().encode(v) : (v as Uint8Array);
  }

  async read(start: number, end: number): Promise<Uint8Array> {
    if (start < this.bufStart) {
      throw new TaskdropError("streamRewind", `A stream source cannot go back to byte ${start} (it is at ${this.bufStart}); upload from a file or bytes to restart.`);
    }
    while (this.bufStart + this.buf.length < end) {
      const more = await this.pull();
      if (!more) throw new SourceChangedError(`The stream ended after ${this.bufStart + this.buf.length} bytes, but its size was given as ${this.size}.`);
      const joined = new Uint8Array(this.buf.length + more.length);
      joined.set(this.buf);
      joined.set(more, this.buf.length);
      this.buf = joined;
    }
    // Keep only [start, ...): earlier bytes are acknowledged and never needed again.
    this.buf = this.buf.subarray(start - this.bufStart);
    this.bufStart = start;
    if (end === this.size) {
      // The last range: the stream must end here, or the size was wrong.
      let extra = this.buf.length - (end - start);
      while (extra === 0) {
        const more = await this.pull();
        if (!more) break;
        extra += more.length;
      }
      if (extra > 0) throw new SourceChangedError(`The stream has more bytes than its declared size of ${this.size}.`);
    }
    return this.buf.slice(0, end - start);
  }

  identity = async (): Promise<SourceIdentity | undefined> => undefined;
  check = async (): Promise<void> => {};
  close = async (): Promise<void> => {
    if (!this.ended) await this.cancelStream();
  };
}
