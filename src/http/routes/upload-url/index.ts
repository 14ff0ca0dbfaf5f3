// The upload-url group: the uploadUrl a createUploadSession hands out (GET status, PUT a range,
// DELETE), authorised by the session it names rather than by a token alone (see the hook). Its
// bodies are never parsed: whatever the Content-Type, the PUT streams the bytes itself.
import { sessionForUploadUrl } from "../../../services/upload-access.js";
import { authenticate, baseOf, type RouteEnv } from "../../caller.js";
import { checkPathIds } from "../../path-ids.js";
import type { RouteGroup } from "../../route-group.js";
import { uploadUrlRoutes } from "./upload-sessions.js";

type SessionParams = { userId?: string; listId: string; taskId: string; sessionId: string };

export function uploadUrlGroup(env: RouteEnv): RouteGroup {
  return {
    name: "upload-url",
    routes: [uploadUrlRoutes],
    prepare(app) {
      app.removeAllContentTypeParsers();
      app.addContentTypeParser("*", (_req, _payload, done) => done(null, undefined));
    },
    async authorise(req) {
      checkPathIds(req.params);
      const p = req.params as SessionParams;
      // A token, if sent, is checked first: a bad token is a 401 even on a capability URL.
      const principal = req.headers.authorization !== undefined ? await authenticate(req, env) : undefined;
      const session = await sessionForUploadUrl(env.deps, { userKey: p.userId, listId: p.listId, taskId: p.taskId, sessionId: p.sessionId, principal });
      req.taskdropUpload = { session, scope: { base: baseOf(req, env), version: env.version, ownerOid: session.ownerOid } };
    },
  };
}
