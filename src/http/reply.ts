// Small helpers for Graph-shaped success answers.
import type { FastifyReply, FastifyRequest } from "fastify";
import { errors } from "../domain/errors.js";
import type { Change } from "../domain/delta.js";
import { page, type EntityShape, parseQuery, project } from "../domain/odata.js";

export const ODATA_JSON = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8";

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type(ODATA_JSON).send(JSON.stringify(body));
}

/** Answers a single entity, honouring `$select` (only `$select` is meaningful on one entity). */
export function sendEntity(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  context: string,
  view: Record<string, unknown>,
  shape: EntityShape,
  expanded: Record<string, unknown> = {},
): FastifyReply {
  const q = req.query as Record<string, string | string[] | undefined>;
  const select = q.$select === undefined ? undefined : parseQuery({ $select: q.$select }, shape).select;
  return sendJson(reply, status, { "@odata.context": context, ...project(view, select), ...expanded });
}

/** Answers a collection page with `@odata.nextLink` (absolute, same query, next `$skip`). */
export function sendCollection<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  base: string,
  context: string,
  items: T[],
  shape: EntityShape,
  view: (t: T) => Record<string, unknown>,
  /** `$expand`: the navigation properties to add to each item of the page, by its id (not cut by `$select`). */
  expand?: (id: string) => Record<string, unknown>,
): FastifyReply {
  const query = req.query as Record<string, string | string[] | undefined>;
  const q = parseQuery(query, shape);
  const paged = page(items, q, view);
  const more = paged.more;
  const value = expand ? paged.value.map((v) => ({ ...v, ...expand(v.id as string) })) : paged.value;
  const body: Record<string, unknown> = { "@odata.context": context, value };
  if (more) {
    const url = new URL(req.url, "http://placeholder");
    url.searchParams.set("$top", String(q.top));
    url.searchParams.set("$skip", String(q.skip + q.top));
    body["@odata.nextLink"] = `${base}${url.pathname}?${url.searchParams.toString().replace(/%24/g, "$")}`;
  }
  return sendJson(reply, 200, body);
}

/**
 * Answers a delta page: items as their views (cut to the round's `$select`), deletions as
 * `@removed` entries, and the link that continues (`@odata.nextLink` with `$skiptoken`, or the
 * round's `@odata.deltaLink` with `$deltatoken`) on the path the client used.
 */
export function sendDeltaPage<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  base: string,
  context: string,
  page: { entries: Array<Change<T>>; select: string[] | undefined; link: { kind: "next"; skiptoken: string } | { kind: "delta"; deltatoken: string } },
  view: (t: T) => Record<string, unknown>,
  removed: (id: string) => Record<string, unknown>,
  pageSizeApplied: number | undefined,
): FastifyReply {
  const value = page.entries.map((c) => ("item" in c ? project(view(c.item), page.select) : removed(c.removed)));
  const path = new URL(req.url, "http://placeholder").pathname;
  const link = page.link.kind === "next" ? { "@odata.nextLink": `${base}${path}?$skiptoken=${page.link.skiptoken}` } : { "@odata.deltaLink": `${base}${path}?$deltatoken=${page.link.deltatoken}` };
  if (pageSizeApplied !== undefined) reply.header("preference-applied", `odata.maxpagesize=${pageSizeApplied}`);
  return sendJson(reply, 200, { "@odata.context": context, value, ...link });
}

/** A JSON body is required: refuse other media types before looking at it. */
export function jsonBody(req: FastifyRequest): unknown {
  const ct = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (ct !== "application/json") throw errors.unsupportedMediaType("This request needs 'Content-Type: application/json'.");
  return req.body;
}
