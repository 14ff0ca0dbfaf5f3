// The uploadUrl: PUT byte ranges, GET status, DELETE. The session id is the capability; a bearer
// token, when sent, must be the owner's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { errors } from "../../domain/errors.js";
import { requireId } from "../../domain/ids.js";
import type { UploadSession } from "../../domain/models.js";
import { nextExpectedRangesForPut } from "../../domain/upload-session.js";
import { graphTimestamp } from "../../domain/time.js";
import { getTask } from "../../services/tasks.js";
import { isBodyStall } from "../../services/body-guard.js";
import { cancelSession, liveSession, putRange } from "../../services/uploads.js";
import { authenticate, baseOf, resolveCaller, type RouteEnv } from "../caller.js";
import { sendCollection, sendJson } from "../reply.js";
import { attachmentLocation, SESSION_SHAPE, sessionView, sessionsContext, type UrlScope } from "../views.js";

type SessionParams = { userId?: string; listId: string; taskId: string; sessionId: string };

/** Authorises a request to an uploadUrl and returns the live session with the URL scope. */
async function authorise(req: FastifyRequest<{ Params: SessionParams }>, env: RouteEnv): Promise<{ session: UploadSession; scope: UrlScope }> {
  const listId = requireId("list", req.params.listId);
  const taskId = requireId("task", req.params.taskId);
  const sessionId = requireId("session", req.params.sessionId);
  // A token, if sent, is checked first: a bad token is a 401 even on a capability URL.
  const principal = req.headers.authorization !== undefined ? await authenticate(req, env) : undefined;
  const session = await liveSession(env.deps, sessionId);
  if (session.listId !== listId || session.taskId !== taskId) throw errors.notFound();
  const userKey = req.params.userId;
  if (userKey !== undefined && userKey.toLowerCase() !== session.ownerOid.toLowerCase()) {
    const owner = await env.deps.store.users.find(userKey);
    if (!owner || owner.oid !== session.ownerOid) throw errors.notFound();
  }
  if (principal && (principal.kind !== "user" || principal.oid !== session.ownerOid)) {
    throw errors.accessDenied("This upload session belongs to another user.");
  }
  return { session, scope: { base: baseOf(req, env), version: env.version, ownerOid: session.ownerOid } };
}

function statusBody(scope: UrlScope, s: UploadSession): Record<string, unknown> {
  return { "@odata.context": `${scope.base}/${scope.version}/$metadata#microsoft.graph.attachmentSession`, ...sessionView(s) };
}

function sendCompleted(reply: FastifyReply, scope: UrlScope, s: UploadSession & { status: "completed" }): FastifyReply {
  reply.header("location", attachmentLocation(scope, s.listId, s.taskId, s.attachmentId));
  return reply.code(201).header("content-length", "0").send();
}

export function sessionRoutes(app: FastifyInstance, env: RouteEnv): void {
  const d = env.deps;
  const base = "/lists/:listId/tasks/:taskId/attachmentSessions";

  app.get<{ Params: { listId: string; taskId: string } }>(base, async (req, reply) => {
    const c = await resolveCaller(req, env, "read");
    const listId = requireId("list", req.params.listId);
    const taskId = requireId("task", req.params.taskId);
    await getTask(d, c.owner.oid, listId, taskId);
    const now = d.now().getTime();
    const open = (await d.store.sessions.forTask(c.owner.oid, taskId)).filter((s) => s.status === "open" && new Date(s.expiresAt).getTime() > now);
    return sendCollection(req, reply, c.scope.base, sessionsContext(c.scope, listId, taskId), open, SESSION_SHAPE, sessionView);
  });

  const status = async (req: FastifyRequest<{ Params: SessionParams }>, reply: FastifyReply) => {
    const { session, scope } = await authorise(req, env);
    if (session.status === "completed") reply.header("location", attachmentLocation(scope, session.listId, session.taskId, session.attachmentId));
    return sendJson(reply, 200, statusBody(scope, session));
  };

  const put = async (req: FastifyRequest<{ Params: SessionParams }>, reply: FastifyReply) => {
    const { scope } = await authorise(req, env);
    const h = req.headers;
    let result: Awaited<ReturnType<typeof putRange>>;
    try {
      result = await putRange(
        d,
        req.params.sessionId,
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
    const s = result.session;
    const camel = d.config.sessionCasing === "camel";
    const expiration = graphTimestamp(new Date(s.expiresAt));
    const next = nextExpectedRangesForPut(s);
    // Graph's intermediate answer: PascalCase, bare offsets, and no `id` (the JS SDK takes an id for completion).
    return sendJson(reply, 200, {
      "@odata.context": `${scope.base}/${scope.version}/$metadata#microsoft.graph.uploadSession`,
      ...(camel ? { expirationDateTime: expiration, nextExpectedRanges: next } : { ExpirationDateTime: expiration, NextExpectedRanges: next }),
    });
  };

  const cancel = async (req: FastifyRequest<{ Params: SessionParams }>, reply: FastifyReply) => {
    await authorise(req, env);
    await cancelSession(d, req.params.sessionId);
    return reply.code(204).send();
  };

  // The uploadUrl gets its own body handling: whatever the Content-Type (JSON and text included), the
  // body is left unread for putRange to stream, check the type of (415) and count.
  app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser("*", (_req, _payload, done) => done(null, undefined));
    for (const path of [`${base}/:sessionId`, `${base}/:sessionId/content`]) {
      raw.get<{ Params: SessionParams }>(path, status);
      raw.put<{ Params: SessionParams }>(path, put);
      raw.delete<{ Params: SessionParams }>(path, cancel);
    }
  });
}
