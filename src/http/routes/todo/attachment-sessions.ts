import type { FastifyInstance } from "fastify";
import { openSessions } from "../../../services/upload-access.js";
import { callerOf, type RouteEnv } from "../../caller.js";
import { sendCollection } from "../../reply.js";
import { SESSION_SHAPE, sessionView, sessionsContext } from "../../views.js";

type TaskParams = { listId: string; taskId: string };

/** The owner's open upload sessions of a task (the uploadUrl itself is in ../upload-url/). */
export function sessionListRoutes(app: FastifyInstance, env: RouteEnv): void {
  const d = env.deps;
  app.get<{ Params: TaskParams }>("/lists/:listId/tasks/:taskId/attachmentSessions", async (req, reply) => {
    const c = callerOf(req);
    const { listId, taskId } = req.params;
    const open = await openSessions(d, c.owner.oid, listId, taskId);
    return sendCollection(req, reply, c.scope.base, sessionsContext(c.scope, listId, taskId), open, SESSION_SHAPE, sessionView);
  });
}
