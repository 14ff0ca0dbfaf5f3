// The uploadUrl: PUT byte ranges, GET status, DELETE. The group's hook (index.ts) has authorised the
// request and found the session before any of this runs.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { UploadSession } from "../../../domain/models.js";
import { isBodyStall } from "../../../services/body-guard.js";
import { cancelSession, putRange } from "../../../services/uploads.js";
import type { RouteEnv } from "../../caller.js";
import { sendJson } from "../../reply.js";
import { attachmentLocation, sessionStatusView, uploadProgressView, type UrlScope } from "../../views.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the upload-url group's hook: the live session the request may act on. */
    taskdropUpload?: { session: UploadSession; scope: UrlScope };
  }
}

type SessionParams = { userId?: string; listId: string; taskId: string; uploadKey: string };

function sendCompleted(reply: FastifyReply, scope: UrlScope, s: UploadSession & { status: "completed" }): FastifyReply {
  reply.header("location", attachmentLocation(scope, s.listId, s.taskId, s.attachmentId));
  return reply.code(201).header("content-length", "0").send();
}

/** The session the upload-url group's hook authorised for this request. */
function uploadOf(req: { taskdropUpload?: { session: UploadSession; scope: UrlScope } }): { session: UploadSession; scope: UrlScope } {
  const u = req.taskdropUpload;
  if (!u) throw new Error("route registered outside the upload-url route group");
  return u;
}

export function uploadUrlRoutes(app: FastifyInstance, env: RouteEnv): void {
  const d = env.deps;
  const base = "/lists/:listId/tasks/:taskId/attachmentSessions";

  const status = async (req: FastifyRequest<{ Params: SessionParams }>, reply: FastifyReply) => {
    const { session, scope } = uploadOf(req);
    if (session.status === "completed") reply.header("location", attachmentLocation(scope, session.listId, session.taskId, session.attachmentId));
    return sendJson(reply, 200, sessionStatusView(scope, session));
  };

  const put = async (req: FastifyRequest<{ Params: SessionParams }>, reply: FastifyReply) => {
    const { session, scope } = uploadOf(req);
    const h = req.headers;
    let result: Awaited<ReturnType<typeof putRange>>;
    try {
      result = await putRange(
        d,
        session,
        {
          contentRange: h["content-range"],
          contentLength: h["content-length"],
          contentType: h["content-type"],
          transferEncoding: h["transfer-encoding"],
          contentDigest: typeof h["content-digest"] === "string" ? h["content-digest"] : undefined,
        },
        req.raw,
      );
    } catch (e) {
      // The rest of a stalled body may never come: answer, then close rather than wait for it.
      if (isBodyStall(e)) reply.header("connection", "close");
      throw e;
    }
    if (result.kind === "completed") return sendCompleted(reply, scope, result.session);
    return sendJson(reply, 200, uploadProgressView(scope, result.session, d.config.sessionCasing === "camel"));
  };

  const cancel = async (req: FastifyRequest<{ Params: SessionParams }>, reply: FastifyReply) => {
    await cancelSession(d, uploadOf(req).session.id);
    return reply.code(204).send();
  };

  for (const path of [`${base}/:uploadKey`, `${base}/:uploadKey/content`]) {
    app.get<{ Params: SessionParams }>(path, status);
    app.put<{ Params: SessionParams }>(path, put);
    app.delete<{ Params: SessionParams }>(path, cancel);
  }
}
