// The seam between the harness and the systems it measures. A target is started by the harness
// (its server runs as a child process, so its memory can be sampled) and driven by the load
// generator (another process) through an UploadClient built from a JSON-serialisable endpoint.
import type { Http } from "../lib/http.js";

/** Whatever a client needs to reach a running target; crosses a process boundary as JSON. */
export type Endpoint = Record<string, string | number | boolean>;

export interface StartOptions {
  /** A fresh, empty directory for the server's data; the harness removes it afterwards. */
  dataDir: string;
  /** PostgreSQL URL for targets that need one. */
  databaseUrl?: string;
  /** The checkout (with dist/) the taskdrop-ref target runs from (--ref). */
  refDir?: string;
  /** Where the server writes a V8 CPU profile when it exits (honoured by the Taskdrop targets). */
  cpuProfDir?: string;
}

export interface RunningTarget {
  /** The server process whose RSS is sampled. */
  pid: number;
  endpoint: Endpoint;
  /** Last lines the server printed, for error messages. */
  logTail(): string;
  /** A bearer token for another user of the same server (the Taskdrop targets; the `queries` workload's second user). */
  token?(user: string): Promise<string>;
  stop(): Promise<void>;
}

export interface Target {
  name: string;
  /** One line for the report. */
  description: string;
  /** "sha256" when the stored bytes are read back and hashed, "length" when only counted. */
  verifies: "sha256" | "length";
  /** Throws an Error with a clear message when the target cannot run here. */
  check(opts: { databaseUrl?: string; refDir?: string }): void;
  start(opts: StartOptions): Promise<RunningTarget>;
  /** Runs in the load generator. */
  client(endpoint: Endpoint, http: Http): UploadClient;
}

/** Opaque per-upload state kept from upload() to verify(). */
export type UploadHandle = unknown;

export interface UploadClient {
  /**
   * Creates a session and sends `data` in ranges of at most `rangeSize` bytes, in order, waiting
   * for each answer. Reports each range's latency (request start to full response) in ms.
   * Throws on any unexpected status.
   */
  upload(data: Uint8Array, rangeSize: number, onRange: (ms: number) => void): Promise<UploadHandle>;
  /** Reads back (or asks about) what was stored; throws when it differs from `data`. */
  verify(handle: UploadHandle, data: Uint8Array): Promise<void>;
}
