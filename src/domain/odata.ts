// The OData query options Taskdrop honours on collections: $top, $skip, $select, $filter, $orderby
// and $count (the filter and order languages are in query.ts). $search is refused: Graph documents
// it for messages, people and directory objects, not To Do (docs/graph-behaviour.md, "Queries").
import { errors } from "./errors.js";
import { parseFilter, parseOrderBy, type CollectionQuery, type QuerySchema } from "./query.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_TOP = 999;

export interface QueryOptions extends CollectionQuery {
  select: string[] | undefined;
  /** `$top` as given (undefined when absent), so a page-size preference can be weighed against it. */
  topGiven: number | undefined;
}

/** Properties of an entity type, for validating $select, and what $filter/$orderby may name. */
export interface EntityShape {
  typeName: string;
  properties: ReadonlySet<string>;
  query: QuerySchema;
  /** The type has navigation properties its routes expand (they parse `$expand`, see expand.ts). */
  expandable?: boolean;
}

const SUPPORTED = new Set(["$top", "$skip", "$select", "$filter", "$orderby", "$count", "$skiptoken", "$skipToken"]);
// Checked here and acted on elsewhere: $expand by the routes of expandable types, $format is JSON.
const CHECKED = new Set(["$expand", "$format"]);
// OData's own answer (Microsoft.OData's ODataQueryOptions) to collection options on a single entity.
const NOT_A_COLLECTION = "The query specified in the URI is not valid. The requested resource is not a collection. Query options $filter, $orderby, $count, $skip, and $top can be applied only on collections.";

/**
 * `$expand` on a type with nothing Taskdrop expands is answered as Graph answers a navigation
 * property the type does not have; `$format` must ask for JSON, the only format Graph's To Do answers.
 */
function checkExpandAndFormat(query: Record<string, string | string[] | undefined>, shape: EntityShape): void {
  const expand = query.$expand;
  if (expand !== undefined && !shape.expandable) {
    const first = (Array.isArray(expand) ? expand[0]! : expand).split(/[,(]/)[0]!.trim();
    throw errors.invalid(`Could not find a property named '${first.slice(0, 64)}' on type '${shape.typeName}'.`);
  }
  const format = query.$format;
  if (format !== undefined) {
    if (Array.isArray(format)) throw errors.invalid("Query option $format was given more than once.");
    if (!/^(json|application\/json)$/i.test(format.trim())) throw errors.invalid(`The format '${format.slice(0, 64)}' is not supported; $format=json is the only format.`);
  }
}

/**
 * The query options of a request answered with one entity (GET, or the entity a POST or PATCH
 * returns): `$select` (returned), `$expand` on expandable types and `$format=json`; collection
 * options and anything else are refused rather than ignored.
 */
export function entitySelect(query: Record<string, string | string[] | undefined>, shape: EntityShape): string[] | undefined {
  for (const k of Object.keys(query)) {
    if (["$filter", "$orderby", "$count", "$skip", "$top", "$skiptoken", "$skipToken"].includes(k)) throw errors.invalid(NOT_A_COLLECTION);
    if (k === "$search") throw errors.invalid(`Query option '$search' is not supported on ${shape.typeName}.`);
    if (k.startsWith("$") && k !== "$select" && !CHECKED.has(k)) throw errors.invalid(`Query option '${k}' is not supported.`);
  }
  checkExpandAndFormat(query, shape);
  return query.$select === undefined ? undefined : parseQuery({ $select: query.$select }, shape).select;
}

const SYSTEM_OPTIONS = ["select", "filter", "expand", "orderby", "top", "skip", "count", "search", "format", "skiptoken", "deltatoken", "levels", "apply", "compute"];

/**
 * System query options spelled without `$` (`filter=…`): Graph takes them on beta and on "a subset
 * of APIs" on v1.0 (query-parameters.md). They are read as the `$` forms on both versions, so a
 * client's `top=5` is honoured or refused, never ignored; both spellings at once is a repeat.
 */
export function withDollarPrefixes(query: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  if (!Object.keys(query).some((k) => SYSTEM_OPTIONS.includes(k))) return query;
  const out: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(query)) {
    const key = SYSTEM_OPTIONS.includes(k) ? `$${k}` : k;
    if (Object.hasOwn(out, key) || (key !== k && Object.hasOwn(query, key))) throw errors.invalid(`Query option ${key} was given more than once.`);
    out[key] = v;
  }
  return out;
}

/** A request answered with no body or with bytes (DELETE, `$value`, actions): no query option applies. */
export function refuseQueryOptions(query: Record<string, string | string[] | undefined>, what: string): void {
  for (const k of Object.keys(query)) {
    if (k.startsWith("$")) throw errors.invalid(`Query option '${k.slice(0, 64)}' does not apply to ${what}.`);
  }
}

function wholeNumber(name: string, v: string, max: number): number {
  if (!/^\d{1,9}$/.test(v)) throw errors.invalid(`Invalid value '${v}' for query option ${name}: a non-negative integer is required.`);
  const n = Number(v);
  if (n > max) throw errors.invalid(`The value of ${name} (${n}) exceeds the maximum of ${max}.`);
  return n;
}

function booleanOption(name: string, v: string): boolean {
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  throw errors.invalid(`Invalid value '${v}' for query option ${name}: true or false is required.`);
}

export function parseQuery(query: Record<string, string | string[] | undefined>, shape: EntityShape): QueryOptions {
  const one = (k: string): string | undefined => {
    const v = query[k];
    if (Array.isArray(v)) throw errors.invalid(`Query option ${k} was given more than once.`);
    return v;
  };
  for (const k of Object.keys(query)) {
    if (k === "$search") throw errors.invalid(`Query option '$search' is not supported on ${shape.typeName} collections; use $filter (startswith, contains).`);
    if (k.startsWith("$") && !SUPPORTED.has(k) && !CHECKED.has(k)) throw errors.invalid(`Query option '${k}' is not supported.`);
  }
  checkExpandAndFormat(query, shape);
  const topRaw = one("$top");
  const skipRaw = one("$skip");
  const selectRaw = one("$select");
  const filterRaw = one("$filter");
  const orderRaw = one("$orderby");
  const countRaw = one("$count");
  // The SDKs spell it $skipToken too; the token itself is opened by the service (it needs the store's key).
  if (query.$skiptoken !== undefined && query.$skipToken !== undefined) throw errors.invalid("Query option $skiptoken was given more than once.");
  const skiptoken = one("$skiptoken") ?? one("$skipToken");
  let select: string[] | undefined;
  if (selectRaw !== undefined) {
    select = selectRaw.split(",").map((s) => s.trim());
    for (const p of select) {
      if (!shape.properties.has(p)) throw errors.invalid(`Could not find a property named '${p}' on type '${shape.typeName}'.`);
    }
  }
  const topGiven = topRaw === undefined ? undefined : wholeNumber("$top", topRaw, MAX_TOP);
  return {
    top: topGiven ?? DEFAULT_PAGE_SIZE,
    topGiven,
    skip: skipRaw === undefined ? 0 : wholeNumber("$skip", skipRaw, 1_000_000_000),
    select,
    filter: filterRaw === undefined ? undefined : parseFilter(filterRaw, shape.query),
    orderBy: orderRaw === undefined ? [] : parseOrderBy(orderRaw, shape.query),
    count: countRaw === undefined ? false : booleanOption("$count", countRaw),
    ...(skiptoken === undefined ? {} : { skiptoken }),
  };
}

/**
 * The page size given `$top` and a `Prefer: odata.maxpagesize` (already parsed): the smaller of
 * the two when both are given (the preference is a maximum), else whichever is given.
 */
export function pageSize(q: QueryOptions, maxPageSize: number | undefined): number {
  if (maxPageSize === undefined) return q.top;
  return q.topGiven === undefined ? maxPageSize : Math.min(q.topGiven, maxPageSize);
}

/** $select keeps `id` and `@odata.etag` besides what was selected. */
export function project(v: Record<string, unknown>, select: string[] | undefined): Record<string, unknown> {
  if (!select) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === "id" || k === "@odata.etag" || k === "@odata.type" || select.includes(k)) out[k] = val;
  }
  return out;
}
