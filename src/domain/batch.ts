// JSON batching (`POST /$batch`), the pure part: reading the envelope Graph's SDKs send and
// refusing what Graph refuses before any inner request runs. Running them is the HTTP layer's job
// (each one goes through the app as if sent alone).
import { errors } from "./errors.js";

/** Graph runs at most 20 requests per batch. */
export const MAX_BATCH_REQUESTS = 20;

const METHODS = new Set(["GET", "POST", "PATCH", "PUT", "DELETE"]);
const WRITES = new Set(["POST", "PATCH", "PUT"]);

export interface BatchStep {
  id: string;
  method: string;
  /** Relative to the version (`/me/todo/lists`), with its query. */
  url: string;
  headers: Record<string, string>;
  /** The body as sent on the wire: JSON text, or bytes decoded from base64 for other types. */
  body: Buffer | undefined;
  /** Ids of earlier steps this one waits for (lower-cased, as ids compare). */
  dependsOn: string[];
}

const object = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Batch ids compare case-insensitively (Graph treats `a` and `A` as one id). */
export const batchKey = (id: string) => id.toLowerCase();

function url(raw: unknown, id: string, version: string): string {
  if (typeof raw !== "string" || raw.trim() === "") throw errors.badBatch(`The url of request id ${id} is missing.`);
  let u = raw.trim();
  // The SDKs send URLs relative to the version; a leading slash is optional (Graph's own example
  // omits it). Absolute URLs and other versions are not part of a batch sent to this version.
  if (/^[a-z][a-z0-9+.-]*:/i.test(u) || u.startsWith("//")) throw errors.badBatch(`The url of request id ${id} must be relative to the version, e.g. /me/todo/lists.`);
  if (!u.startsWith("/")) u = `/${u}`;
  // Microsoft's JS SDK v3 turns a full URL into `/v1.0/…` (it strips only scheme and host): the
  // batch's own version is taken off; another version cannot be reached from this batch.
  const v = /^\/(v1\.0|beta)(?=\/|\?|$)/i.exec(u);
  if (v) {
    if (v[1]!.toLowerCase() !== version.toLowerCase()) throw errors.badBatch(`The url of request id ${id} names version ${v[1]}; this batch was sent to ${version}.`);
    u = u.slice(v[0].length) || "/";
  }
  if (/^\/\$batch(\/|\?|$)/i.test(u)) throw errors.badBatch(`Request id ${id} is a batch; batches cannot be nested.`);
  return u;
}

function headers(raw: unknown, id: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!object(raw)) throw errors.badBatch(`The headers of request id ${id} must be an object.`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== "string") throw errors.badBatch(`The header '${k}' of request id ${id} must be a string.`);
    out[k.toLowerCase()] = v;
  }
  return out;
}

function body(raw: unknown, h: Record<string, string>, id: string): Buffer | undefined {
  if (raw === undefined || raw === null) return undefined;
  const type = (h["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json" || type.endsWith("+json")) return Buffer.from(JSON.stringify(raw));
  // Other media types travel base64-encoded in the envelope.
  if (typeof raw !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(raw)) {
    throw errors.badBatch(`The body of request id ${id} must be base64 for Content-Type '${type}'.`);
  }
  return Buffer.from(raw, "base64");
}

/**
 * Reads a batch envelope: 1 to 20 requests, ids unique (ignoring case), methods Graph knows,
 * relative URLs, a Content-Type with every body and a body with every write, `dependsOn` naming
 * only earlier requests (so there can be no cycle), in one of the shapes Graph runs.
 */
export function parseBatch(envelope: unknown, version: string): BatchStep[] {
  if (!object(envelope) || !Array.isArray(envelope.requests)) throw errors.badBatch("The batch request body must be a JSON object with a 'requests' array.");
  const raw = envelope.requests;
  if (raw.length === 0) throw errors.badBatch("The batch holds no requests.");
  if (raw.length > MAX_BATCH_REQUESTS) throw errors.badBatch(`A batch may hold at most ${MAX_BATCH_REQUESTS} requests; this one holds ${raw.length}.`);
  const seen = new Set<string>();
  const steps = raw.map((r, i): BatchStep => {
    if (!object(r)) throw errors.badBatch(`Request ${i + 1} of the batch must be an object.`);
    const id = typeof r.id === "number" && Number.isInteger(r.id) ? String(r.id) : r.id;
    if (typeof id !== "string" || id.trim() === "" || id.length > 256) throw errors.badBatch(`Request ${i + 1} of the batch needs an 'id' (a non-empty string).`);
    if (seen.has(batchKey(id))) throw errors.badBatch(`Request Id ${id} has to be unique in a batch.`);
    const method = typeof r.method === "string" ? r.method.toUpperCase() : "";
    if (!METHODS.has(method)) throw errors.badBatch(`The method of request id ${id} must be one of ${[...METHODS].join(", ")}.`);
    const h = headers(r.headers, id);
    if (r.body !== undefined && r.body !== null && h["content-type"] === undefined) throw errors.badBatch(`Write request id : ${id} does not contain Content-Type header or body.`);
    if (WRITES.has(method) && (r.body === undefined || r.body === null)) throw errors.badBatch(`Write request id : ${id} does not contain Content-Type header or body.`);
    let dependsOn: string[] = [];
    if (r.dependsOn !== undefined && r.dependsOn !== null) {
      if (!Array.isArray(r.dependsOn) || r.dependsOn.some((x) => typeof x !== "string")) throw errors.badBatch(`The dependsOn of request id ${id} must be an array of request ids.`);
      dependsOn = (r.dependsOn as string[]).map(batchKey);
      // Only requests before this one: a forward reference, a self-reference or a cycle is refused.
      for (const dep of dependsOn) if (!seen.has(dep)) throw errors.badBatch(`Invalid dependency for request Id ${id}: '${dep}' is not an earlier request of the batch.`);
    }
    const step = { id, method, url: url(r.url, id, version), headers: h, body: body(r.body, h, id), dependsOn };
    seen.add(batchKey(id));
    return step;
  });
  if (!parallel(steps) && !serial(steps) && !fanOut(steps)) throw errors.badBatch("Batch should be either fully sequential or fully parallel.");
  return steps;
}

// The three shapes Graph runs (Microsoft's JS SDK checks the same before sending): nothing depends
// on anything; each request depends on the one before; or all depend on one request.
const parallel = (steps: BatchStep[]) => steps.every((s) => s.dependsOn.length === 0);
const serial = (steps: BatchStep[]) => steps.every((s, i) => (i === 0 ? s.dependsOn.length === 0 : s.dependsOn.length === 1 && s.dependsOn[0] === batchKey(steps[i - 1]!.id)));
function fanOut(steps: BatchStep[]): boolean {
  const root = steps.find((s) => s.dependsOn.length === 0);
  if (!root || steps.filter((s) => s.dependsOn.length === 0).length !== 1) return false;
  return steps.every((s) => s === root || (s.dependsOn.length === 1 && s.dependsOn[0] === batchKey(root.id)));
}
