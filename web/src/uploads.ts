// The page's uploads: a bounded queue of files going to tasks through the client SDK's upload
// sessions, with progress, speed and time left per file, Cancel (which deletes the session), and
// resume. The SDK retries within a call and continues from the server's nextExpectedRanges; when
// it gives up on a server that is down, this queue waits and calls again, and the resume record
// makes that call continue the same session. Records live in localStorage with the file's
// fingerprint, so after a reload an unfinished upload is listed as paused until the person
// chooses the same file again.
import { TaskdropClient, isAbortError, type ResumeRecord, type ResumeStore, type RetryEvent } from "../../src/client/index.js";
import { fingerprintMismatch, fingerprintOf, isFingerprint, type Fingerprint } from "./fingerprint.js";
import { SpeedMeter, formatDuration, refusalReason } from "./format.js";
import { inWords, isTransient } from "./words.js";

export type RowState = "checking" | "queued" | "uploading" | "retrying" | "paused" | "done" | "failed" | "refused" | "cancelling" | "cancelled";

export interface Target {
  listId: string;
  taskId: string;
  taskTitle: string;
}

export interface UploadRow extends Target {
  id: number;
  name: string;
  size: number;
  /** Bytes the server has acknowledged. */
  uploaded: number;
  state: RowState;
  /** What a person should know about this row now (an error, a wait, what to do). */
  message?: string;
  /** An error or refusal: shown with role="alert". */
  alert?: boolean;
  speed?: number;
  secondsLeft?: number;
  resumedFrom?: number;
}

interface Live {
  row: UploadRow;
  file?: File;
  fingerprint?: Fingerprint;
  /** Its resume record in localStorage, once the SDK has written one (or, when paused, the one it left). */
  recordKey?: string;
  ctl?: AbortController;
  meter: SpeedMeter;
}

interface StoredRecord {
  record: ResumeRecord;
  fingerprint: Fingerprint;
  taskTitle: string;
}

/** Bytes per PUT: small enough that progress moves often, large enough to be efficient. */
export const CHUNK_BYTES = 1_048_576;
/** Uploads running at once; more are queued. */
export const PARALLEL = 3;
const PAUSED_MESSAGE = "Paused — choose the file again to resume";

export interface UploadsOptions {
  client: TaskdropClient;
  /** Whose records these are (the token's user): one browser, several people. */
  userKey: string;
  /** Told when a file has been attached. */
  onAttached: (row: UploadRow) => void;
  storage?: Storage;
  parallel?: number;
}

export class Uploads {
  private live: Live[] = [];
  private nextId = 1;
  private running = 0;
  private listeners = new Set<() => void>();
  private readonly storage: Storage;
  private readonly prefix: string;
  private disposed = false;

  constructor(private readonly o: UploadsOptions) {
    this.storage = o.storage ?? localStorage;
    this.prefix = `taskdrop-upload:${o.userKey}:`;
  }

  get rows(): UploadRow[] {
    return this.live.map((l) => l.row);
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  private update(l: Live, patch: Partial<UploadRow>): void {
    l.row = { ...l.row, ...patch };
    this.changed();
  }

  /** Stops everything on sign-out (sessions are kept: signing in again lists them as paused). */
  dispose(): void {
    this.disposed = true;
    for (const l of this.live) l.ctl?.abort(new DOMException("signed out", "AbortError"));
    this.listeners.clear();
  }

  // ---- records ----------------------------------------------------------------------------------

  private read(key: string): StoredRecord | undefined {
    try {
      const v = JSON.parse(this.storage.getItem(key) ?? "null") as StoredRecord | null;
      return v && typeof v.record?.uploadUrl === "string" && isFingerprint(v.fingerprint) ? v : undefined;
    } catch {
      return undefined;
    }
  }

  /** The SDK's resume store for one row: its records carry the file's fingerprint beside them. */
  private storeFor(l: Live): ResumeStore {
    const paused = l.recordKey;
    return {
      get: async (k) => this.read(this.prefix + k)?.record ?? (paused ? this.read(paused)?.record : undefined),
      set: async (k, record) => {
        const entry: StoredRecord = { record, fingerprint: l.fingerprint!, taskTitle: l.row.taskTitle };
        this.storage.setItem(this.prefix + k, JSON.stringify(entry));
        if (paused && paused !== this.prefix + k) this.storage.removeItem(paused);
        l.recordKey = this.prefix + k;
      },
      delete: async (k) => {
        this.storage.removeItem(this.prefix + k);
        if (paused) this.storage.removeItem(paused);
        if (l.recordKey === paused || l.recordKey === this.prefix + k) l.recordKey = undefined;
      },
    };
  }

  /** Lists the uploads a previous page left unfinished, and asks the server how far each got. */
  async restore(): Promise<void> {
    const keys: string[] = [];
    for (let i = 0; i < this.storage.length; i++) {
      const k = this.storage.key(i);
      if (k?.startsWith(this.prefix)) keys.push(k);
    }
    for (const key of keys) {
      const stored = this.read(key);
      if (!stored) {
        this.storage.removeItem(key);
        continue;
      }
      const { record, fingerprint, taskTitle } = stored;
      if (record.expirationDateTime && Date.parse(record.expirationDateTime) <= Date.now()) {
        this.storage.removeItem(key);
        continue;
      }
      if (this.live.some((l) => l.recordKey === key)) continue;
      const l: Live = {
        row: { id: this.nextId++, listId: record.listId, taskId: record.taskId, taskTitle, name: record.name, size: record.size, uploaded: 0, state: "paused", message: PAUSED_MESSAGE },
        fingerprint,
        recordKey: key,
        meter: new SpeedMeter(),
      };
      this.live.push(l);
      this.changed();
      this.o.client.sessions.status(record.uploadUrl).then(
        (st) => {
          if (st.gone) {
            // Expired or cancelled elsewhere: nothing left to resume.
            this.storage.removeItem(key);
            this.remove(l);
          } else if (l.row.state === "paused") {
            this.update(l, { uploaded: st.next ?? record.size });
          }
        },
        () => undefined, // Unreachable now: still listed; choosing the file again will retry.
      );
    }
  }

  // ---- adding files -----------------------------------------------------------------------------

  /**
   * Files dropped or chosen for a task. A file over the limit is refused before any request. A file
   * with the name of a paused upload on that task resumes it when it is the same file and is refused
   * when it is not; `forRow` names the paused row the person chose the file for.
   */
  async add(target: Target, files: File[], forRow?: number): Promise<void> {
    for (const file of files) {
      const refused = refusalReason(file.name, file.size);
      if (refused) {
        this.push({ row: this.newRow(target, file, { state: "refused", message: refused, alert: true }), meter: new SpeedMeter() });
        continue;
      }
      const fingerprint = await fingerprintOf(file);
      const paused = this.live.filter(
        (l) => l.row.state === "paused" && (forRow !== undefined ? l.row.id === forRow : l.row.taskId === target.taskId && l.row.name === file.name),
      );
      if (paused.length > 0) {
        const same = paused.find((l) => !fingerprintMismatch(l.fingerprint!, fingerprint));
        if (!same) {
          const why = fingerprintMismatch(paused[0]!.fingerprint!, fingerprint);
          this.push({
            row: this.newRow(target, file, {
              state: "refused",
              alert: true,
              message: `${file.name} is not the file whose upload is paused: ${why}. Choose that file again, or cancel the paused upload first.`,
            }),
            meter: new SpeedMeter(),
          });
          continue;
        }
        same.file = file;
        this.update(same, { state: "queued", message: undefined, alert: false });
        continue;
      }
      this.push({ row: this.newRow(target, file, { state: "queued" }), file, fingerprint, meter: new SpeedMeter() });
    }
    this.pump();
  }

  private newRow(t: Target, f: File, s: Pick<UploadRow, "state"> & Partial<UploadRow>): UploadRow {
    return { id: this.nextId++, listId: t.listId, taskId: t.taskId, taskTitle: t.taskTitle, name: f.name, size: f.size, uploaded: 0, ...s };
  }

  private push(l: Live): void {
    this.live.push(l);
    this.changed();
  }

  private remove(l: Live): void {
    this.live = this.live.filter((x) => x !== l);
    this.changed();
  }

  /** Removes a finished, failed, refused or cancelled row from view. */
  dismiss(id: number): void {
    const l = this.live.find((x) => x.row.id === id);
    if (l && ["done", "failed", "refused", "cancelled"].includes(l.row.state)) this.remove(l);
  }

  /** Cancel: a running upload is stopped and its session deleted; a paused one's session is deleted. */
  async cancel(id: number): Promise<void> {
    const l = this.live.find((x) => x.row.id === id);
    if (!l) return;
    const s = l.row.state;
    if (s === "queued" && !l.recordKey) return this.remove(l);
    if (s === "uploading" || s === "retrying" || s === "queued" || s === "checking") {
      this.update(l, { state: "cancelling", message: "Cancelling…" });
      l.ctl?.abort(new DOMException("cancelled", "AbortError"));
      if (!l.ctl) await this.finishCancel(l);
      return;
    }
    if (s === "paused") {
      this.update(l, { state: "cancelling", message: "Cancelling…" });
      await this.finishCancel(l);
    }
  }

  /** Deletes the recorded session (if any is left: the SDK deletes it when aborted mid-call) and forgets it. */
  private async finishCancel(l: Live): Promise<void> {
    const key = l.recordKey;
    const stored = key ? this.read(key) : undefined;
    try {
      if (stored) await this.o.client.sessions.cancel(stored.record.uploadUrl);
      if (key) this.storage.removeItem(key);
      l.recordKey = undefined;
      this.update(l, { state: "cancelled", message: "Cancelled: the upload session was deleted.", alert: false, speed: undefined, secondsLeft: undefined });
    } catch (e) {
      this.update(l, { state: stored && !l.file ? "paused" : "failed", message: inWords(e, `Could not cancel ${l.row.name}`), alert: true });
    }
  }

  // ---- running ----------------------------------------------------------------------------------

  private pump(): void {
    const limit = this.o.parallel ?? PARALLEL;
    while (!this.disposed && this.running < limit) {
      const next = this.live.find((l) => l.row.state === "queued" && l.file);
      if (!next) return;
      this.running++;
      void this.run(next).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(l: Live): Promise<void> {
    const ctl = new AbortController();
    l.ctl = ctl;
    l.meter.reset();
    this.update(l, { state: "uploading", message: undefined, alert: false });
    for (let wait = 0; ; ) {
      try {
        const r = await this.o.client.uploadAttachment({
          listId: l.row.listId,
          taskId: l.row.taskId,
          source: l.file!,
          name: l.row.name,
          chunkSize: CHUNK_BYTES,
          signal: ctl.signal,
          cancelOnAbort: true,
          resumeStore: this.storeFor(l),
          onSession: (s) => {
            l.meter.add(Date.now(), s.resumedFrom);
            this.update(l, { uploaded: s.resumedFrom, ...(s.resumedFrom > 0 ? { resumedFrom: s.resumedFrom } : {}) });
          },
          onProgress: (p) => {
            wait = 0;
            l.meter.add(Date.now(), p.bytesUploaded);
            this.update(l, { state: "uploading", uploaded: p.bytesUploaded, message: undefined, speed: l.meter.speed(), secondsLeft: l.meter.secondsLeft(l.row.size) });
          },
          onRetry: (e: RetryEvent) => {
            l.meter.reset();
            this.update(l, { state: "retrying", speed: undefined, secondsLeft: undefined, message: retryWords(e) });
          },
        });
        l.recordKey = undefined;
        l.file = undefined;
        this.update(l, { state: "done", uploaded: r.size, message: r.resumedFrom > 0 ? `Attached (resumed from ${Math.round((r.resumedFrom / r.size) * 100)} %).` : "Attached.", speed: undefined, secondsLeft: 0 });
        this.o.onAttached(l.row);
        return;
      } catch (e) {
        if (ctl.signal.aborted || isAbortError(e)) {
          if (!this.disposed) await this.finishCancel(l);
          return;
        }
        if (isTransient(e)) {
          // The SDK gave up for now (the server is down for longer than its retries); wait and go on.
          wait = Math.min(30_000, wait === 0 ? 2_000 : wait * 2);
          this.update(l, { state: "retrying", speed: undefined, secondsLeft: undefined, message: `The server cannot be reached; trying again in ${formatDuration(wait / 1000)}.` });
          try {
            await sleep(wait, ctl.signal);
          } catch {
            if (!this.disposed) await this.finishCancel(l);
            return;
          }
          continue;
        }
        const changed = (e as { code?: string }).code === "sourceChanged";
        if (changed && l.recordKey) {
          // Not the file whose session this is: the paused upload stays, waiting for the right one.
          l.file = undefined;
          this.update(l, { state: "paused", alert: true, message: `${l.row.name} is not the file whose upload is paused: its content differs. ${PAUSED_MESSAGE}.` });
          return;
        }
        this.update(l, { state: "failed", alert: true, message: inWords(e, `Could not upload ${l.row.name}`), speed: undefined, secondsLeft: undefined });
        return;
      } finally {
        if (l.ctl === ctl && (l.row.state === "done" || l.row.state === "failed" || l.row.state === "cancelled" || l.row.state === "paused")) l.ctl = undefined;
      }
    }
  }
}

function retryWords(e: RetryEvent): string {
  const why = e.status === undefined ? "The connection was lost" : e.status >= 500 ? `The server answered ${e.status}` : e.status === 429 ? "The server asked us to slow down" : `The server answered ${e.status}`;
  return `${why}; trying again in ${formatDuration(e.delayMs / 1000)} and continuing where the server stands.`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
