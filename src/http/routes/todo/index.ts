// The todo group: every route under /{version}/{me | users/{id}}/todo that is authorised by the
// caller's bearer token (all but the uploadUrl). Its one hook resolves the caller, checks the token
// allows the route's access and checks the path's ids, before any body is read. A new route in this
// folder is added to `routes` below and gets all of that without asking.
import { errors } from "../../../domain/errors.js";
import { refuseQueryOptions, withDollarPrefixes } from "../../../domain/odata.js";
import { resolveCaller, type RouteEnv } from "../../caller.js";
import { checkPathIds } from "../../path-ids.js";
import { accessFor, type RouteGroup } from "../../route-group.js";
import { attachmentRoutes } from "./attachments.js";
import { deltaRoutes } from "./delta.js";
import { listRoutes } from "./lists.js";
import { sessionListRoutes } from "./attachment-sessions.js";
import { taskChildRoutes } from "./task-children.js";
import { taskRoutes } from "./tasks.js";

export function todoGroup(env: RouteEnv): RouteGroup {
  return {
    name: "todo",
    routes: [listRoutes, deltaRoutes, taskRoutes, attachmentRoutes, sessionListRoutes, taskChildRoutes],
    async authorise(req) {
      const caller = await resolveCaller(req, env, accessFor(req));
      const delegatedOnly = req.routeOptions.config.delegatedOnly;
      if (delegatedOnly && caller.principal.kind !== "user") throw errors.accessDenied(`${delegatedOnly} supports delegated tokens only.`);
      checkPathIds(req.params);
      // What answers no entity (a DELETE, an attachment's bytes, an action) takes no query option;
      // the other routes check theirs as they parse them (odata.ts, expand.ts, delta.ts).
      req.query = withDollarPrefixes(req.query as Record<string, string | string[] | undefined>);
      const url = req.routeOptions.url ?? "";
      if (req.method === "DELETE") refuseQueryOptions(req.query as Record<string, string>, "DELETE");
      else if (url.endsWith("/$value")) refuseQueryOptions(req.query as Record<string, string>, "an attachment's $value");
      else if (url.endsWith("/createUploadSession")) refuseQueryOptions(req.query as Record<string, string>, "createUploadSession");
      req.taskdropCaller = caller;
    },
  };
}
