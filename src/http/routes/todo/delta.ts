// delta on the owner's lists and on one list's tasks, in both forms Graph has (`…/delta` and the
// function call `…/delta()` the SDKs send; the path is normalised to the first). A read: the
// group's hook authorises it and checks the list id. Tasks delta takes `$expand` of the task's
// children (todotask-delta.md lists it), carried by the round's tokens like `$select`.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { parseDeltaQuery, preferredPageSize } from "../../../domain/delta.js";
import { parseExpand, plainKinds } from "../../../domain/expand.js";
import type { EntityShape } from "../../../domain/odata.js";
import * as delta from "../../../services/delta.js";
import { callerOf, type RouteEnv } from "../../caller.js";
import { expandTaskPage, TASK_NAVIGATION, wholeExpansion } from "../../expand-views.js";
import { sendDeltaPage } from "../../reply.js";
import { deltaContext, LIST_SHAPE, listView, removedView, TASK_SHAPE, taskView } from "../../views.js";

function deltaRequest(req: FastifyRequest, shape: EntityShape): delta.DeltaRequest {
  const q = parseDeltaQuery(req.query as Record<string, string | string[] | undefined>, shape);
  const expand = q.expand === undefined ? undefined : plainKinds(parseExpand({ $expand: q.expand }, TASK_NAVIGATION, { defaultTop: 100, maxTop: 100 }));
  return { ...q, expand, maxPageSize: preferredPageSize(req.headers.prefer) };
}

export function deltaRoutes(app: FastifyInstance, env: RouteEnv): void {
  const d = env.deps;

  app.get("/lists/delta", async (req, reply) => {
    const c = callerOf(req);
    const r = deltaRequest(req, LIST_SHAPE);
    const page = await delta.listsDelta(d, c.owner.oid, r);
    return sendDeltaPage(req, reply, c.scope.base, deltaContext(c.scope, "todoTaskList"), page, listView, removedView, r.maxPageSize);
  });

  app.get<{ Params: { listId: string } }>("/lists/:listId/tasks/delta", async (req, reply) => {
    const c = callerOf(req);
    const listId = req.params.listId;
    const r = deltaRequest(req, TASK_SHAPE);
    const page = await delta.tasksDelta(d, c.owner.oid, listId, r);
    // Only the page's (present) tasks' children are read.
    const ids = page.entries.flatMap((e) => ("item" in e ? [e.item.id] : []));
    const expand = await expandTaskPage(d, c.owner.oid, listId, ids, (page.expand ?? []).map(wholeExpansion));
    return sendDeltaPage(req, reply, c.scope.base, deltaContext(c.scope, "todoTask"), page, taskView, removedView, r.maxPageSize, expand);
  });
}
