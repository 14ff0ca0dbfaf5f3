// checklistItems, linkedResources and open extensions under a task, and open extensions under a
// list: the same five operations for each, so one set of handlers registered per parent and kind.
import type { FastifyInstance } from "fastify";
import type { ChildKind, ChildParent } from "../../../domain/models.js";
import * as children from "../../../services/task-children.js";
import { callerOf, type RouteEnv } from "../../caller.js";
import { checkEntityOptions, jsonBody, sendCollection, sendEntity } from "../../reply.js";
import { CHILD_SEGMENT, CHILD_SHAPES, childLocation, childView, childrenContext } from "../../views.js";

type Params = { listId: string; taskId?: string } & Record<string, string>;

/** Each route's path parameter for the child's id (names known to path-ids.ts). */
const ID_PARAM: Record<ChildKind, string> = { checklistItem: "checklistItemId", linkedResource: "linkedResourceId", extension: "extensionId" };

const parentOf = (p: Params): ChildParent => ({ listId: p.listId, taskId: p.taskId ?? "" });

function register(app: FastifyInstance, env: RouteEnv, parentPath: string, kind: ChildKind): void {
  const d = env.deps;
  const base = `${parentPath}/${CHILD_SEGMENT[kind]}`;
  const one = `${base}/:${ID_PARAM[kind]}`;
  const shape = CHILD_SHAPES[kind];

  app.get<{ Params: Params }>(base, async (req, reply) => {
    const c = callerOf(req);
    const p = parentOf(req.params);
    const all = await children.listChildren(d, c.owner.oid, p, kind);
    return sendCollection(req, reply, c.scope.base, childrenContext(c.scope, p, kind), all, shape, childView);
  });

  app.post<{ Params: Params }>(base, async (req, reply) => {
    const c = callerOf(req);
    const p = parentOf(req.params);
    checkEntityOptions(req, shape);
    const made = await children.createChild(d, c.owner.oid, p, kind, jsonBody(req));
    reply.header("location", childLocation(c.scope, made));
    return sendEntity(req, reply, 201, `${childrenContext(c.scope, p, kind)}/$entity`, childView(made), shape);
  });

  app.get<{ Params: Params }>(one, async (req, reply) => {
    const c = callerOf(req);
    const p = parentOf(req.params);
    const found = await children.getChild(d, c.owner.oid, p, kind, req.params[ID_PARAM[kind]]!);
    return sendEntity(req, reply, 200, `${childrenContext(c.scope, p, kind)}/$entity`, childView(found), shape);
  });

  app.patch<{ Params: Params }>(one, async (req, reply) => {
    const c = callerOf(req);
    const p = parentOf(req.params);
    checkEntityOptions(req, shape);
    const changed = await children.updateChild(d, c.owner.oid, p, kind, req.params[ID_PARAM[kind]]!, jsonBody(req));
    return sendEntity(req, reply, 200, `${childrenContext(c.scope, p, kind)}/$entity`, childView(changed), shape);
  });

  app.delete<{ Params: Params }>(one, async (req, reply) => {
    const c = callerOf(req);
    await children.deleteChild(d, c.owner.oid, parentOf(req.params), kind, req.params[ID_PARAM[kind]]!);
    return reply.code(204).send();
  });
}

export function taskChildRoutes(app: FastifyInstance, env: RouteEnv): void {
  for (const kind of ["checklistItem", "linkedResource", "extension"] as const) register(app, env, "/lists/:listId/tasks/:taskId", kind);
  register(app, env, "/lists/:listId", "extension");
}
