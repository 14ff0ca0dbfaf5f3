// A separate process that uploads a file slowly and reports progress as JSON lines, so a test
// can kill it mid-upload (SIGKILL) and resume in another process. Arguments: one JSON object in
// the environment variable UPLOAD_CHILD.
import { TaskdropClient } from "../../src/client/index.js";

const a = JSON.parse(process.env.UPLOAD_CHILD ?? "{}") as {
  baseUrl: string;
  token: string;
  listId: string;
  taskId: string;
  file: string;
  stateDir: string;
  rate: number;
};
const client = new TaskdropClient({ baseUrl: a.baseUrl, token: a.token, stateDir: a.stateDir });
const r = await client.uploadAttachment({
  listId: a.listId,
  taskId: a.taskId,
  source: a.file,
  maxBytesPerSecond: a.rate,
  onProgress: (p) => process.stdout.write(JSON.stringify(p) + "\n"),
});
process.stdout.write(JSON.stringify({ done: r }) + "\n");
