import type { FastifyInstance } from "fastify";
import { errors } from "../../../domain/errors.js";
import * as attachments from "../../../services/attachments.js";
import { uploadSecret } from "../../../services/upload-access.js";
import { createSession } from "../../../services/uploads.js";
import { callerOf, type RouteEnv } from "../../caller.js";
import { entitySelect } from "../../../domain/odata.js";
import { checkEntityOptions, jsonBody, sendCollection, sendEntity, sendJson } from "../../reply.js";
import { ATTACHMENT_SHAPE, attachmentLocation, attachmentView, attachmentsContext, uploadSessionCreatedView, uploadUrl } from "../../views.js";
import { SMALL_FILE_LIMIT, describeBytes } from "../../../domain/limits.js";
import { sendAttachmentValue, sendAttachmentWithContent } from "../../attachment-reply.js";

type TaskParams = { listId: string; taskId: string };
type AttParams = TaskParams & { attachmentId: string };

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
    return sendAttachmentWithContent(reply, d, head, a);
  });

  app.get<{ Params: AttParams }>(`${base}/:attachmentId/$value`, async (req, reply) => {
    const c = callerOf(req);
    const { listId, taskId } = req.params;
    const a = await attachments.getAttachment(d, c.owner.oid, listId, taskId, req.params.attachmentId);
    return sendAttachmentValue(reply, d, a, req.headers.range);
  });

  app.delete<{ Params: AttParams }>(`${base}/:attachmentId`, async (req, reply) => {
    const c = callerOf(req);
    const { listId, taskId } = req.params;
    await attachments.deleteAttachment(d, c.owner.oid, listId, taskId, req.params.attachmentId);
    return reply.code(204).send();
  });
}
