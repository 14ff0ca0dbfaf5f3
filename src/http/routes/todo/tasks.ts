import type { FastifyInstance } from "fastify";
import * as tasks from "../../../services/tasks.js";
import { callerOf, type RouteEnv } from "../../caller.js";
import { expandTaskPage, taskExpandedView, taskExpansions, wholeExpansion } from "../../expand-views.js";
import { checkEntityOptions, collectionRequest, countRequest, jsonBody, sendCount, sendEntity, sendPage } from "../../reply.js";
import { inTurn } from "../../turns.js";
import { resourceLocation, TASK_SHAPE, taskView, tasksContext } from "../../views.js";

type ListParams = { listId: string };
type TaskParams = { listId: string; taskId: string };

export function taskRoutes(app: FastifyInstance, env: RouteEnv): void {
  const d = env.deps;

  app.get<{ Params: ListParams }>("/lists/:listId/tasks", async (req, reply) => {
    const c = callerOf(req);
    const listId = req.params.listId;
    const expansions = taskExpansions(req);
    const r = collectionRequest(req, TASK_SHAPE);
    return inTurn(c.owner.oid, r.query.top, async () => {
      const page = await tasks.queryTasks(d, c.owner.oid, listId, r.query);
      // Only the page's tasks' children are read.
      const expand = await expandTaskPage(d, c.owner.oid, listId, page.items.map((t) => t.id), expansions);
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
    const expansions = taskExpansions(req);
    checkEntityOptions(req, TASK_SHAPE);
    const { task: t, children } = await tasks.createTask(d, c.owner.oid, listId, jsonBody(req));
    reply.header("location", resourceLocation(c.scope, listId, t.id));
    // A new task's children are exactly those sent inline: they are shown, and `$expand` needs no read.
    const sent = [...new Set(children.map((ch) => ch.kind))].filter((k) => !expansions.some((e) => e.key === k));
    const shown = [...sent.map(wholeExpansion), ...expansions];
    return sendEntity(req, reply, 201, `${tasksContext(c.scope, listId)}/$entity`, taskView(t), TASK_SHAPE, taskExpandedView(shown, children));
  });

  app.get<{ Params: TaskParams }>("/lists/:listId/tasks/:taskId", async (req, reply) => {
    const c = callerOf(req);
    const listId = req.params.listId;
    const expansions = taskExpansions(req);
    const t = await tasks.getTask(d, c.owner.oid, listId, req.params.taskId);
    const expand = await expandTaskPage(d, c.owner.oid, listId, [t.id], expansions);
    return sendEntity(req, reply, 200, `${tasksContext(c.scope, listId)}/$entity`, taskView(t), TASK_SHAPE, expand?.(t.id));
  });

  app.patch<{ Params: TaskParams }>("/lists/:listId/tasks/:taskId", async (req, reply) => {
    const c = callerOf(req);
    const listId = req.params.listId;
    const expansions = taskExpansions(req);
    checkEntityOptions(req, TASK_SHAPE);
    const t = await tasks.updateTask(d, c.owner.oid, listId, req.params.taskId, jsonBody(req), req.headers["if-match"]);
    const expand = await expandTaskPage(d, c.owner.oid, listId, [t.id], expansions);
    return sendEntity(req, reply, 200, `${tasksContext(c.scope, listId)}/$entity`, taskView(t), TASK_SHAPE, expand?.(t.id));
  });

  app.delete<{ Params: TaskParams }>("/lists/:listId/tasks/:taskId", async (req, reply) => {
    const c = callerOf(req);
    const listId = req.params.listId;
    await tasks.deleteTask(d, c.owner.oid, listId, req.params.taskId, req.headers["if-match"]);
    return reply.code(204).send();
  });
}
