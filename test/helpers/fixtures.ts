// Common set-up through the API itself: a list and a task for a user.
import { call } from "./http.js";
import type { TestServer } from "./server.js";

export interface TaskFixture {
  token: string;
  /** e.g. http://127.0.0.1:1234/v1.0/me/todo */
  todo: string;
  listId: string;
  taskId: string;
  /** .../lists/{listId}/tasks/{taskId} */
  taskUrl: string;
}

export async function makeTask(s: TestServer, user = "alice", version = "v1.0"): Promise<TaskFixture> {
  const token = await s.token({ user });
  const todo = `${s.url}/${version}/me/todo`;
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
export async function makeSession(f: TaskFixture, size: number, name = "file.bin", contentType?: string): Promise<string> {
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
