// The two ways an attachment's bytes leave the server: as the file (`$value`, with one Range and
// download-safe headers) and inside its JSON (`contentBytes`, base64 streamed chunk by chunk, so a
// 3 MiB file never sits in memory as a 4 MiB string).
import type { FastifyReply } from "fastify";
import { Readable } from "node:stream";
import { withoutBidiControls } from "../domain/attachment-info.js";
import { parseDownloadRange } from "../domain/byte-range.js";
import type { Attachment } from "../domain/models.js";
import type { Deps } from "../services/deps.js";
import { readAttachment } from "../services/attachments.js";
import { ODATA_JSON } from "./reply.js";

/** `GET …/$value`: the bytes, whole (200), one range (206) or none (416). */
export async function sendAttachmentValue(reply: FastifyReply, deps: Deps, a: Attachment, rangeHeader: string | undefined): Promise<FastifyReply> {
  reply.header("etag", `"${a.sha256}"`).header("accept-ranges", "bytes").header("last-modified", new Date(a.lastModifiedAt).toUTCString());
  // The bytes are the user's, whatever type they claim: never rendered or sniffed into a page on our
  // origin (the web page is served from it), always offered as a download.
  reply.header("x-content-type-options", "nosniff").header("content-security-policy", "default-src 'none'; sandbox");
  reply.header("content-disposition", `attachment; filename*=UTF-8''${encodeURIComponent(withoutBidiControls(a.name))}`);
  const range = parseDownloadRange(rangeHeader, a.size);
  if (range === "unsatisfiable") {
    return reply.code(416).header("content-range", `bytes */${a.size}`).header("content-length", "0").send();
  }
  if (range) {
    reply.code(206).header("content-range", `bytes ${range.start}-${range.end}/${a.size}`).header("content-length", String(range.end - range.start + 1));
    return reply.type(a.contentType).send(await readAttachment(deps, a, range));
  }
  reply.code(200).header("content-length", String(a.size)).type(a.contentType);
  return reply.send(a.size === 0 ? Buffer.alloc(0) : await readAttachment(deps, a));
}

/** `GET …/attachments/{id}`: the attachment's JSON (`head`, already with `@odata.context`) plus `contentBytes`. */
export async function sendAttachmentWithContent(reply: FastifyReply, deps: Deps, head: Record<string, unknown>, a: Attachment): Promise<FastifyReply> {
  const bytes = a.size === 0 ? Readable.from([]) : await readAttachment(deps, a);
  return reply.code(200).type(ODATA_JSON).send(base64JsonStream(head, bytes));
}

function base64JsonStream(head: Record<string, unknown>, bytes: Readable): Readable {
  const prefix = JSON.stringify(head).slice(0, -1) + ',"contentBytes":"';
  async function* gen(): AsyncGenerator<string> {
    yield prefix;
    let carry = Buffer.alloc(0);
    for await (const chunk of bytes) {
      const buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
      const whole = buf.length - (buf.length % 3);
      if (whole > 0) yield buf.subarray(0, whole).toString("base64");
      carry = Buffer.from(buf.subarray(whole));
    }
    if (carry.length) yield carry.toString("base64");
    yield '"}';
  }
  return Readable.from(gen());
}
