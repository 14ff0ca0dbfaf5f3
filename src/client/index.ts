// taskdrop/client — a typed client for Microsoft Graph's To Do lists, tasks and task attachments,
// for Node 20+ and browsers, against https://graph.microsoft.com/v1.0 or a Taskdrop server.
// Uploads go through resumable upload sessions with retries; see uploadAttachment.
import { TaskdropClient, type ClientOptions } from "./client.js";
import type { DownloadOptions, DownloadResult } from "./download.js";
import type { UploadOptions, UploadResult } from "./upload.js";

export { TaskdropClient, GRAPH_BASE_URL, odataString, type ClientOptions, type CallOptions } from "./client.js";
export { GraphRequestError, NetworkError, SourceChangedError, TaskdropError, VerificationError, isAbortError } from "./errors.js";
export { DEFAULT_RETRY, type RetryEvent, type RetryOptions, type TokenProvider } from "./http.js";
export { memoryResumeStore, webStorageResumeStore, type ResumeRecord, type ResumeStore } from "./resume.js";
export type { SizedStream, SourceIdentity, UploadSource } from "./sources.js";
export type { DownloadOptions, DownloadResult, DownloadTarget, NodeWritableLike } from "./download.js";
export {
  MAX_ATTACHMENT_BYTES,
  MAX_CHUNK_BYTES,
  SMALL_FILE_LIMIT,
  attachmentIdFromLocation,
  type SessionState,
  type UploadOptions,
  type UploadProgress,
  type UploadResult,
} from "./upload.js";
export type * from "./types.js";

/** A client given as `client`, or made from the connection options. */
export type WithClient<T> = T & ({ client: TaskdropClient } | (ClientOptions & { client?: undefined }));

function clientOf(o: { client?: TaskdropClient } & ClientOptions): TaskdropClient {
  return o.client ?? new TaskdropClient(o);
}

/**
 * Uploads a file to a task: `uploadAttachment({ baseUrl, token, listId, taskId, source })` or
 * `uploadAttachment({ client, listId, taskId, source })`. Resolves with the attachment id.
 */
export function uploadAttachment(o: WithClient<UploadOptions>): Promise<UploadResult> {
  return clientOf(o).uploadAttachment(o);
}

/** Streams an attachment to a file or stream, checking its length (and SHA-256 on Taskdrop). */
export function downloadAttachment(o: WithClient<DownloadOptions>): Promise<DownloadResult> {
  return clientOf(o).downloadAttachment(o);
}

/** Deletes the recorded session of an interrupted upload and forgets its record. */
export function cancelUpload(o: WithClient<Parameters<TaskdropClient["cancelUpload"]>[0]>): Promise<boolean> {
  return clientOf(o).cancelUpload(o);
}
