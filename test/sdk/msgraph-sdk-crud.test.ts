// Microsoft's full Kiota-generated SDK (@microsoft/msgraph-sdk + @microsoft/msgraph-sdk-users,
// 1.0.0-preview.90) against `taskdrop serve --https --session-casing camel`: lists, tasks and
// attachments CRUD, $expand on lists through queryParameters, and createUploadSession + the upload
// through LargeFileUploadTask, with the SDK's defects worked around and each one checked (issue 14).
// The SDK runs in a child process (msgraph-sdk-crud.child.ts).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { runSdkChild } from "./sdk-child.js";

let s: TestServer;
before(async () => {
  // camelCase intermediate upload answers: Kiota reads only `nextExpectedRanges`.
  s = await startTestServer({ https: true, sessionCasing: "camel" });
});
after(() => s.close());

test("msgraph-sdk: lists/tasks/attachments CRUD, $expand on lists, createUploadSession and LargeFileUploadTask", async () => {
  const { out } = await runSdkChild(s, "msgraph-sdk-crud.child.js", "msgraph-sdk-crud", 120_000);
  assert.equal(out.listGet, "Kiota CRUD");
  assert.equal(out.listPatch, "Kiota CRUD 2");
  assert.deepEqual(out.taskPatch, ["completed", "UTC"]);
  assert.deepEqual(out.tasksGet, ["first", "second"]);
  assert.deepEqual(out.afterDelete, ["first"]);
  assert.deepEqual(out.expandedLists, { tasks: [["first", null]], extensions: ["red"] });
  assert.deepEqual(out.expandedList, ["first"]);
  // The defect: contentBytes dropped, so the SDK's own body is refused. The day it is fixed this says so.
  assert.equal(out.postAsIs, 400, "attachments.post() of a taskFileAttachment now sends contentBytes: update docs/https-and-sdks.md");
  assert.deepEqual(out.attachment, { name: "hello.txt", size: 16 });
  assert.equal(out.attachmentGet, "hello from Kiota");
  assert.equal(out.attachmentValue, "hello from Kiota");
  assert.deepEqual(out.attachmentsList, ["hello.txt"]);
  assert.deepEqual(out.session, { hasUrl: true, ranges: ["0-"] });
  const size = 3 * 1024 * 1024 + 123;
  const slice = 1024 * 1024 + 320 * 1024;
  assert.deepEqual(
    out.puts.map((p: [string, string, number]) => [p[0], p[2]]),
    [
      [`bytes 0-${slice - 1}/${size}`, 200],
      [`bytes ${slice}-${2 * slice - 1}/${size}`, 200],
      [`bytes ${2 * slice}-${size - 1}/${size}`, 201],
    ],
  );
  assert.deepEqual(out.puts.map((p: [string, string, number]) => p[1]), [String(slice - 1), String(slice - 1), String(size - 2 * slice - 1)], "Content-Length is still one byte short");
  assert.equal(out.uploadFinal, "threw on bodyless 201", "LargeFileUploadTask now completes on the bodyless 201: update docs/https-and-sdks.md");
  assert.match(out.location, /\/Attachments\('[^']+'\)$/);
  assert.deepEqual(out.afterUpload, [["hello.txt", 16], ["big.bin", size]]);
  assert.equal(out.uploadExact, true);
  assert.deepEqual(out.afterAttachmentDelete, ["big.bin"]);
  assert.equal(out.listAfterDelete, 404);
  assert.equal(out.clientFromAdapter, true);
});
