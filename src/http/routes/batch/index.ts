// The batch group: `POST /{version}/$batch`. The batch itself only needs a valid token (an
// anonymous batch is 401 before its body is read); what each inner request may do is decided by
// the group that serves it, since every inner request goes through the app on its own.
import { authenticate, type RouteEnv } from "../../caller.js";
import type { RouteGroup } from "../../route-group.js";
import { batchRoutes } from "./batch.js";

export function batchGroup(env: RouteEnv): RouteGroup {
  return {
    name: "batch",
    routes: [batchRoutes],
    async authorise(req) {
      await authenticate(req, env);
    },
  };
}
