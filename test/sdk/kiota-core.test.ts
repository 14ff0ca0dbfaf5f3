// Microsoft's Kiota TypeScript core (@microsoft/msgraph-sdk-core 1.0.0-preview.17, the only
// published version) uploading through `taskdrop serve --https --session-casing camel`.
//
// Its LargeFileUploadTask has client-side defects that break it against Microsoft Graph as well
// (see the spec's "Microsoft's SDKs against Taskdrop"). Taskdrop stays faithful to Graph; this test
// works around each defect on the client side, named and commented where it happens, then asserts
// that every slice lands, that the attachment is byte-exact, and that the SDK still throws on
// the final bodyless 201 — so the day the SDK is fixed, this test says so.
//
// Kiota's generated To Do request builders (@microsoft/msgraph-sdk-tasks) are not installed here,
// so the list, task and upload session are made with plain HTTPS requests; the upload itself is
// all Kiota: BaseGraphRequestAdapter, GraphAzureIdentityAuthenticationProvider and LargeFileUploadTask.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import type { TokenCredential } from "@azure/core-auth";
import type { Parsable, ParseNode } from "@microsoft/kiota-abstractions";
import {
  BaseGraphRequestAdapter,
  GraphAzureIdentityAuthenticationProvider,
  LargeFileUploadTask,
  SeekableStreamReader,
  createGraphClientFactory,
  type UploadSession,
} from "@microsoft/msgraph-sdk-core";
import { fetch as undiciFetch, type Agent } from "undici";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { callVia, fetchVia, trustingAgent, type FetchLike } from "../helpers/tls.js";

const MiB = 1024 * 1024;

let s: TestServer;
let agent: Agent;
let f: FetchLike;
let base: string;
let token: string;

before(async () => {
  // camelCase intermediate answers: Kiota reads only `nextExpectedRanges` and takes a 200 without it for completion.
  s = await startTestServer({ https: true, sessionCasing: "camel" });
  agent = trustingAgent(await readFile(s.running.tls!.caFile!, "utf8"));
  f = fetchVia(agent);
  base = `https://localhost:${new URL(s.url).port}`;
  token = await s.token({ user: "kiota" });
});
after(async () => {
  await agent.close();
  await s.close();
});

/** A task and an upload session for `size` bytes, made over plain HTTPS; returns the session JSON. */
async function newSession(size: number): Promise<{ uploadUrl: string; expirationDateTime: string; nextExpectedRanges: string[]; taskUrl: string }> {
  const me = `${base}/v1.0/me/todo`;
  const list = await callVia(f, "POST", `${me}/lists`, { token, json: { displayName: "Kiota" } });
  const task = await callVia(f, "POST", `${me}/lists/${list.json.id}/tasks`, { token, json: { title: "upload" } });
  const taskUrl = `${me}/lists/${list.json.id}/tasks/${task.json.id}`;
  const ses = await callVia(f, "POST", `${taskUrl}/attachments/createUploadSession`, {
    token,
    json: { attachmentInfo: { attachmentType: "file", name: "kiota.bin", size, contentType: "application/octet-stream" } },
  });
  assert.equal(ses.status, 200, ses.text);
  return { ...ses.json, taskUrl };
}

interface Exchange {
  method: string;
  url: string;
  contentLength: string | null;
  contentRange: string | null;
  status: number;
  location: string | null;
}

/**
 * A request adapter set up as a Graph user would (token credential, allowed hosts), whose fetch
 * trusts the development CA and records every exchange.
 */
function kiotaAdapter(exchanges: Exchange[]): BaseGraphRequestAdapter {
  const credential: TokenCredential = { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const auth = new GraphAzureIdentityAuthenticationProvider(credential, ["Tasks.ReadWrite"], undefined, new Set(["localhost"]));
  const customFetch = async (url: string, init: RequestInit): Promise<Response> => {
    const headers = new Headers(init.headers);
    const record: Exchange = {
      method: init.method ?? "GET",
      url,
      contentLength: headers.get("content-length"),
      contentRange: headers.get("content-range"),
      status: 0,
      location: null,
    };
    // Workaround, defect "Content-Length one byte short": UploadSlice declares `end - start`
    // bytes for an inclusive range of `end - start + 1`, and fetch refuses a body longer than
    // declared. Drop the header; fetch sets the right length from the body.
    headers.delete("content-length");
    const res = (await undiciFetch(url, { ...(init as object), headers, dispatcher: agent } as never)) as unknown as Response;
    record.status = res.status;
    // Workaround, defect "Location read from a Set as if it were an array": UploadSlice takes
    // `locations[0]` of a Set, which is always undefined, so the SDK can never report Location.
    // Read it here instead.
    record.location = res.headers.get("location");
    exchanges.push(record);
    return res;
  };
  const adapter = new BaseGraphRequestAdapter("v1.0", "taskdrop-test", auth, undefined, undefined, createGraphClientFactory({ graphServiceTargetVersion: "v1.0" }, customFetch));
  adapter.baseUrl = `${base}/v1.0`;
  return adapter;
}

// Workaround, defect "its own session parser throws on nextExpectedRanges": the SDK's
// createUploadSessionFromDiscriminatorValue calls getCollectionOfPrimitiveValues() without a type,
// which the current JSON serializer refuses. This factory names the element type; it is what the
// upload slices are parsed with (for the intermediate answers, and the final one if it had a body).
type SliceAnswer = Parsable & { expirationDateTime?: Date | null; nextExpectedRanges?: string[] | null; id?: string | null };
const sliceAnswerFactory = (_node: ParseNode | undefined) => (o: Parsable = {}) => {
  const a = o as SliceAnswer;
  return {
    expirationDateTime: (n: ParseNode) => void (a.expirationDateTime = n.getDateValue()),
    nextExpectedRanges: (n: ParseNode) => void (a.nextExpectedRanges = n.getCollectionOfPrimitiveValues<string>("string")),
    id: (n: ParseNode) => void (a.id = n.getStringValue()),
  };
};

/** One chunk holding the whole file. */
const oneChunk = (data: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(data);
      c.close();
    },
  });

test("the defects this test works around are still there (each check fails the day one is fixed)", async () => {
  const ses = await newSession(1000);
  const exchanges: Exchange[] = [];
  const adapter = kiotaAdapter(exchanges);
  const session: UploadSession & Parsable = { uploadUrl: ses.uploadUrl, expirationDateTime: new Date(ses.expirationDateTime), nextExpectedRanges: ses.nextExpectedRanges };

  // "0-" (open-ended, as Graph's create answer has it) is read as [0, NaN]: nothing is sent.
  const naive = new LargeFileUploadTask(adapter, session, oneChunk(new Uint8Array(1000)), 400, sliceAnswerFactory, {});
  assert.deepEqual(naive.rangesRemaining, [[0, NaN]]);
  await assert.rejects(naive.upload(), /Upload failed/);
  assert.equal(exchanges.length, 0, "no request was made");

  // Its own session parser (used by updateSession/resume) throws on nextExpectedRanges.
  await assert.rejects(naive.updateSession(), /unsupported type during deserialization/);
  assert.equal(exchanges.at(-1)?.status, 200, "the server answered the status GET; the SDK failed to read it");

  // A chunk that ends one byte before a slice's end loses that byte.
  const reader = new SeekableStreamReader(
    new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
        c.enqueue(Uint8Array.from([10, 11, 12, 13]));
        c.close();
      },
    }),
  );
  assert.equal((await reader.readSection(0, 10)).byteLength, 10, "bytes 0-10 inclusive should be 11");
});

test("Kiota core LargeFileUploadTask: every slice lands, the attachment is byte-exact, and the bodyless 201 throws", async () => {
  // Three slices of at most 4 MiB; no 1-byte last slice (readSection refuses end <= start).
  const data = randomBytes(9 * MiB + 17);
  const ses = await newSession(data.length);
  assert.deepEqual(ses.nextExpectedRanges, ["0-"]);
  const exchanges: Exchange[] = [];
  const adapter = kiotaAdapter(exchanges);

  // Workaround, defect "reads "0-" as [0, NaN] and sends nothing": give the open-ended ranges
  // their end, which is what the notation means.
  const ranges = ses.nextExpectedRanges.map((r) => (r.endsWith("-") ? `${r}${data.length - 1}` : r));
  const session: UploadSession & Parsable = { uploadUrl: ses.uploadUrl, expirationDateTime: new Date(ses.expirationDateTime), nextExpectedRanges: ranges };

  // Workaround, defect "can drop a byte at a stream-chunk boundary": SeekableStreamReader loses
  // the last byte of a slice when a chunk ends right before it. A single chunk has no boundary.
  const upload = new LargeFileUploadTask(adapter, session, oneChunk(data), 4 * MiB, sliceAnswerFactory, {});

  const progress: number[] = [];
  let threw: unknown = null;
  try {
    await upload.upload({ report: (n) => void progress.push(n) });
  } catch (e) {
    threw = e;
  }
  // Known defect, asserted rather than worked around: a 201 with no body and no Content-Type
  // (what Graph answers) makes the request adapter throw instead of completing.
  assert.ok(threw, "the Kiota SDK no longer throws on the final bodyless 201: drop this expectation and update the README's SDK table");
  assert.match(String((threw as Error).message), /no response content type found for deserialization/);

  // Every slice was sent once, in order, with the right range, and the server took each.
  const puts = exchanges.filter((x) => x.method === "PUT");
  assert.deepEqual(
    puts.map((p) => [p.url, p.contentRange, p.status]),
    [
      [ses.uploadUrl, `bytes 0-${4 * MiB - 1}/${data.length}`, 200],
      [ses.uploadUrl, `bytes ${4 * MiB}-${8 * MiB - 1}/${data.length}`, 200],
      [ses.uploadUrl, `bytes ${8 * MiB}-${data.length - 1}/${data.length}`, 201],
    ],
  );
  // What the SDK declared (and the workaround dropped): one byte short each time.
  assert.deepEqual(
    puts.map((p) => p.contentLength),
    [String(4 * MiB - 1), String(4 * MiB - 1), String(data.length - 8 * MiB - 1)],
  );
  assert.deepEqual(progress, [4 * MiB - 1, 8 * MiB - 1], "progress is reported for the slices before the final one");

  // The attachment exists and is byte-exact; the session remembers where it went.
  const location = puts[2]!.location!;
  assert.match(location, /\/Attachments\('[^']+'\)$/);
  const status = await callVia(f, "GET", ses.uploadUrl);
  assert.equal(status.status, 200);
  assert.deepEqual(status.json.nextExpectedRanges, []);
  assert.equal(status.headers.get("location"), location);
  const value = await callVia(f, "GET", `${location}/$value`, { token });
  assert.equal(value.status, 200);
  assert.equal(value.bytes.length, data.length);
  assert.ok(value.bytes.equals(data), "attachment bytes differ from the uploaded file");
  const task = await callVia(f, "GET", ses.taskUrl, { token });
  assert.equal(task.json.hasAttachments, true);
});
