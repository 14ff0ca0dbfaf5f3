// Small helpers for Graph-shaped success answers.
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { FastifyReply, FastifyRequest } from "fastify";
import { errors } from "../domain/errors.js";
import type { Change } from "../domain/delta.js";
import { preferredPageSize } from "../domain/delta.js";
import { entitySelect, type EntityShape, pageSize, parseQuery, project, type QueryOptions } from "../domain/odata.js";
import { LARGE_PAGE } from "./turns.js";
import { pageInMemory, viewReader, type CollectionQuery, type QueryPage } from "../domain/query.js";

export const ODATA_JSON = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8";

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type(ODATA_JSON).send(JSON.stringify(body));
}

/**
 * Answers a single entity, honouring `$select` and `$format=json` and refusing collection options
 * (domain/odata.ts `entitySelect`); `$expand` is the route's, which passes what it expanded.
 */
export function sendEntity(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  context: string,
  view: Record<string, unknown>,
  shape: EntityShape,
  expanded: Record<string, unknown> = {},
): FastifyReply {
  const select = entitySelect(req.query as Record<string, string | string[] | undefined>, shape);
  return sendJson(reply, status, { "@odata.context": context, ...project(view, select), ...expanded });
}

/** Checks a write's query options (what `sendEntity` will honour) before anything is written. */
export function checkEntityOptions(req: FastifyRequest, shape: EntityShape): void {
  entitySelect(req.query as Record<string, string | string[] | undefined>, shape);
}

/** A collection request, parsed: its options and the query a store (or the in-memory pager) runs. */
export interface CollectionRequest {
  options: QueryOptions;
  query: CollectionQuery;
  /** `Prefer: odata.maxpagesize` when given (then answered with `Preference-Applied`). */
  maxPageSize: number | undefined;
}

export function collectionRequest(req: FastifyRequest, shape: EntityShape): CollectionRequest {
  const options = parseQuery(req.query as Record<string, string | string[] | undefined>, shape);
  const maxPageSize = preferredPageSize(req.headers.prefer);
  const top = pageSize(options, maxPageSize);
  const query: CollectionQuery = { filter: options.filter, orderBy: options.orderBy, skip: options.skip, top, count: options.count };
  if (options.skiptoken !== undefined) query.skiptoken = options.skiptoken;
  return { options, maxPageSize, query };
}

/**
 * Answers one page: `@odata.count` when asked for, the items cut to `$select`, and
 * `@odata.nextLink` (absolute, the same query with the page size as `$top` and the next page's
 * `$skiptoken` when the service sealed one, else the next `$skip`, so the order and filter carry
 * over). Pages of more than LARGE_PAGE items are streamed (`streamed`, below).
 */
export async function sendPage<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  base: string,
  context: string,
  r: CollectionRequest,
  page: QueryPage<T>,
  view: (t: T) => Record<string, unknown>,
  /** `$expand`: the navigation properties to add to each item of the page, by its id (not cut by `$select`). */
  expand?: (id: string) => Record<string, unknown>,
): Promise<FastifyReply> {
  const head: Record<string, unknown> = { "@odata.context": context };
  if (page.count !== undefined) head["@odata.count"] = page.count;
  const tail: Record<string, unknown> = {};
  if (page.more) {
    const url = new URL(req.url, "http://placeholder");
    // The options this link sets replace the request's, in whichever spelling it used (`top=`,
    // `$skipToken=`: the routes read both, and a repeat would be refused).
    for (const k of ["top", "skip", "skiptoken", "skipToken", "$skipToken"]) url.searchParams.delete(k);
    url.searchParams.set("$top", String(r.query.top));
    if (page.nextToken !== undefined) {
      // Keyset paging: the next page starts after this page's last item (domain/query.ts, "keyset paging").
      url.searchParams.delete("$skip");
      url.searchParams.set("$skiptoken", page.nextToken);
    } else {
      url.searchParams.delete("$skiptoken");
      url.searchParams.set("$skip", String(r.query.skip + r.query.top));
    }
    tail["@odata.nextLink"] = `${base}${url.pathname}?${url.searchParams.toString().replace(/%24/g, "$")}`;
  }
  if (r.maxPageSize !== undefined) reply.header("preference-applied", `odata.maxpagesize=${r.maxPageSize}`);
  const item = (t: T) => {
    const v = view(t);
    return expand ? { ...project(v, r.options.select), ...expand(v.id as string) } : project(v, r.options.select);
  };
  const json = (o: Record<string, unknown>) => JSON.stringify(o).slice(1, -1);
  const rest = json(tail);
  const open = `{${json(head)},"value":[`;
  const close = `]${rest ? `,${rest}` : ""}}`;
  reply.code(200).type(ODATA_JSON);
  if (page.items.length <= LARGE_PAGE) return reply.send(`${open}${page.items.map((t) => JSON.stringify(item(t))).join(",")}${close}`);
  reply.send(Readable.from(streamed(open, page.items, item, close), { objectMode: false }));
  // Settles when the answer is written (or the client went away), so that a caller's turn
  // (turns.ts: one large page at a time per user) lasts until the page is out, not just read.
  await finished(reply.raw).catch(() => undefined);
  return reply;
}

/** Items per chunk of a streamed page: about 60 KB of typical tasks, well under a millisecond to build and write. */
const CHUNK_ITEMS = 25;

/**
 * A large page as a stream of chunks, CHUNK_ITEMS items each, with a turn of the event loop
 * between chunks. Built whole, a page of 999 large tasks costs tens of milliseconds in one go —
 * serialising it, joining it into one 2 MB string, and the socket write that encodes that string —
 * and every other user's request waits behind it (bench `queries`: the other user's GET /lists
 * while four such pages are answered; a CPU profile showed the single 2 MB `writev` and the
 * collector's work on the large strings as the longest stalls). Chunks are Buffers the stream's
 * back-pressure paces, so a slow reader holds only a few of them in memory. The page's items were
 * all read before (one snapshot); only their serialisation is spread out.
 */
async function* streamed<T>(open: string, items: T[], item: (t: T) => unknown, close: string): AsyncGenerator<Buffer> {
  let parts: string[] = [open];
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % CHUNK_ITEMS === 0) {
      yield Buffer.from(parts.join(""));
      parts = [];
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    parts.push(i > 0 ? "," : "", JSON.stringify(item(items[i]!)));
  }
  parts.push(close);
  yield Buffer.from(parts.join(""));
}

/** Answers a small collection held in memory (attachments, sessions) with the same query options. */
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
): Promise<FastifyReply> {
  const r = collectionRequest(req, shape);
  // Small collections page by $skip; their nextLinks never carry a token.
  if (r.query.skiptoken !== undefined) throw errors.invalid("The $skiptoken is malformed or was not issued for this query.");
  const page = pageInMemory(items, r.query, (t) => viewReader(shape.query, view(t)));
  return sendPage(req, reply, base, context, r, page, view, expand);
}

/** A `/$count` segment: the number alone, as text (OData's `text/plain` count). */
export function countRequest(req: FastifyRequest, shape: EntityShape): CollectionQuery {
  const q = req.query as Record<string, string | string[] | undefined>;
  for (const k of Object.keys(q)) {
    // Only $filter changes a count; paging, projection and order options mean nothing on a number.
    if (k.startsWith("$") && k !== "$filter") throw errors.invalid(`Query option '${k}' does not apply to $count.`);
  }
  const options = parseQuery(q, shape);
  return { filter: options.filter, orderBy: [], skip: 0, top: 0, count: true };
}

export function sendCount(reply: FastifyReply, n: number): FastifyReply {
  return reply.code(200).type("text/plain; charset=utf-8").send(String(n));
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
  /** `$expand`: the navigation properties of each item by its id (not cut by `$select`). */
  expand?: (id: string) => Record<string, unknown>,
): FastifyReply {
  const itemView = (t: T) => {
    const v = project(view(t), page.select);
    return expand ? { ...v, ...expand(v.id as string) } : v;
  };
  const value = page.entries.map((c) => ("item" in c ? itemView(c.item) : removed(c.removed)));
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
