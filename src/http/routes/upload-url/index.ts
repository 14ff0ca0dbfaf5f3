// The upload-url group: the uploadUrl a createUploadSession hands out (GET status, PUT a range,
// DELETE), authorised by the secret it carries or by the owner's token (services/upload-access.ts
// says who may do what). Its bodies are never parsed: whatever the Content-Type, the PUT streams
// the bytes itself.
import { refuseQueryOptions } from "../../../domain/odata.js";
import { sessionForUploadUrl } from "../../../services/upload-access.js";
import { authenticate, baseOf, type RouteEnv } from "../../caller.js";
import { checkPathIds, parseUploadKey } from "../../path-ids.js";
import { accessFor, type RouteGroup } from "../../route-group.js";
import { uploadUrlRoutes } from "./upload-sessions.js";

type SessionParams = { userId?: string; listId: string; taskId: string; uploadKey: string };

export function uploadUrlGroup(env: RouteEnv): RouteGroup {
  return {
    name: "upload-url",
    routes: [uploadUrlRoutes],
    streamsBodies: true,
    prepare(app) {
      app.removeAllContentTypeParsers();
      app.addContentTypeParser("*", (_req, _payload, done) => done(null, undefined));
    },
    async authorise(req) {
      checkPathIds(req.params);
      // An uploadUrl is used as it was handed out: no OData query option applies to it.
      refuseQueryOptions(req.query as Record<string, string>, "an uploadUrl");
      const p = req.params as SessionParams;
      const { sessionId, secret } = parseUploadKey(p.uploadKey);
      // A token, if sent, is checked first: a bad token is a 401 even on a capability URL. Without the
      // uploadUrl's secret a token is required (401 "Access token is empty." when there is none).
      const principal = req.headers.authorization !== undefined || secret === undefined ? await authenticate(req, env) : undefined;
      const session = await sessionForUploadUrl(env.deps, {
        userKey: p.userId,
        listId: p.listId,
        taskId: p.taskId,
        sessionId,
        secret,
        principal,
        access: accessFor(req),
      });
      req.taskdropUpload = { session, scope: { base: baseOf(req, env), version: env.version, ownerOid: session.ownerOid } };
    },
  };
}
