// Microsoft's JS SDK v3 (@microsoft/microsoft-graph-client 3.0.7) against `taskdrop serve --https`:
// lists, tasks, a LargeFileUploadTask upload in 4 MiB ranges that comes back byte-exact, and the
// clear 413 its default 5 MiB slice gets. The SDK runs unchanged in a child process (see
// graph-client-v3.child.ts) that trusts the development CA through NODE_EXTRA_CA_CERTS only.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { runNode } from "../helpers/cli.js";
import { callVia, fetchVia, trustingAgent } from "../helpers/tls.js";

const CHILD = new URL("./graph-client-v3.child.js", import.meta.url).pathname;
const MiB = 1024 * 1024;

let s: TestServer;
before(async () => {
  s = await startTestServer({ https: true });
});
after(() => s.close());

test("JS SDK v3: lists, tasks and a LargeFileUploadTask upload over HTTPS, byte-exact; the default slice gets the 413", async () => {
  const port = new URL(s.url).port;
  const base = `https://localhost:${port}`;
  const caFile = s.running.tls!.caFile!;
  // Three ranges of at most 4 MiB, the last one short and odd-sized.
  const data = randomBytes(9 * MiB + 17);
  const file = join(s.dataDir, "upload.bin");
  await writeFile(file, data);
  const token = await s.token({ user: "sdk-v3" });

  const run = await runNode([CHILD], { NODE_EXTRA_CA_CERTS: caFile, BASE: base, TOKEN: token, FILE: file }, 60_000);
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout);

  assert.equal(out.defaultList, "Tasks");
  assert.deepEqual(out.list, { created: "Holiday", renamed: "Holiday 2026" });
  assert.equal(out.tasks.title, "Pack");
  assert.equal(out.tasks.importance, "high");
  assert.deepEqual(out.tasks.pages, [1, 1]);
  assert.ok(out.tasks.nextLink.startsWith(`${base}/v1.0/`), out.tasks.nextLink);
  assert.equal(out.tasks.completed, true);

  assert.ok(out.upload.uploadUrl.startsWith(`${base}/v1.0/users/`), out.upload.uploadUrl);
  assert.deepEqual(out.upload.ranges, [
    [0, 4 * MiB - 1],
    [4 * MiB, 8 * MiB - 1],
    [8 * MiB, data.length - 1],
  ]);
  assert.match(out.upload.location, new RegExp(`^${base.replace(/\./g, "\\.")}/v1\\.0/users/[^/]+/todo/lists/[^/]+/tasks/[^/]+/Attachments\\('[^']+'\\)$`));
  const sha = createHash("sha256").update(data).digest("hex");
  assert.deepEqual(out.attachment, { name: "holiday.bin", size: data.length, contentBytes: "string", sha256: sha });
  assert.deepEqual(out.listed, ["holiday.bin"]);

  // Checked again from this process, outside the SDK: the stored bytes are exactly the file.
  const agent = trustingAgent(await readFile(caFile, "utf8"));
  try {
    const value = await callVia(fetchVia(agent), "GET", `${out.upload.location}/$value`, { token });
    assert.equal(value.status, 200);
    assert.equal(value.bytes.length, data.length);
    assert.ok(value.bytes.equals(data), "attachment bytes differ from the uploaded file");
  } finally {
    await agent.close();
  }

  // The default 5 MiB slice: 413 with a Graph error body saying the limit and the option to set.
  assert.deepEqual(out.defaultSlice.range, [0, 5 * MiB - 1]);
  assert.equal(out.defaultSlice.status, 413);
  assert.match(out.defaultSlice.contentType, /^application\/json/);
  const err = out.defaultSlice.rejected?.error;
  assert.ok(err, `upload() should reject with the Graph error body, got ${JSON.stringify(out.defaultSlice.rejected)}`);
  assert.equal(err.code, "invalidRequest");
  // The detail sits in innerError.message when the catalogue gives an inner code, else in error.message.
  const detail: string = err.innerError?.message ?? err.message;
  assert.match(detail, /at most 4194304 bytes/);
  assert.match(detail, /`rangeSize`/);
  assert.deepEqual(out.status, ["0-"], "the refused slice committed nothing");
  assert.equal(out.cancelled, 204);
  assert.equal(out.afterCancel, 404);
});
