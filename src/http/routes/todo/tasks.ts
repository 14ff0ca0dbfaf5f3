import type { FastifyInstance, FastifyRequest } from "fastify";
import { parseTaskExpand } from "../../../domain/expand.js";
import type { ChildKind, TaskChild } from "../../../domain/models.js";
import * as tasks from "../../../services/tasks.js";
import { expandTasks } from "../../../services/task-children.js";
import { callerOf, type RouteEnv } from "../../caller.js";
import { collectionRequest, countRequest, jsonBody, sendCount, sendEntity, sendPage } from "../../reply.js";
import { inTurn } from "../../turns.js";
import { CHILD_SEGMENT, childView, resourceLocation, TASK_SHAPE, taskView, tasksContext } from "../../views.js";

type ListParams = { listId: string };
type TaskParams = { listId: string; taskId: string };

/** `$expand`ed (or inline-created) children of one task as navigation properties. */
function expandedView(kinds: ChildKind[], children: TaskChild[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of kinds) out[CHILD_SEGMENT[k]] = children.filter((c) => c.kind === k).map(childView);
  return out;
}

const expandOf = (req: FastifyRequest) => parseTaskExpand(req.query as Record<string, string | string[] | undefined>);

export function taskRoutes(app: FastifyInstance, env: RouteEnv): void {
  const d = env.deps;

  app.get<{ Params: ListParams }>("/lists/:listId/tasks", async (req, reply) => {
    const c = callerOf(req);
    const listId = req.params.listId;
    const kinds = expandOf(req);
    const r = collectionRequest(req, TASK_SHAPE);
    return inTurn(c.owner.oid, r.query.top, async () => {
      const page = await tasks.queryTasks(d, c.owner.oid, listId, r.query);
      const children = await expandTasks(d, c.owner.oid, listId, undefined, kinds);
      const expand = kinds.length === 0 ? undefined : (id: string) => expandedView(kinds, children.get(id) ?? []);
      return sendPage(req, reply, c.scope.base, tasksContext(c.scope, listId), r, page, taskView, expand);
    });
  });

  app.get<{ Params: ListParams }>("/lists/:listId/tasks/$count", async (req, reply) => {
    const c = callerOf(req);
    const page = await tasks.queryTasks(d, c.owner.oid, req.params.listId, countRequest(req, TASK_SHAPE));
    return sendCount(reply, page.count!);
  });

  app.post<{ Params: ListParams }>("/lists/:listId/tasks", async (req, reply) => {
    const c = callerOf(req);
    const listId = req.params.listId;
    const { task: t, children } = await tasks.createTask(d, c.owner.oid, listId, jsonBody(req));
    reply.header("location", resourceLocation(c.scope, listId, t.id));
    const sent = [...new Set(children.map((ch) => ch.kind))];
    return sendEntity(req, reply, 201, `${tasksContext(c.scope, listId)}/$entity`, taskView(t), TASK_SHAPE, expandedView(sent, children));
  });

  app.get<{ Params: TaskParams }>("/lists/:listId/tasks/:taskId", async (req, reply) => {
    const c = callerOf(req);
    const listId = req.params.listId;
    const kinds = expandOf(req);
    const t = await tasks.getTask(d, c.owner.oid, listId, req.params.taskId);
    const children = await expandTasks(d, c.owner.oid, listId, t.id, kinds);
    return sendEntity(req, reply, 200, `${tasksContext(c.scope, listId)}/$entity`, taskView(t), TASK_SHAPE, expandedView(kinds, children.get(t.id) ?? []));
  });

  app.patch<{ Params: TaskParams }>("/lists/:listId/tasks/:taskId", async (req, reply) => {
    const c = callerOf(req);
    const listId = req.params.listId;
    const t = await tasks.updateTask(d, c.owner.oid, listId, req.params.taskId, jsonBody(req), req.headers["if-match"]);
    return sendEntity(req, reply, 200, `${tasksContext(c.scope, listId)}/$entity`, taskView(t), TASK_SHAPE);
  });

  app.delete<{ Params: TaskParams }>("/lists/:listId/tasks/:taskId", async (req, reply) => {
    const c = callerOf(req);
    const listId = req.params.listId;
    await tasks.deleteTask(d, c.owner.oid, listId, req.params.taskId, req.headers["if-match"]);
    return reply.code(204).send();
  });
}
