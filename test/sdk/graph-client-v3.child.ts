// Run by graph-client-v3.test.ts in a child process whose only trust in Taskdrop's development CA
// is NODE_EXTRA_CA_CERTS, as the README tells users. Microsoft's JS SDK v3 is used unchanged;
// the only Taskdrop-specific things are configuration: baseUrl, customHosts and rangeSize.
// Prints one JSON line with what the SDK saw; the parent asserts on it.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Client, FileUpload, LargeFileUploadTask, type GraphError, ResponseType, type Range } from "@microsoft/microsoft-graph-client";

const { BASE, TOKEN, FILE } = process.env as Record<string, string>;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const client = Client.init({
  baseUrl: BASE, // https://localhost:PORT
  customHosts: new Set(["localhost"]), // host name only: without it the SDK sends no token to this host
  authProvider: (done) => done(null, TOKEN),
});

async function main() {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const out: Record<string, any> = {};
  const data = new Uint8Array(await readFile(FILE));

  // Lists
  const lists = await client.api("/me/todo/lists").get();
  out.defaultList = lists.value.find((l: { wellknownListName: string }) => l.wellknownListName === "defaultList")?.displayName;
  const list = await client.api("/me/todo/lists").post({ displayName: "Holiday" });
  const renamed = await client.api(`/me/todo/lists/${list.id}`).patch({ displayName: "Holiday 2026" });
  out.list = { created: list.displayName, renamed: renamed.displayName };

  // Tasks, with paging through @odata.nextLink
  const tasksPath = `/me/todo/lists/${list.id}/tasks`;
  const task = await client.api(tasksPath).post({ title: "Pack", importance: "high", body: { content: "passport", contentType: "text" } });
  await client.api(tasksPath).post({ title: "Book" });
  const page1 = await client.api(tasksPath).top(1).get();
  const page2 = await client.api(page1["@odata.nextLink"]).get();
  const patched = await client.api(`${tasksPath}/${task.id}`).patch({ status: "completed" });
  out.tasks = {
    title: task.title,
    importance: task.importance,
    pages: [page1.value.length, page2.value.length],
    nextLink: page1["@odata.nextLink"],
    completed: patched.status === "completed" && typeof patched.completedDateTime?.dateTime === "string",
  };

  // Large file upload with rangeSize 4 MiB
  const attachmentsPath = `${tasksPath}/${task.id}/attachments`;
  const payload = { attachmentInfo: { attachmentType: "file", name: "holiday.bin", size: data.length, contentType: "application/octet-stream" } };
  const session = await LargeFileUploadTask.createUploadSession(client, `${attachmentsPath}/createUploadSession`, payload);
  const ranges: [number, number][] = [];
  const upload = new LargeFileUploadTask(client, new FileUpload(data.buffer as ArrayBuffer, "holiday.bin", data.length), session, {
    rangeSize: 4 * 1024 * 1024,
    uploadEventHandlers: { progress: (r?: Range) => void ranges.push([r!.minValue, r!.maxValue]) },
  });
  const result = await upload.upload();
  out.upload = { uploadUrl: session.url, location: result.location, ranges };
  // Follow the Location with the SDK itself: the attachment, then its bytes.
  const att = await client.api(result.location).get();
  const bytes: ArrayBuffer = await client.api(`${result.location}/$value`).responseType(ResponseType.ARRAYBUFFER).get();
  out.attachment = { name: att.name, size: att.size, contentBytes: typeof att.contentBytes, sha256: sha256(new Uint8Array(bytes)) };
  const listed = await client.api(attachmentsPath).get();
  out.listed = listed.value.map((a: { id: string; name: string }) => a.name);

  // The SDK's default 5 MiB slice: a clear 413 that says what to change. LargeFileUploadTask.upload()
  // rejects with the parsed Graph error body (it does so against Graph too); the same slice sent
  // through the SDK's own raw-response method shows the status.
  const session2 = await LargeFileUploadTask.createUploadSession(client, `${attachmentsPath}/createUploadSession`, payload);
  const fileObject = new FileUpload(data.buffer as ArrayBuffer, "holiday.bin", data.length);
  const defaults = new LargeFileUploadTask(client, fileObject, session2);
  const firstRange = defaults.getNextRange();
  out.defaultSlice = { range: [firstRange.minValue, firstRange.maxValue] };
  try {
    await defaults.upload();
    out.defaultSlice.rejected = null;
  } catch (e) {
    out.defaultSlice.rejected = e;
  }
  const raw = (await defaults.uploadSliceGetRawResponse(await fileObject.sliceFile(firstRange), firstRange, data.length)) as Response;
  out.defaultSlice.status = raw.status;
  out.defaultSlice.contentType = raw.headers.get("content-type");
  // getStatus (camelCase) shows nothing was taken; cancel ends the session.
  const status = (await defaults.getStatus()) as { nextExpectedRanges: string[] };
  out.status = status.nextExpectedRanges;
  const cancelled = await defaults.cancel();
  out.cancelled = (cancelled as Response).status;
  try {
    await client.api(session2.url).get();
    out.afterCancel = 200;
  } catch (e) {
    out.afterCancel = (e as GraphError).statusCode;
  }
  return out;
}

main().then(
  (out) => process.stdout.write(JSON.stringify(out) + "\n"),
  (e) => {
    process.stderr.write(`SDK run failed: ${(e as Error)?.stack ?? e} ${JSON.stringify(e)}\n`);
    process.exit(1);
  },
);
