import type { FastifyInstance } from "fastify";
import * as lists from "../../../services/lists.js";
import { callerOf, type RouteEnv } from "../../caller.js";
import { expandListPage, listExpansions, listPageSize, listPageWeight } from "../../expand-views.js";
import { checkEntityOptions, collectionRequest, countRequest, jsonBody, sendCount, sendEntity, sendPage } from "../../reply.js";
import { inTurn } from "../../turns.js";
import { contextUrl, LIST_SHAPE, listsContext, listView, resourceLocation } from "../../views.js";

type ListParams = { listId: string };

export function listRoutes(app: FastifyInstance, env: RouteEnv): void {
  const d = env.deps;

  app.get("/lists", async (req, reply) => {
    const c = callerOf(req);
    const expansions = listExpansions(req);
    const asked = collectionRequest(req, LIST_SHAPE);
    const r = { ...asked, query: { ...asked.query, top: listPageSize(asked.query.top, expansions) } };
    // An expanded page carries its lists' tasks too: it takes a large page's turn by all it holds.
    return inTurn(c.owner.oid, listPageWeight(r.query.top, expansions), async () => {
      const page = await lists.queryLists(d, c.owner.oid, r.query);
      const expand = await expandListPage(d, c.owner.oid, c.scope, page.items, expansions);
      return sendPage(req, reply, c.scope.base, listsContext(c.scope), r, page, listView, expand);
    });
  });

  app.get("/lists/$count", async (req, reply) => {
    const c = callerOf(req);
    const page = await lists.queryLists(d, c.owner.oid, countRequest(req, LIST_SHAPE));
    return sendCount(reply, page.count!);
  });

  app.post("/lists", async (req, reply) => {
    const c = callerOf(req);
    const expansions = listExpansions(req);
    checkEntityOptions(req, LIST_SHAPE);
    const l = await lists.createList(d, c.owner.oid, jsonBody(req));
    reply.header("location", resourceLocation(c.scope, l.id));
    const expand = await expandListPage(d, c.owner.oid, c.scope, [l], expansions);
    return sendEntity(req, reply, 201, `${listsContext(c.scope)}/$entity`, listView(l), LIST_SHAPE, expand?.(l.id));
  });

  app.get<{ Params: ListParams }>("/lists/:listId", async (req, reply) => {
    const c = callerOf(req);
    const expansions = listExpansions(req);
    const l = await lists.getList(d, c.owner.oid, req.params.listId);
    const expand = await expandListPage(d, c.owner.oid, c.scope, [l], expansions);
    return sendEntity(req, reply, 200, contextUrl(c.scope, "lists/$entity"), listView(l), LIST_SHAPE, expand?.(l.id));
  });

  app.patch<{ Params: ListParams }>("/lists/:listId", async (req, reply) => {
    const c = callerOf(req);
    const expansions = listExpansions(req);
    checkEntityOptions(req, LIST_SHAPE);
    const id = req.params.listId;
    const l = await lists.updateList(d, c.owner.oid, id, jsonBody(req), req.headers["if-match"]);
    const expand = await expandListPage(d, c.owner.oid, c.scope, [l], expansions);
    return sendEntity(req, reply, 200, contextUrl(c.scope, "lists/$entity"), listView(l), LIST_SHAPE, expand?.(l.id));
  });

  app.delete<{ Params: ListParams }>("/lists/:listId", async (req, reply) => {
    const c = callerOf(req);
    await lists.deleteList(d, c.owner.oid, req.params.listId, req.headers["if-match"]);
    return reply.code(204).send();
  });
}
