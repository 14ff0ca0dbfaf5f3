// TaskdropClient: thin typed calls for Graph's To Do routes (lists, tasks, attachments, upload
// sessions), paging through @odata.nextLink, plus uploads and downloads. Works against
// https://graph.microsoft.com/v1.0 and against a Taskdrop server alike.
import { download, streamSink, type DownloadOptions, type DownloadResult, type Sink } from "./download.js";
import { TaskdropError } from "./errors.js";
import { Transport, errorFrom, type TransportOptions } from "./http.js";
import { resumeKey, type ResumeStore } from "./resume.js";
import { isNodeRuntime, openMemorySource, toBase64, type OpenedSource, type UploadSource } from "./sources.js";
import type { AttachmentSession, ChecklistItem, CollectionQuery, LinkedResource, LinkedResourceInput, OpenExtension, Page, TaskFileAttachment, TodoTask, TodoTaskInput, TodoTaskList, UploadSessionInfo } from "./types.js";
import * as up from "./upload.js";

export const GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0";

export interface ClientOptions extends TransportOptions {
  /** Service root with its version, e.g. https://graph.microsoft.com/v1.0 (default) or http://127.0.0.1:8080/v1.0. */
  baseUrl?: string;
  /** "me" (default) or a user's id or userPrincipalName (routes under /users/{id}). */
  user?: string;
  /** Resume records for uploads (default in Node: files under stateDir; in browsers: none). */
  resumeStore?: ResumeStore;
  /** Node: directory for resume records (default $TASKDROP_STATE_DIR, else ~/.local/state/taskdrop). */
  stateDir?: string;
  /**
   * Send the bearer token to upload URLs: "same-origin" (default; only when the upload URL is on
   * the base URL's origin, as Graph's own are), "always" or "never". The URL itself authorises.
   */
  uploadUrlAuth?: "same-origin" | "always" | "never";
}

export interface CallOptions {
  signal?: AbortSignal;
}

type NodeModule = typeof import("./node.js");
let nodeModule: Promise<NodeModule> | undefined;
/** The Node-only helpers, loaded on first need so a browser never fetches them. */
export function loadNode(): Promise<NodeModule> {
  if (!isNodeRuntime()) return Promise.reject(new TaskdropError("nodeOnly", "File paths and state directories need Node; in a browser pass a Blob, bytes or a stream."));
  return (nodeModule ??= import("./node.js"));
}

const enc = encodeURIComponent;

function queryString(q: CollectionQuery | undefined): string {
  if (!q) return "";
  const parts: string[] = [];
  if (q.top !== undefined) parts.push(`$top=${q.top}`);
  if (q.skip !== undefined) parts.push(`$skip=${q.skip}`);
  if (q.filter !== undefined) parts.push(`$filter=${enc(q.filter)}`);
  if (q.select !== undefined) parts.push(`$select=${q.select.map(enc).join(",")}`);
  if (q.orderby !== undefined) parts.push(`$orderby=${enc(q.orderby)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

/** An OData string literal: quotes doubled. */
export function odataString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export class TaskdropClient {
  readonly baseUrl: string;
  /** {baseUrl}/me/todo or {baseUrl}/users/{id}/todo */
  readonly root: string;
  readonly transport: Transport;
  private readonly options: ClientOptions;
  private defaultStore: Promise<ResumeStore | undefined> | undefined;

  constructor(options: ClientOptions = {}) {
    this.options = options;
    this.baseUrl = (options.baseUrl ?? GRAPH_BASE_URL).replace(/\/+$/, "");
    try {
      new URL(this.baseUrl);
    } catch {
      throw new TaskdropError("badBaseUrl", `baseUrl must be an absolute URL such as ${GRAPH_BASE_URL}, got "${options.baseUrl}".`);
    }
    const user = options.user ?? "me";
    this.root = user === "me" ? `${this.baseUrl}/me/todo` : `${this.baseUrl}/users/${enc(user)}/todo`;
    this.transport = new Transport(options);
  }

  // ---- plumbing -------------------------------------------------------------------------------

  /** An absolute URL for a path under the To Do root (or the URL itself when absolute). */
  url(path: string): string {
    return /^https?:\/\//i.test(path) ? path : `${this.root}${path.startsWith("/") ? "" : "/"}${path}`;
  }

  listUrl(listId: string): string {
    return `${this.root}/lists/${enc(listId)}`;
  }

  taskUrl(listId: string, taskId: string): string {
    return `${this.listUrl(listId)}/tasks/${enc(taskId)}`;
  }

  attachmentUrl(listId: string, taskId: string, attachmentId: string): string {
    return `${this.taskUrl(listId, taskId)}/attachments/${enc(attachmentId)}`;
  }

  /** One JSON call with retries; an error status throws GraphRequestError. */
  async request<T>(method: string, path: string, o: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal; idempotent?: boolean } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json", ...(o.headers ?? {}) };
    if (o.body !== undefined) headers["content-type"] = "application/json";
    return this.transport.json<T>({
      method,
      url: this.url(path),
      headers,
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      signal: o.signal,
      idempotent: o.idempotent,
    });
  }

  /** One page of a collection and its nextLink. */
  async page<T>(url: string, o: CallOptions = {}): Promise<Page<T>> {
    const body = await this.request<{ value: T[]; "@odata.nextLink"?: string }>("GET", url, o);
    return { value: body.value ?? [], ...(body["@odata.nextLink"] ? { nextLink: body["@odata.nextLink"] } : {}) };
  }

  /** Every item of a collection, page after page through @odata.nextLink. */
  async *iterate<T>(url: string, o: CallOptions = {}): AsyncGenerator<T> {
    let next: string | undefined = this.url(url);
    // A server that links a page to itself would loop forever; a page seen twice ends it.
    const seen = new Set<string>();
    while (next && !seen.has(next)) {
      seen.add(next);
      const p: Page<T> = await this.page<T>(next, o);
      yield* p.value;
      next = p.nextLink;
    }
  }

  async all<T>(url: string, o: CallOptions = {}): Promise<T[]> {
    const out: T[] = [];
    for await (const x of this.iterate<T>(url, o)) out.push(x);
    return out;
  }

  // ---- resources --------------------------------------------------------------------------------

  readonly lists = {
    list: (q?: CollectionQuery, o?: CallOptions) => this.all<TodoTaskList>(`/lists${queryString(q)}`, o),
    iterate: (q?: CollectionQuery, o?: CallOptions) => this.iterate<TodoTaskList>(`/lists${queryString(q)}`, o),
    create: (body: { displayName: string } & Record<string, unknown>, o?: CallOptions) => this.request<TodoTaskList>("POST", "/lists", { ...o, body }),
    get: (listId: string, o?: CallOptions) => this.request<TodoTaskList>("GET", this.listUrl(listId), o),
    update: (listId: string, patch: { displayName?: string } & Record<string, unknown>, o?: CallOptions & { ifMatch?: string }) =>
      this.request<TodoTaskList>("PATCH", this.listUrl(listId), { ...o, body: patch, headers: ifMatch(o) }),
    delete: (listId: string, o?: CallOptions) => this.request<void>("DELETE", this.listUrl(listId), o),
  };

  readonly tasks = {
    list: (listId: string, q?: CollectionQuery, o?: CallOptions) => this.all<TodoTask>(`${this.listUrl(listId)}/tasks${queryString(q)}`, o),
    iterate: (listId: string, q?: CollectionQuery, o?: CallOptions) => this.iterate<TodoTask>(`${this.listUrl(listId)}/tasks${queryString(q)}`, o),
    create: (listId: string, body: TodoTaskInput & { title: string }, o?: CallOptions) => this.request<TodoTask>("POST", `${this.listUrl(listId)}/tasks`, { ...o, body }),
    get: (listId: string, taskId: string, o?: CallOptions) => this.request<TodoTask>("GET", this.taskUrl(listId, taskId), o),
    update: (listId: string, taskId: string, patch: TodoTaskInput, o?: CallOptions & { ifMatch?: string }) =>
      this.request<TodoTask>("PATCH", this.taskUrl(listId, taskId), { ...o, body: patch, headers: ifMatch(o) }),
    delete: (listId: string, taskId: string, o?: CallOptions) => this.request<void>("DELETE", this.taskUrl(listId, taskId), o),
  };

  /** A task's steps (Graph's checklistItems). */
  readonly checklistItems = {
    list: (listId: string, taskId: string, q?: CollectionQuery, o?: CallOptions) =>
      this.all<ChecklistItem>(`${this.taskUrl(listId, taskId)}/checklistItems${queryString(q)}`, o),
    create: (listId: string, taskId: string, body: { displayName: string; isChecked?: boolean }, o?: CallOptions) =>
      this.request<ChecklistItem>("POST", `${this.taskUrl(listId, taskId)}/checklistItems`, { ...o, body }),
    update: (listId: string, taskId: string, itemId: string, patch: { displayName?: string; isChecked?: boolean }, o?: CallOptions) =>
      this.request<ChecklistItem>("PATCH", `${this.taskUrl(listId, taskId)}/checklistItems/${enc(itemId)}`, { ...o, body: patch }),
    delete: (listId: string, taskId: string, itemId: string, o?: CallOptions) =>
      this.request<void>("DELETE", `${this.taskUrl(listId, taskId)}/checklistItems/${enc(itemId)}`, o),
    get: (listId: string, taskId: string, itemId: string, o?: CallOptions) =>
      this.request<ChecklistItem>("GET", `${this.taskUrl(listId, taskId)}/checklistItems/${enc(itemId)}`, o),
  };

  /** The items a task links to in other apps (Graph's linkedResources). */
  readonly linkedResources = {
    list: (listId: string, taskId: string, q?: CollectionQuery, o?: CallOptions) =>
      this.all<LinkedResource>(`${this.taskUrl(listId, taskId)}/linkedResources${queryString(q)}`, o),
    create: (listId: string, taskId: string, body: LinkedResourceInput, o?: CallOptions) =>
      this.request<LinkedResource>("POST", `${this.taskUrl(listId, taskId)}/linkedResources`, { ...o, body }),
    get: (listId: string, taskId: string, id: string, o?: CallOptions) => this.request<LinkedResource>("GET", `${this.taskUrl(listId, taskId)}/linkedResources/${enc(id)}`, o),
    update: (listId: string, taskId: string, id: string, patch: LinkedResourceInput, o?: CallOptions) =>
      this.request<LinkedResource>("PATCH", `${this.taskUrl(listId, taskId)}/linkedResources/${enc(id)}`, { ...o, body: patch }),
    delete: (listId: string, taskId: string, id: string, o?: CallOptions) => this.request<void>("DELETE", `${this.taskUrl(listId, taskId)}/linkedResources/${enc(id)}`, o),
  };

  /**
   * Open extensions of a task (`taskId` given) or of a list (`taskId` undefined), named by their
   * extensionName; `create` adds the `@odata.type` Graph requires.
   */
  readonly extensions = {
    list: (listId: string, taskId: string | undefined, o?: CallOptions) => this.all<OpenExtension>(`${this.extensionsUrl(listId, taskId)}`, o),
    create: (listId: string, taskId: string | undefined, extensionName: string, data: Record<string, unknown>, o?: CallOptions) =>
      this.request<OpenExtension>("POST", this.extensionsUrl(listId, taskId), { ...o, body: { "@odata.type": "microsoft.graph.openTypeExtension", extensionName, ...data } }),
    get: (listId: string, taskId: string | undefined, extensionName: string, o?: CallOptions) =>
      this.request<OpenExtension>("GET", `${this.extensionsUrl(listId, taskId)}/${enc(extensionName)}`, o),
    update: (listId: string, taskId: string | undefined, extensionName: string, patch: Record<string, unknown>, o?: CallOptions) =>
      this.request<OpenExtension>("PATCH", `${this.extensionsUrl(listId, taskId)}/${enc(extensionName)}`, { ...o, body: patch }),
    delete: (listId: string, taskId: string | undefined, extensionName: string, o?: CallOptions) =>
      this.request<void>("DELETE", `${this.extensionsUrl(listId, taskId)}/${enc(extensionName)}`, o),
  };

  private extensionsUrl(listId: string, taskId: string | undefined): string {
    return `${taskId === undefined ? this.listUrl(listId) : this.taskUrl(listId, taskId)}/extensions`;
  }

  readonly attachments = {
    list: (listId: string, taskId: string, q?: CollectionQuery, o?: CallOptions) =>
      this.all<TaskFileAttachment>(`${this.taskUrl(listId, taskId)}/attachments${queryString(q)}`, o),
    /** One attachment, with its bytes as base64 `contentBytes` (use download() for large ones). */
    get: (listId: string, taskId: string, attachmentId: string, o?: CallOptions & { select?: string[] }) =>
      this.request<TaskFileAttachment>("GET", `${this.attachmentUrl(listId, taskId, attachmentId)}${queryString(o?.select ? { select: o.select } : undefined)}`, o),
    /** The small-file POST (under 3 MiB). Not retried on ambiguous failures: a repeat would attach twice. */
    create: (listId: string, taskId: string, a: { name: string; contentBytes: Uint8Array | string; contentType?: string }, o?: CallOptions) =>
      this.request<TaskFileAttachment>("POST", `${this.taskUrl(listId, taskId)}/attachments`, {
        ...o,
        idempotent: false,
        body: {
          "@odata.type": "#microsoft.graph.taskFileAttachment",
          name: a.name,
          contentBytes: typeof a.contentBytes === "string" ? a.contentBytes : toBase64(a.contentBytes),
          ...(a.contentType ? { contentType: a.contentType } : {}),
        },
      }),
    delete: (listId: string, taskId: string, attachmentId: string, o?: CallOptions) => this.request<void>("DELETE", this.attachmentUrl(listId, taskId, attachmentId), o),
    createUploadSession: async (listId: string, taskId: string, info: { name: string; size: number; contentType?: string }, o?: CallOptions): Promise<UploadSessionInfo> => {
      const b = await this.request<Record<string, unknown>>("POST", `${this.taskUrl(listId, taskId)}/attachments/createUploadSession`, {
        ...o,
        idempotent: true,
        body: { attachmentInfo: { attachmentType: "file", ...info } },
      });
      return {
        uploadUrl: String(b.uploadUrl ?? b.UploadUrl),
        ...((b.expirationDateTime ?? b.ExpirationDateTime) ? { expirationDateTime: String(b.expirationDateTime ?? b.ExpirationDateTime) } : {}),
        nextExpectedRanges: up.readRanges(b) ?? [],
      };
    },
    /** The raw `$value` response, for streaming it yourself (download() checks and retries for you). */
    content: async (listId: string, taskId: string, attachmentId: string, o?: CallOptions & { range?: string }): Promise<Response> => {
      const url = `${this.attachmentUrl(listId, taskId, attachmentId)}/$value`;
      const res = await this.transport.send({ method: "GET", url, headers: o?.range ? { range: o.range } : {}, signal: o?.signal, idempotent: true });
      if (!res.ok) throw await errorFrom(res, "GET", url);
      return res;
    },
  };

  readonly sessions = {
    /** The caller's open upload sessions on a task. */
    list: (listId: string, taskId: string, o?: CallOptions) => this.all<AttachmentSession>(`${this.taskUrl(listId, taskId)}/attachmentSessions`, o),
    /** Where a session stands: next offset, or done (with the attachment's Location), or gone. */
    status: (uploadUrl: string, o?: CallOptions) => up.sessionStatus(this.uploadContext(), uploadUrl, o?.signal),
    cancel: (uploadUrl: string, o?: CallOptions) => up.cancelSession(this.uploadContext(), uploadUrl, o?.signal),
  };

  // ---- uploads and downloads -----------------------------------------------------------------

  uploadAttachment(o: up.UploadOptions): Promise<up.UploadResult> {
    return up.uploadAttachment(this.uploadContext(), o);
  }

  /**
   * Cancels the recorded upload of this source to this task: deletes the session and forgets the
   * record. Resolves true when there was one.
   */
  async cancelUpload(o: Pick<up.UploadOptions, "listId" | "taskId" | "source" | "name" | "size" | "resumeStore" | "stateDir" | "signal">): Promise<boolean> {
    const ctx = this.uploadContext();
    const store = await ctx.resumeStoreFor(o);
    if (!store) return false;
    const src = await ctx.openSource(o.source, o.size, o.signal);
    try {
      const id = await src.identity(o.signal);
      const name = o.name ?? src.name;
      if (!id || !name) return false;
      const key = await resumeKey(this.root, o.listId, o.taskId, name, id);
      const rec = key ? await store.get(key) : undefined;
      if (!rec || !key) return false;
      await up.cancelSession(ctx, rec.uploadUrl, o.signal);
      await store.delete(key);
      return true;
    } finally {
      await src.close();
    }
  }

  /** Streams an attachment's bytes to a file, a WritableStream or a Node Writable, checking its length. */
  async downloadAttachment(o: DownloadOptions): Promise<DownloadResult> {
    o.signal?.throwIfAborted();
    let sink: Sink;
    let newHasher;
    if (isNodeRuntime()) {
      const node = await loadNode();
      newHasher = node.sha256Hasher;
      sink = typeof o.to === "string" ? await node.fileSink(o.to, { overwrite: o.overwrite ?? true }) : streamSink(o.to, o.end ?? true);
    } else {
      if (typeof o.to === "string") throw new TaskdropError("nodeOnly", "Downloading to a path needs Node; pass a WritableStream.");
      sink = streamSink(o.to, o.end ?? true);
    }
    const url = `${this.attachmentUrl(o.listId, o.taskId, o.attachmentId)}/$value`;
    const sizeLookup = async () => (await this.attachments.get(o.listId, o.taskId, o.attachmentId, { select: ["size"], signal: o.signal })).size;
    return download(this.transport, url, sink, { signal: o.signal, onProgress: o.onProgress, onRetry: o.onRetry, newHasher, sizeLookup });
  }

  /** @internal What uploads need from the client. */
  uploadContext(): up.UploadContext {
    return {
      transport: this.transport,
      root: this.root,
      taskUrl: (l, t) => this.taskUrl(l, t),
      authFor: (u) => this.authFor(u),
      resumeStoreFor: (o) => this.resumeStoreFor(o),
      openSource: (s, size, signal) => openSource(s, size, signal),
      listAttachments: (l, t, signal) => this.attachments.list(l, t, undefined, { signal }),
      digestSupported: isNodeRuntime(),
    };
  }

  private authFor(uploadUrl: string): boolean {
    const mode = this.options.uploadUrlAuth ?? "same-origin";
    if (mode !== "same-origin") return mode === "always";
    try {
      return new URL(uploadUrl).origin === new URL(this.baseUrl).origin;
    } catch {
      return false;
    }
  }

  private async resumeStoreFor(o: { resumeStore?: ResumeStore; stateDir?: string }): Promise<ResumeStore | undefined> {
    if (o.resumeStore) return o.resumeStore;
    if (o.stateDir) return (await loadNode()).fileResumeStore(o.stateDir);
    if (this.options.resumeStore) return this.options.resumeStore;
    if (!isNodeRuntime()) return undefined;
    return (this.defaultStore ??= loadNode().then((n) => n.fileResumeStore(this.options.stateDir ?? n.defaultStateDir())));
  }
}

function ifMatch(o?: { ifMatch?: string }): Record<string, string> {
  return o?.ifMatch ? { "if-match": o.ifMatch } : {};
}

/** Paths go to the Node module; everything else is read here. */
export async function openSource(source: UploadSource, size?: number, signal?: AbortSignal): Promise<OpenedSource> {
  signal?.throwIfAborted();
  if (typeof source === "string") return (await loadNode()).openPathSource(source);
  return openMemorySource(source, size);
}
