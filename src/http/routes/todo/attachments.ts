import type { FastifyInstance, FastifyReply } from "fastify";
import { Readable } from "node:stream";
import { errors } from "../../../domain/errors.js";
import type { Attachment } from "../../../domain/models.js";
import * as attachments from "../../../services/attachments.js";
import { uploadSecret } from "../../../services/upload-access.js";
import { createSession } from "../../../services/uploads.js";
import { callerOf, type RouteEnv } from "../../caller.js";
import { entitySelect } from "../../../domain/odata.js";
import { checkEntityOptions, ODATA_JSON, jsonBody, sendCollection, sendEntity, sendJson } from "../../reply.js";
import { ATTACHMENT_SHAPE, attachmentLocation, attachmentView, attachmentsContext, uploadSessionCreatedView, uploadUrl } from "../../views.js";
import { SMALL_FILE_LIMIT, describeBytes } from "../../../domain/limits.js";
import { withoutBidiControls } from "../../../domain/attachment-info.js";

type TaskParams = { listId: string; taskId: string };
type AttParams = TaskParams & { attachmentId: string };

/** The single-attachment JSON with `contentBytes`, streamed: base64 is produced chunk by chunk. */
function attachmentJsonStream(head: Record<string, unknown>, bytes: Readable): Readable {
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

/** `Range: bytes=a-b` (one range) on `$value`; undefined means the whole body. */
function parseByteRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== "" && Number(m[2]) < start) return undefined;
  }
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

async function sendValue(reply: FastifyReply, env: RouteEnv, a: Attachment, rangeHeader: string | undefined): Promise<FastifyReply> {
  const etag = `"${a.sha256}"`;
  reply.header("etag", etag).header("accept-ranges", "bytes").header("last-modified", new Date(a.lastModifiedAt).toUTCString());
  // The bytes are the user's, whatever type they claim: never rendered or sniffed into a page on our
  // origin (the web page is served from it), always offered as a download.
  reply.header("x-content-type-options", "nosniff").header("content-security-policy", "default-src 'none'; sandbox");
  reply.header("content-disposition", `attachment; filename*=UTF-8''${encodeURIComponent(withoutBidiControls(a.name))}`);
  const range = parseByteRange(rangeHeader, a.size);
  if (range === "unsatisfiable") {
    return reply.code(416).header("content-range", `bytes */${a.size}`).header("content-length", "0").send();
  }
  if (range) {
    reply.code(206).header("content-range", `bytes ${range.start}-${range.end}/${a.size}`).header("content-length", String(range.end - range.start + 1));
    return reply.type(a.contentType).send(await attachments.readAttachment(env.deps, a, range));
  }
  reply.code(200).header("content-length", String(a.size)).type(a.contentType);
  return reply.send(a.size === 0 ? Buffer.alloc(0) : await attachments.readAttachment(env.deps, a));
}

export function attachmentRoutes(app: FastifyInstance, env: RouteEnv): void {
  const d = env.deps;
  const base = "/lists/:listId/tasks/:taskId/attachments";

  app.get<{ Params: TaskParams }>(base, async (req, reply) => {
    const c = callerOf(req);
    const { listId, taskId } = req.params;
    const all = await attachments.listAttachments(d, c.owner.oid, listId, taskId);
    return sendCollection(req, reply, c.scope.base, attachmentsContext(c.scope, listId, taskId), all, ATTACHMENT_SHAPE, attachmentView);
  });

  app.post<{ Params: TaskParams }>(base, {
    // A body over what the app reads at all still deserves a 413 that says this route's limit.
    errorHandler: (e, req) => {
      if ((e as { code?: string }).code === "FST_ERR_CTP_BODY_TOO_LARGE") {
        // The parser may have stopped part-way (a chunked body); discard the rest (as Node does for an unread body) so the
        // client can finish sending, read the 413 and reuse the connection, rather than hang on it.
        req.raw.resume();
        throw errors.tooLarge(
          `The request body is too large: contentBytes must decode to less than ${describeBytes(SMALL_FILE_LIMIT)}. ` +
            `Use attachments/createUploadSession for larger files.`,
        );
      }
      throw e;
    },
  }, async (req, reply) => {
    const c = callerOf(req);
    const { listId, taskId } = req.params;
    checkEntityOptions(req, ATTACHMENT_SHAPE);
    const a = await attachments.createSmallAttachment(d, c.owner.oid, listId, taskId, jsonBody(req));
    reply.header("location", attachmentLocation(c.scope, listId, taskId, a.id));
    return sendEntity(req, reply, 201, `${attachmentsContext(c.scope, listId, taskId)}/$entity`, attachmentView(a), ATTACHMENT_SHAPE);
  });

  app.post<{ Params: TaskParams }>(`${base}/createUploadSession`, { config: { delegatedOnly: "createUploadSession" } }, async (req, reply) => {
    const c = callerOf(req);
    const { listId, taskId } = req.params;
    const s = await createSession(d, c.owner.oid, listId, taskId, jsonBody(req));
    const key = `${s.id}${await uploadSecret(d, s.id)}`;
    return sendJson(reply, 200, uploadSessionCreatedView(c.scope, s, uploadUrl(c.scope, listId, taskId, key)));
  });

  app.get<{ Params: AttParams }>(`${base}/:attachmentId`, async (req, reply) => {
    const c = callerOf(req);
    const { listId, taskId } = req.params;
    const a = await attachments.getAttachment(d, c.owner.oid, listId, taskId, req.params.attachmentId);
    const head = { "@odata.context": `${attachmentsContext(c.scope, listId, taskId)}/$entity`, ...attachmentView(a) };
    // Options are checked before the bytes stream (a refused one must not cost a read).
    if (entitySelect(req.query as Record<string, string | string[] | undefined>, ATTACHMENT_SHAPE) !== undefined) {
      return sendEntity(req, reply, 200, head["@odata.context"], attachmentView(a), ATTACHMENT_SHAPE);
    }
    reply.code(200).type(ODATA_JSON);
    return reply.send(attachmentJsonStream(head, a.size === 0 ? Readable.from([]) : await attachments.readAttachment(d, a)));
  });

  app.get<{ Params: AttParams }>(`${base}/:attachmentId/$value`, async (req, reply) => {
    const c = callerOf(req);
    const { listId, taskId } = req.params;
    const a = await attachments.getAttachment(d, c.owner.oid, listId, taskId, req.params.attachmentId);
    return sendValue(reply, env, a, req.headers.range);
  });

  app.delete<{ Params: AttParams }>(`${base}/:attachmentId`, async (req, reply) => {
    const c = callerOf(req);
    const { listId, taskId } = req.params;
    await attachments.deleteAttachment(d, c.owner.oid, listId, taskId, req.params.attachmentId);
    return reply.code(204).send();
  });
}
