// Common set-up and upload steps through the API itself, for any server (startTestServer, a
// ProcessServer, an instance of a multi-instance deployment): the one makeTask, the one PUT of a
// range, and the flows built on them.
import { createHash } from "node:crypto";
import { call } from "./http.js";

export interface TaskFixture {
  token: string;
  /** e.g. http://127.0.0.1:1234/v1.0/me/todo */
  todo: string;
  listId: string;
  taskId: string;
  /** .../lists/{listId}/tasks/{taskId} */
  taskUrl: string;
}

/** A list and a task for the token's user, created through the API of the server at `baseUrl`. */
export async function makeTask(baseUrl: string, token: string, version = "v1.0"): Promise<TaskFixture> {
  const todo = `${baseUrl}/${version}/me/todo`;
  const list = await call("POST", `${todo}/lists`, { token, json: { displayName: "Fixture list" } });
  if (list.status !== 201) throw new Error(`create list: ${list.status} ${list.text}`);
  const task = await call("POST", `${todo}/lists/${list.json.id}/tasks`, { token, json: { title: "Fixture task" } });
  if (task.status !== 201) throw new Error(`create task: ${task.status} ${task.text}`);
  return {
    token,
    todo,
    listId: list.json.id,
    taskId: task.json.id,
    taskUrl: `${todo}/lists/${encodeURIComponent(list.json.id)}/tasks/${encodeURIComponent(task.json.id)}`,
  };
}

/** Creates an upload session and returns its uploadUrl. */
export async function makeSession(f: Pick<TaskFixture, "token" | "taskUrl">, size: number, name = "file.bin", contentType?: string): Promise<string> {
  const r = await call("POST", `${f.taskUrl}/attachments/createUploadSession`, {
    token: f.token,
    json: { attachmentInfo: { attachmentType: "file", name, size, ...(contentType ? { contentType } : {}) } },
  });
  if (r.status !== 200) throw new Error(`createUploadSession: ${r.status} ${r.text}`);
  return r.json.uploadUrl;
}

/** PUTs one range of `data` to an uploadUrl. */
export function putRange(uploadUrl: string, data: Buffer, start: number, end: number, headers: Record<string, string> = {}) {
  return call("PUT", uploadUrl, {
    body: data.subarray(start, end + 1),
    headers: { "content-type": "application/octet-stream", "content-range": `bytes ${start}-${end}/${data.length}`, ...headers },
  });
}

export const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Where the session stands: the next offset, or "done" with the attachment's Location. */
export async function sessionState(uploadUrl: string): Promise<{ status: number; next?: number; location?: string | null }> {
  const r = await call("GET", uploadUrl);
  if (r.status !== 200) return { status: r.status };
  const ranges: string[] = r.json.nextExpectedRanges;
  if (ranges.length === 0) return { status: 200, location: r.headers.get("location") };
  const m = /^(\d+)-$/.exec(ranges[0]!);
  if (!m) throw new Error(`nextExpectedRanges malformed: ${JSON.stringify(ranges)}`);
  return { status: 200, next: Number(m[1]) };
}

/**
 * A correct PUT that, like a well-behaved client, waits and retries while the server says another
 * request still holds the session (409): a request whose connection just dropped may hold it for a
 * few milliseconds more, until the server has seen the drop.
 */
export async function putAfterConflicts(uploadUrl: string, data: Buffer, start: number, end: number, withinMs = 2_000) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const r = await putRange(uploadUrl, data, start, end);
    if (r.status !== 409 || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** Uploads what is left of `data` from where the session stands; returns the attachment's Location. */
export async function finishUpload(uploadUrl: string, data: Buffer, chunk: number): Promise<string> {
  for (;;) {
    const st = await sessionState(uploadUrl);
    if (st.status !== 200) throw new Error(`GET session: ${st.status}`);
    if (st.next === undefined) return st.location!;
    const end = Math.min(st.next + chunk, data.length) - 1;
    const r = await putRange(uploadUrl, data, st.next, end);
    if (r.status === 201) return r.headers.get("location")!;
    if (r.status !== 200) throw new Error(`PUT ${st.next}-${end}: ${r.status} ${r.text}`);
  }
}

/** Bytes of $value at an attachment Location. */
export async function attachmentBytes(location: string, token: string): Promise<Buffer> {
  const r = await call("GET", `${location}/$value`, { token });
  if (r.status !== 200) throw new Error(`GET $value: ${r.status} ${r.text}`);
  return r.bytes;
}
