// Resume records: what an interrupted upload needs to continue in a later process. The server is
// the only authority on how many bytes it holds (asked with GET uploadUrl); a record only says
// which session belongs to which source, and what that source was.
import type { SourceIdentity } from "./sources.js";
import { sha256Hex } from "./sources.js";

export interface ResumeRecord {
  version: 1;
  /** The session's upload URL. A capability: whoever has it can write to the session. */
  uploadUrl: string;
  expirationDateTime?: string;
  /** When the session was created (ISO 8601). */
  createdAt: string;
  /** The To Do root the upload went to (base URL and user). */
  root: string;
  listId: string;
  taskId: string;
  name: string;
  contentType: string;
  size: number;
  source: SourceIdentity;
}

/** Where records live: a directory in Node (see ./node.js), localStorage in a browser, or your own. */
export interface ResumeStore {
  get(key: string): Promise<ResumeRecord | undefined>;
  set(key: string, record: ResumeRecord): Promise<void>;
  delete(key: string): Promise<void>;
}

export function memoryResumeStore(): ResumeStore & { records: Map<string, ResumeRecord> } {
  const records = new Map<string, ResumeRecord>();
  return {
    records,
    get: async (k) => records.get(k),
    set: async (k, r) => void records.set(k, structuredClone(r)),
    delete: async (k) => void records.delete(k),
  };
}

/** Records in Web Storage (localStorage by default), for resuming in a browser after a reload. */
export function webStorageResumeStore(storage: Storage = globalThis.localStorage, prefix = "taskdrop-upload:"): ResumeStore {
  return {
    async get(k) {
      const v = storage.getItem(prefix + k);
      if (v === null) return undefined;
      try {
        return JSON.parse(v) as ResumeRecord;
      } catch {
        return undefined;
      }
    },
    set: async (k, r) => storage.setItem(prefix + k, JSON.stringify(r)),
    delete: async (k) => storage.removeItem(prefix + k),
  };
}

/**
 * The record key: the same destination and the same source give the same key. A file is known by
 * its path (so a changed file is found and refused), other sources by their content and name.
 */
export async function resumeKey(root: string, listId: string, taskId: string, name: string, id: SourceIdentity): Promise<string | undefined> {
  const what = id.kind === "path" ? ["path", id.path] : [id.kind, id.sha256, name];
  return sha256Hex(new TextEncoder().encode(JSON.stringify([root.toLowerCase(), listId, taskId, ...what])));
}

/** Why a file behind a record is not the one that was being uploaded, or undefined when it is. */
export function describeChange(was: SourceIdentity, now: SourceIdentity): string | undefined {
  if (was.size !== now.size) return `its size changed from ${was.size} to ${now.size} bytes`;
  if (was.sha256 !== now.sha256) return "its content changed";
  return undefined;
}
